"""The small supervised training loop the demo metrics share (CPU, minutes, logged progress),
and the helpers every demo trainer uses."""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

import numpy as np
import torch
from torch import nn

from e4t_server.demo.imaging import augment, to_tensor

LossFn = Callable[[dict[str, torch.Tensor], dict[str, torch.Tensor]], torch.Tensor]


def resolve_device(name: str) -> torch.device:
    """``name`` as a device this machine has; a clear error instead of a CPU fallback."""
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise ValueError(f"not a device name: {name!r}") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name!r} asked for, but torch sees no CUDA device here")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"only cpu and cuda are supported, got {name!r}")
    return device


def check_same_settings(saved: Mapping[str, Any], settings: Any) -> None:
    """Refuse (``ValueError``) to resume a run whose recorded ``saved`` settings are not
    ``settings`` (a dataclass), naming each that differs."""
    asked = json.loads(json.dumps(asdict(settings)))  # tuples as the JSON record has them
    differ = sorted(name for name in asked if saved.get(name) != asked[name])
    if differ:
        shown = ", ".join(
            f"{name}: run {saved.get(name)!r}, asked {asked[name]!r}" for name in differ
        )
        raise ValueError(f"--resume needs the stopped run's own settings; they differ in {shown}")


def log_progress(
    stage: str, step: int, total: int, loss: float, started: float, resumed_at: int = 0
) -> None:
    """Print one progress line to stderr about fifty times per stage (and at its last step).
    ``started`` is when this process began at step ``resumed_at``, which sets the pace."""
    if step % max(1, total // 50) and step != total:
        return
    elapsed = time.perf_counter() - started
    pace = elapsed / max(1, step - resumed_at)
    print(
        f"{stage} step {step}/{total} ({100 * step / total:.0f}%) loss {loss:.4f} "
        f"elapsed {elapsed:.0f}s eta {pace * (total - step):.0f}s",
        file=sys.stderr,
        flush=True,
    )


def fit(
    net: nn.Module,
    images: np.ndarray,
    targets: dict[str, torch.Tensor],
    loss_fn: LossFn,
    *,
    image_size: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
) -> list[float]:
    """Train ``net`` on uint8 (N, H, W, 3) ``images`` with augmentation; returns the mean loss of
    each epoch. Logs progress to stderr about ten times per epoch."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    count = images.shape[0]
    steps_per_epoch = math.ceil(count / batch_size)
    total_steps = epochs * steps_per_epoch
    optimizer = torch.optim.AdamW(net.parameters(), lr=learning_rate, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=learning_rate, total_steps=total_steps, pct_start=0.15
    )
    net.train()
    epoch_losses: list[float] = []
    started = time.perf_counter()
    step = 0
    for epoch in range(epochs):
        order = torch.randperm(count, generator=generator)
        running = 0.0
        for start in range(0, count, batch_size):
            index = order[start : start + batch_size]
            batch = augment(to_tensor(images[index.numpy()], image_size), generator)
            loss = loss_fn(net(batch), {name: target[index] for name, target in targets.items()})
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            running += loss.item() * len(index)
            step += 1
            if step % max(1, steps_per_epoch // 10) == 0 or step == total_steps:
                elapsed = time.perf_counter() - started
                print(
                    f"epoch {epoch + 1}/{epochs} step {step}/{total_steps} "
                    f"({100 * step / total_steps:.0f}%) loss {loss.item():.3f} "
                    f"elapsed {elapsed:.0f}s eta {elapsed / step * (total_steps - step):.0f}s",
                    file=sys.stderr,
                    flush=True,
                )
        epoch_losses.append(running / count)
    net.eval()
    return epoch_losses
