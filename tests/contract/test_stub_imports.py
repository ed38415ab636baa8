"""The generated stubs import on their own: protobuf and grpcio, nothing of the server stack."""

import subprocess
import sys

from tests.contract.contract_files import generated_modules


def test_every_generated_module_imports() -> None:
    modules = generated_modules()
    # 17 protos, each with a _pb2 and a _pb2_grpc module.
    assert len(modules) == 34
    assert all(module.DESCRIPTOR for module in modules if module.__name__.endswith("_pb2"))


def test_stubs_pull_in_no_heavy_or_optional_packages() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import e4t.v1\n"
        "for info in pkgutil.iter_modules(e4t.v1.__path__):\n"
        "    importlib.import_module('e4t.v1.' + info.name)\n"
        "unwanted = ('torch', 'diffusers', 'ray', 'e4t_server', 'e4t_registry',\n"
        "            'google.rpc', 'google.longrunning', 'google.api')\n"
        "print(','.join(m for m in unwanted if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
