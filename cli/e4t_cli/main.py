"""Entry point of the `e4t` console script."""

import typer

app = typer.Typer(name="e4t", help="e4t: personalize text-to-image models from a single photo.")


@app.callback()
def main() -> None:
    """e4t: personalize text-to-image models from a single photo."""
