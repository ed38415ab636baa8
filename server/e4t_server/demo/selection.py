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
        help=f"run only {what} whose names contain TEXT, or are exactly TEXT after a leading "
        "'=' (repeatable)",
    )


def selected(name: str, only: tuple[str, ...]) -> bool:
    """Whether ``name`` is selected: everything when ``only`` is empty. ``=TEXT`` selects the
    name TEXT alone (``E4T + 5 steps`` also names ``E4T + 5 steps, lr 3e-4, …``)."""
    return not only or any(
        name == text[1:] if text.startswith("=") else text in name for text in only
    )
