"""`e4t domains train`: domain-tune a model locally, with a progress bar and resumable
checkpoints. The engine (torch) is imported only when the command runs."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated, Any

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
        str | None,
        typer.Option(
            help="Train data-parallel on Ray Train: a Ray cluster address, or 'local' for a "
            "Ray instance on this machine. Needs --checkpoint-dir on storage every worker sees."
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Ray Train workers (with --address).")] = 2,
    cpus_per_worker: Annotated[
        float, typer.Option(min=0.1, help="CPUs per Ray Train worker (with --address).")
    ] = 1.0,
    gpu: Annotated[
        bool, typer.Option(help="One GPU per Ray Train worker (with --address).")
    ] = False,
    timestep_range: Annotated[
        tuple[int, int] | None,
        typer.Option(
            metavar="LOW HIGH",
            help="Train only on diffusion timesteps LOW <= t < HIGH (default: all, as in E4T).",
        ),
    ] = None,
) -> None:
    """Domain-tune a domain model on a folder of images and save it for `versions register`.

    Locally it trains in this process. With --address it runs the same training loop on Ray
    Train (TorchTrainer; each worker draws its own batches, gradients averaged); a second run
    with the same --checkpoint-dir resumes from the latest checkpoint.
    """
    if address is not None and checkpoint_dir is None:
        raise fail(
            "--address needs --checkpoint-dir: Ray Train keeps its checkpoints there, on storage "
            "every worker can write (any local path for --address local)",
            ExitCode.USAGE,
        )
    try:
        from e4t_server.engine.data import FolderDataset
        from e4t_server.engine.domain_model import DomainModel
        from e4t_server.engine.domain_tuning import tune_domain
    except ImportError as error:
        raise fail(f"training needs the server package (torch): {error}", ExitCode.ERROR) from None
    if timestep_range is not None:
        _check_timestep_range(init, timestep_range)
    if address is not None:
        assert checkpoint_dir is not None
        losses = _train_on_ray(
            address,
            init,
            data,
            output,
            storage=checkpoint_dir,
            options={
                "steps": steps,
                "batch_size": batch_size,
                "lr": lr,
                "seed": seed,
                "checkpoint_every": checkpoint_every,
                "num_workers": workers,
                "cpus_per_worker": cpus_per_worker,
                "use_gpu": gpu,
                "timestep_range": timestep_range,
            },
        )
        _report(output, losses)
        return
    model = DomainModel.from_pretrained(init)
    dataset = FolderDataset(data, model.config.resolution)
    with _progress_bar() as bar:
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
            timestep_range=timestep_range,
        )
    model.save_pretrained(output)
    _report(output, losses)


def _check_timestep_range(init: Path, timestep_range: tuple[int, int]) -> None:
    from e4t_server.engine.domain_model import num_train_timesteps
    from e4t_server.engine.errors import ModelLoadError
    from e4t_server.engine.training import check_timestep_range

    try:
        check_timestep_range(timestep_range, num_train_timesteps(init))
    except ModelLoadError as error:
        raise fail(str(error), ExitCode.ERROR) from None
    except ValueError as error:
        raise fail(f"--timestep-range: {error}", ExitCode.USAGE) from None


def _progress_bar() -> Progress:
    columns = (
        TextColumn("tuning"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
        TimeRemainingColumn(),
    )
    return Progress(*columns, console=stderr())


def _train_on_ray(
    address: str, init: Path, data: Path, output: Path, *, storage: Path, options: dict[str, Any]
) -> list[float]:
    # Ray prints cluster warnings ("(raylet) WARNING ...") on the driver's stdout from its own
    # threads; stdout carries only the result path, so everything Ray says goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        return _run_ray_training(address, init, data, output, storage=storage, options=options)


def _run_ray_training(
    address: str, init: Path, data: Path, output: Path, *, storage: Path, options: dict[str, Any]
) -> list[float]:
    import ray

    from e4t_server.engine.ray_train import tune_domain_on_ray

    # Inside an already connected driver (a notebook, a test) reuse its connection.
    started = not ray.is_initialized()
    if started:
        try:
            # Worker logs stay on the workers; failures surface as exceptions, progress in the bar.
            ray.init(
                address=None if address == "local" else address,
                include_dashboard=False,
                log_to_driver=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as error:
            reason = f"cannot reach the Ray cluster at {address}: {error}"
            raise fail(reason, ExitCode.CONNECTION) from None
    try:
        with _progress_bar() as bar:
            task = bar.add_task("tuning", total=options["steps"], loss=float("nan"))

            def show(step: int, total: int, loss: float) -> None:
                bar.update(task, completed=step, total=total, loss=loss)

            return tune_domain_on_ray(
                init, data, output, storage_path=storage.resolve(), progress=show, **options
            )
    finally:
        if started:
            ray.shutdown()


def _report(output: Path, losses: list[float]) -> None:
    message(f"saved {output} (final loss {losses[-1]:.4f})" if losses else f"saved {output}")
    typer.echo(str(output))
