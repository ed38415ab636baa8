"""What a UNet training run needs to go on exactly where it stopped.

A base-model UNet stage runs for hours on a CPU, longer than a working session or a lent GPU
lasts. At every checkpoint ``train_unet`` writes one state file next to the model: the trained
and averaged weights, the optimizer and learning-rate schedule, the step, the losses so far
and every random source (the batches' and captions' generators, and torch's global one, which
draws the timesteps). Loading it and training on gives the same weights, bit for bit, as a run
that was never stopped (on the same device and thread count).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

STATE_FILE = "unet_training_state.pt"


@dataclass
class UnetRandomness:
    """The UNet stage's random sources: ``generator`` draws batches, flips, VAE samples and
    noise; ``rng`` draws captions; torch's global generator draws the timesteps."""

    generator: torch.Generator
    rng: np.random.Generator

    @classmethod
    def seeded(cls, seed: int) -> UnetRandomness:
        return cls(torch.Generator().manual_seed(seed), np.random.default_rng(seed))

    def state(self) -> dict[str, Any]:
        return {
            "generator": self.generator.get_state(),
            "rng": self.rng.bit_generator.state,
            "global": torch.get_rng_state(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Set every source in place, so iterators that hold them draw on from there."""
        self.generator.set_state(state["generator"])
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["global"])


@dataclass
class UnetTrainingState:
    """One checkpoint of a UNet stage (``step`` steps done)."""

    step: int
    losses: list[float]
    seconds: float
    """Training time spent so far, over every run that made this state."""
    modules: list[dict[str, torch.Tensor]]
    """State dicts of the tracked modules, each average followed by its trained module."""
    optimizer: dict[str, Any]
    schedule: dict[str, Any]
    randomness: dict[str, Any]

    def save(self, path: Path) -> None:
        """Write atomically: a run killed while writing keeps the previous state."""
        partial = path.with_name(path.name + ".partial")
        torch.save(self.__dict__, partial)
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> UnetTrainingState:
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError as error:
            raise ValueError(f"no interrupted UNet run to resume: {path} is missing") from error
        return cls(**saved)


def module_states(tracked: list[tuple[nn.Module, nn.Module]]) -> list[dict[str, torch.Tensor]]:
    """Copies of the weights of every (average, trained module) pair, on the CPU."""
    return [
        {name: tensor.detach().cpu().clone() for name, tensor in module.state_dict().items()}
        for pair in tracked
        for module in pair
    ]


def restore_modules(
    tracked: list[tuple[nn.Module, nn.Module]], states: list[dict[str, torch.Tensor]]
) -> None:
    modules = [module for pair in tracked for module in pair]
    if len(modules) != len(states):
        raise ValueError(
            f"the saved state holds {len(states)} modules, this run trains {len(modules)}"
        )
    for module, state in zip(modules, states, strict=True):
        module.load_state_dict(state)
