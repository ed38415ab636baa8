"""Domain tuning: train the encoder heads and weight offsets on many images of one domain.

:func:`run_training_loop` is the per-step loop with no global state: it takes the trainable
module (plain or DDP-wrapped), a batch iterator, an optimizer and a generator, which is what a
Ray Train ``train_loop_per_worker`` needs. :func:`tune_domain` is the single-process driver with
checkpoints and exact resume (trainable tensors, optimizer state, step, loss history and the
generator state are all saved).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from e4t_server.engine.config import RegularizationWeights
from e4t_server.engine.data import ImageDataset, random_batches
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.training import (
    E4TTrainable,
    TrainingBatch,
    check_timestep_range,
    optimization_step,
)

ProgressCallback = Callable[[int, int, float], None]
"""Called after each step with ``(step, total_steps, loss)``; ``step`` counts from 1."""

CHECKPOINT_PREFIX = "step-"
TRAINABLE_FILE = "trainable.safetensors"
STATE_FILE = "training_state.pt"


def run_training_loop(
    trainable: nn.Module,
    model: DomainModel,
    batches: Iterator[TrainingBatch],
    optimizer: torch.optim.Optimizer,
    *,
    generator: torch.Generator,
    regularization: RegularizationWeights,
    start_step: int,
    total_steps: int,
    on_step: Callable[[int, float], None] | None = None,
    timestep_range: tuple[int, int] | None = None,
    description_weight: float = 0.0,
) -> list[float]:
    """Run steps ``start_step + 1 … total_steps``; returns their losses (total loss per step).
    ``timestep_range`` limits the training timesteps and ``description_weight`` weighs the
    description teacher (see :func:`~e4t_server.engine.training.denoising_loss`)."""
    trainable.train()
    losses = []
    for step in range(start_step + 1, total_steps + 1):
        terms = optimization_step(
            trainable,
            model,
            next(batches),
            optimizer,
            generator=generator,
            regularization=regularization,
            timestep_range=timestep_range,
            description_weight=description_weight,
        )
        losses.append(float(terms.total.detach()))
        if on_step is not None:
            on_step(step, losses[-1])
    return losses


@dataclass(frozen=True)
class _Checkpoint:
    step: int
    losses: list[float]


def tune_domain(
    model: DomainModel,
    dataset: ImageDataset,
    *,
    steps: int,
    batch_size: int = 4,
    lr: float = 1e-4,
    seed: int = 0,
    checkpoint_dir: Path | str | None = None,
    checkpoint_every: int = 0,
    progress: ProgressCallback | None = None,
    timestep_range: tuple[int, int] | None = None,
    description_weight: float = 0.0,
) -> list[float]:
    """Domain-tune ``model`` in place for ``steps`` steps; returns the loss of every step.

    ``timestep_range`` (half-open) limits the training timesteps, e.g. to where the concept
    decides the loss; by default they are drawn from all of the scheduler's, as in the paper.
    ``description_weight`` > 0 also teaches the encoder to match the dataset's descriptions of
    its subjects (pictures without one are trained as usual).

    With ``checkpoint_dir``, a checkpoint is written every ``checkpoint_every`` steps and at the
    end, and a run finds the latest checkpoint there and resumes from it exactly.
    """
    if description_weight < 0:
        raise ValueError("description_weight must not be negative")
    if timestep_range is not None:  # before anything is trained or written
        check_timestep_range(timestep_range, model.base.scheduler.config["num_train_timesteps"])
    trainable = E4TTrainable(model, model.encoder, model.offsets)
    optimizer = torch.optim.AdamW(trainable.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    checkpoints = Path(checkpoint_dir) if checkpoint_dir is not None else None
    history: list[float] = []
    start = 0
    if checkpoints is not None:
        restored = _restore_latest(checkpoints, trainable, optimizer, generator)
        if restored is not None:
            start, history = restored.step, list(restored.losses)
    batches = random_batches(dataset, batch_size, generator)
    chunk = checkpoint_every if checkpoints is not None and checkpoint_every > 0 else steps

    def report(step: int, loss: float) -> None:
        if progress is not None:
            progress(step, steps, loss)

    while start < steps:
        end = min(steps, start + chunk)
        history += run_training_loop(
            trainable,
            model,
            batches,
            optimizer,
            generator=generator,
            regularization=model.config.domain_regularization,
            start_step=start,
            total_steps=end,
            on_step=report,
            timestep_range=timestep_range,
            description_weight=description_weight,
        )
        start = end
        if checkpoints is not None:
            _save_checkpoint(
                checkpoints, trainable, optimizer, generator, _Checkpoint(end, history)
            )
    trainable.eval()
    return history


def _save_checkpoint(
    directory: Path,
    trainable: nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    checkpoint: _Checkpoint,
) -> None:
    final = directory / f"{CHECKPOINT_PREFIX}{checkpoint.step:08d}"
    staging = directory / f".staging-{checkpoint.step:08d}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in trainable.state_dict().items()}
    save_file(tensors, str(staging / TRAINABLE_FILE))
    state = {
        "step": checkpoint.step,
        "losses": checkpoint.losses,
        "optimizer": optimizer.state_dict(),
        "generator": generator.get_state(),
    }
    torch.save(state, staging / STATE_FILE)
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)  # a checkpoint directory is either complete or absent


def _restore_latest(
    directory: Path,
    trainable: nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
) -> _Checkpoint | None:
    latest = _latest_checkpoint(directory)
    if latest is None:
        return None
    device = next(trainable.parameters()).device
    trainable.load_state_dict(load_file(str(latest / TRAINABLE_FILE), device=str(device)))
    state = torch.load(latest / STATE_FILE, weights_only=True)
    optimizer.load_state_dict(state["optimizer"])
    generator.set_state(state["generator"])
    return _Checkpoint(step=int(state["step"]), losses=[float(x) for x in state["losses"]])


def _latest_checkpoint(directory: Path) -> Path | None:
    candidates = sorted(directory.glob(f"{CHECKPOINT_PREFIX}*")) if directory.is_dir() else []
    return candidates[-1] if candidates else None


def latest_checkpoint_step(directory: Path) -> int:
    """How many steps the latest checkpoint in ``directory`` holds (0 when there is none)."""
    latest = _latest_checkpoint(directory)
    return 0 if latest is None else int(latest.name.removeprefix(CHECKPOINT_PREFIX))
