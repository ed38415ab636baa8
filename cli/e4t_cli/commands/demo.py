"""`e4t demo`: the main job (wraps `e4t_server.service_demo`, imported only here)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from e4t_cli.errors import fail
from e4t_cli.exit_codes import ExitCode


def demo(
    out: Annotated[
        Path, typer.Option(help="Directory for the input image, the PNGs and README.txt.")
    ] = Path("outputs/demo"),
    keep_state: Annotated[
        Path | None,
        typer.Option(help="Keep the model, registry and server log here (default: discarded)."),
    ] = None,
) -> None:
    """Run the whole service embedded and personalize one face: consent, concept, images.

    Starts `e4t serve` on the embedded default (SQLite, a blob directory, Ray in-process) with
    the shipped demo face-domain model (trained from scratch on procedural faces, 32x32),
    registers a concept from one photo through the SDK and generates images of it from prompts
    asking for other styles, backdrops and lighting, plus a grid of them all.
    """
    try:
        from e4t_server.service_demo import run_service_demo
    except ImportError as error:
        raise fail(
            f"`e4t demo` needs the server package (pip install e4t-server): {error}",
            ExitCode.ERROR,
        ) from None
    with tempfile.TemporaryDirectory(prefix="e4t-demo-") as scratch:
        paths = run_service_demo(out, keep_state or Path(scratch))
    for path in paths:
        typer.echo(str(path))
