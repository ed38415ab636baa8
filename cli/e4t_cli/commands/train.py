"""`e4t domains train`: domain-tune a model locally, with a progress bar and resumable
checkpoints. The engine (torch) is imported only when the command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from e4t_cli.errors import fail
from e4t_cli.exit_codes import ExitCode
from e4t_cli.output import message, stderr


def train(
    data: Annotated[
        Path, typer.Option(exists=True, file_okay=False, help="Folder of domain images.")
    ],
    output: Annotated[Path, typer.Option(help="Where to save the tuned domain model.")],
    init: Annotated[
        Path,
        typer.Option(exists=True, file_okay=False, help="Domain model directory to start from."),
    ],
    steps: Annotated[int, typer.Option(min=1, help="Training steps.")] = 1000,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per step.")] = 4,
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 1e-4,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    checkpoint_dir: Annotated[
        Path | None, typer.Option(help="Checkpoint here and resume from the latest one.")
    ] = None,
    checkpoint_every: Annotated[int, typer.Option(min=0, help="Steps between checkpoints.")] = 100,
    address: Annotated[
        str | None, typer.Option(help="Ray cluster address for distributed training.")
    ] = None,
) -> None:
    """Domain-tune a domain model on a folder of images and save it for `versions register`."""
    if address is not None:
        raise fail(
            "training on a Ray cluster (--address) needs e4t_server.engine.ray_train, which "
            "this installation does not have yet; train locally without --address",
            ExitCode.ERROR,
        )
    try:
        from e4t_server.engine.data import FolderDataset
        from e4t_server.engine.domain_model import DomainModel
        from e4t_server.engine.domain_tuning import tune_domain
    except ImportError as error:
        raise fail(f"training needs the server package (torch): {error}", ExitCode.ERROR) from None
    model = DomainModel.from_pretrained(init)
    dataset = FolderDataset(data, model.config.resolution)
    columns = (
        TextColumn("tuning"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr()) as bar:
        task = bar.add_task("tuning", total=steps, loss=float("nan"))

        def show(step: int, total: int, loss: float) -> None:
            bar.update(task, completed=step, total=total, loss=loss)

        losses = tune_domain(
            model,
            dataset,
            steps=steps,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            checkpoint_dir=checkpoint_dir,
            checkpoint_every=checkpoint_every,
            progress=show,
        )
    model.save_pretrained(output)
    message(f"saved {output} (final loss {losses[-1]:.4f})" if losses else f"saved {output}")
    typer.echo(str(output))
