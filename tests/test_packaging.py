"""The four packages install and keep their dependency direction."""

import subprocess
import sys


def test_packages_import() -> None:
    import e4t
    import e4t_cli
    import e4t_registry
    import e4t_server

    assert e4t.__version__
    assert e4t_cli.__doc__ and e4t_registry.__doc__ and e4t_server.__doc__


def test_sdk_does_not_import_server_stack() -> None:
    code = (
        "import sys, e4t\n"
        "heavy = [m for m in ('torch', 'diffusers', 'ray', 'e4t_server', 'e4t_registry')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
