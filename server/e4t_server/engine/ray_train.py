"""Domain tuning on Ray Train: the same loss and loop as :mod:`domain_tuning`, data-parallel.

Every worker loads the domain model from a directory every worker can read, wraps the trainable
parts (encoder heads + weight offsets) in ``DistributedDataParallel`` (gloo on CPU, NCCL on GPU,
chosen by Ray Train) and samples its own batches with a generator seeded by ``seed + rank``.
Gradients are averaged by DDP, so all workers hold the same weights after every step.

Checkpoints (every ``checkpoint_every`` steps and at the end) hold the trainable tensors, the
optimizer state, the step, the loss history and every worker's generator state, so a run that is
started again with the same ``storage_path`` and ``run_name`` continues exactly where the last
checkpoint left it. The driver turns the final checkpoint into a complete domain-model directory.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from safetensors.torch import load_file, save_file

from e4t_server.engine.data import FolderDataset, random_batches
from e4t_server.engine.domain_model import DomainModel, num_train_timesteps
from e4t_server.engine.domain_tuning import ProgressCallback, run_training_loop
from e4t_server.engine.training import E4TTrainable, check_timestep_range

TRAINABLE_FILE = "trainable.safetensors"
STATE_FILE = "training_state.pt"
PROGRESS_FILE = "progress.json"


@dataclass(frozen=True)
class DistributedTuningConfig:
    """What every worker needs; plain values so Ray can ship it to the workers."""

    model_dir: str
    dataset_dir: str
    steps: int
    batch_size: int
    lr: float
    seed: int
    checkpoint_every: int
    resume_from: str | None
    timestep_range: tuple[int, int] | None = None


def _generator_file(rank: int) -> str:
    return f"generator-rank{rank}.pt"


def _train_loop_per_worker(config: dict[str, Any]) -> None:
    """Ray Train's ``train_loop_per_worker``: tune, checkpoint, report."""
    import ray.train
    from ray.train.torch import prepare_model

    settings = DistributedTuningConfig(**config["settings"])
    progress_queue = config["progress_queue"]
    context = ray.train.get_context()
    rank, world_size = context.get_world_rank(), context.get_world_size()

    model = DomainModel.from_pretrained(settings.model_dir)
    trainable = E4TTrainable(model, model.encoder, model.offsets)
    optimizer = torch.optim.AdamW(trainable.parameters(), lr=settings.lr)
    generator = torch.Generator().manual_seed(settings.seed + rank)
    start = 0
    history: list[float] = []

    checkpoint = ray.train.get_checkpoint()
    resume_dir = settings.resume_from
    if checkpoint is not None:
        with checkpoint.as_directory() as directory:
            start, history = _restore(Path(directory), trainable, optimizer, generator, rank)
    elif resume_dir is not None:
        start, history = _restore(Path(resume_dir), trainable, optimizer, generator, rank)

    wrapped = prepare_model(trainable)  # DDP when world_size > 1; moves to the worker's device
    dataset = FolderDataset(settings.dataset_dir, model.config.resolution)
    batches = random_batches(dataset, settings.batch_size, generator)
    chunk = settings.checkpoint_every if settings.checkpoint_every > 0 else settings.steps

    def on_step(step: int, loss: float) -> None:
        if rank == 0:
            progress_queue.put((step, settings.steps, loss))

    while start < settings.steps:
        end = min(settings.steps, start + chunk)
        local = run_training_loop(
            wrapped,
            model,
            batches,
            optimizer,
            generator=generator,
            regularization=model.config.domain_regularization,
            start_step=start,
            total_steps=end,
            on_step=on_step,
            timestep_range=settings.timestep_range,
        )
        history += _mean_over_workers(local, world_size)
        start = end
        with tempfile.TemporaryDirectory() as directory:
            _save(Path(directory), trainable, optimizer, generator, rank, start, history)
            ray.train.report(
                {"step": start, "loss": history[-1]},
                checkpoint=ray.train.Checkpoint.from_directory(directory),
            )


def _mean_over_workers(losses: list[float], world_size: int) -> list[float]:
    """Each step's loss averaged over all workers (the loss of the global batch)."""
    if world_size == 1 or not dist.is_initialized():
        return losses
    tensor = torch.tensor(losses, dtype=torch.float64)
    dist.all_reduce(tensor)
    return (tensor / world_size).tolist()


def _save(
    directory: Path,
    trainable: E4TTrainable,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    rank: int,
    step: int,
    history: list[float],
) -> None:
    # Every worker writes its own generator state; Ray Train merges the workers' files into one
    # checkpoint directory. The weights and optimizer are the same on every worker (DDP).
    torch.save(generator.get_state(), directory / _generator_file(rank))
    if rank != 0:
        return
    tensors = {k: v.detach().cpu().contiguous() for k, v in trainable.state_dict().items()}
    save_file(tensors, str(directory / TRAINABLE_FILE))
    torch.save({"optimizer": optimizer.state_dict()}, directory / STATE_FILE)
    (directory / PROGRESS_FILE).write_text(json.dumps({"step": step, "losses": history}))


