"""Running a demo command-line entry point in-process, as the tests of its refusals do."""

from __future__ import annotations

from collections.abc import Callable

import pytest


def refusal(
    main: Callable[[], None],
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """Run ``main`` with ``argv``; it must exit with argparse's usage error (2). Returns stderr."""
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    return capsys.readouterr().err
