"""``--only TEXT``: run a subset of named methods or variants (shared by the demo's commands)."""

from __future__ import annotations

import argparse


def add_only_option(parser: argparse.ArgumentParser, what: str) -> None:
    """Add a repeatable ``--only TEXT`` option; ``what`` names the things it selects."""
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help=f"run only {what} whose names contain TEXT (repeatable)",
    )


def selected(name: str, only: tuple[str, ...]) -> bool:
    """Whether ``name`` is selected: everything when ``only`` is empty."""
    return not only or any(text in name for text in only)