def _restore(
    directory: Path,
    trainable: E4TTrainable,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    rank: int,
) -> tuple[int, list[float]]:
    trainable.load_state_dict(load_file(str(directory / TRAINABLE_FILE)))
    state = torch.load(directory / STATE_FILE, weights_only=True)
    optimizer.load_state_dict(state["optimizer"])
    generator.set_state(torch.load(directory / _generator_file(rank), weights_only=True))
    progress = json.loads((directory / PROGRESS_FILE).read_text())
    return int(progress["step"]), [float(x) for x in progress["losses"]]


def latest_checkpoint(storage_path: Path | str, run_name: str) -> Path | None:
    """The newest complete checkpoint of a run (by step), or ``None`` if it has none."""
    run_dir = Path(storage_path) / run_name
    best: tuple[int, Path] | None = None
    for progress in run_dir.glob(f"checkpoint_*/{PROGRESS_FILE}"):
        step = int(json.loads(progress.read_text())["step"])
        if best is None or step > best[0]:
            best = (step, progress.parent)
    return None if best is None else best[1]


def tune_domain_on_ray(
    model_dir: Path | str,
    dataset_dir: Path | str,
    output_dir: Path | str,
    *,
    steps: int,
    storage_path: Path | str,
    run_name: str = "e4t-domain-tuning",
    num_workers: int = 2,
    cpus_per_worker: float = 1.0,
    use_gpu: bool = False,
    batch_size: int = 4,
    lr: float = 1e-4,
    seed: int = 0,
    checkpoint_every: int = 0,
    progress: ProgressCallback | None = None,
    timestep_range: tuple[int, int] | None = None,
) -> list[float]:
    """Domain-tune the model in ``model_dir`` on a Ray cluster and save it to ``output_dir``.

    ``timestep_range`` (half-open) limits the training timesteps as in
    :func:`~e4t_server.engine.domain_tuning.tune_domain`; it is checked before Ray starts.

    ``model_dir``, ``dataset_dir`` and ``storage_path`` must be readable (the last writable) by
    every worker: on one machine any local path, on a cluster a shared filesystem. Ray must be
    initialised by the caller (``ray.init(address=...)``); otherwise Ray starts a local instance.
    A second call with the same ``storage_path`` and ``run_name`` resumes from the run's latest
    checkpoint. Returns the loss of every step (averaged over workers), resumed steps included.
    """
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer
    from ray.util.queue import Queue

    if steps < 1 or num_workers < 1 or batch_size < 1:
        raise ValueError("steps, num_workers and batch_size must be positive")
    if timestep_range is not None:
        check_timestep_range(timestep_range, num_train_timesteps(model_dir))
    resume = latest_checkpoint(storage_path, run_name)
    settings = DistributedTuningConfig(
        model_dir=str(Path(model_dir).resolve()),
        dataset_dir=str(Path(dataset_dir).resolve()),
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        checkpoint_every=checkpoint_every,
        resume_from=None if resume is None else str(resume),
        timestep_range=timestep_range,
    )
    queue = Queue(actor_options={"num_cpus": 0})
    trainer = TorchTrainer(
        _train_loop_per_worker,
        train_loop_config={"settings": asdict(settings), "progress_queue": queue},
        scaling_config=ScalingConfig(
            num_workers=num_workers,
            use_gpu=use_gpu,
            resources_per_worker={"CPU": cpus_per_worker},
        ),
        run_config=RunConfig(name=run_name, storage_path=str(Path(storage_path).resolve())),
    )
    done = threading.Event()
    relay = threading.Thread(target=_relay_progress, args=(queue, done, progress), daemon=True)
    relay.start()
    try:
        result = trainer.fit()
    finally:
        done.set()
        relay.join()
        queue.shutdown()
    if result.checkpoint is None:
        raise RuntimeError(f"Ray Train run {run_name!r} finished without a checkpoint")
    with result.checkpoint.as_directory() as directory:
        return _export(Path(model_dir), Path(directory), Path(output_dir))


def _relay_progress(
    queue: Any, done: threading.Event, progress: Callable[[int, int, float], None] | None
) -> None:
    """Forward rank 0's per-step progress from the workers to the caller's callback."""
    from ray.util.queue import Empty

    while True:
        try:
            step, total, loss = queue.get(timeout=0.5)
        except Empty:
            if done.is_set():
                return
            continue
        if progress is not None:
            progress(step, total, loss)


def _export(model_dir: Path, checkpoint_dir: Path, output_dir: Path) -> list[float]:
    """Write the tuned domain model: the original model with the checkpoint's trained parts."""
    model = DomainModel.from_pretrained(model_dir)
    trainable = E4TTrainable(model, model.encoder, model.offsets)
    trainable.load_state_dict(load_file(str(checkpoint_dir / TRAINABLE_FILE)))
    output_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output_dir)
    progress = json.loads((checkpoint_dir / PROGRESS_FILE).read_text())
    return [float(x) for x in progress["losses"]]
