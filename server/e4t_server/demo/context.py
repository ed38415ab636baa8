"""The context (prompt-adherence) metric: does a picture show the background, style and lighting
its prompt asked for?

* Background — a rule, no learning: the median colour of the picture's border (top rows and the
  side columns above the neck, where the person never reaches), then the nearest named colour of
  ``faces.BACKGROUNDS``.
* Style and lighting — a tiny ``FactorNet`` with one head each, trained only on renders of the
  ``metric`` identity split (``python -m e4t_server.demo.train_context``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from e4t_server.demo.faces import BACKGROUNDS, LIGHTINGS, STYLES
from e4t_server.demo.identity import WEIGHTS_DIR, FactorNet, MissingWeightsError
from e4t_server.demo.imaging import ImageBatch, to_tensor

CONTEXT_WEIGHTS = "context_metric.safetensors"
CONTEXT_CONFIG = "context_metric.json"
CONTEXT_QUALITY = "context_metric_quality.json"
CONTEXT_TRAIN_COMMAND = "python -m e4t_server.demo.train_context --out {dir} --seed 0"

CONTEXT_HEADS: dict[str, tuple[str, ...]] = {"style": STYLES, "lighting": LIGHTINGS}
"""The learned context factors and their classes (order defines class indices)."""

_PALETTE_NAMES = tuple(BACKGROUNDS)
_PALETTE = np.asarray([BACKGROUNDS[name] for name in _PALETTE_NAMES], dtype=np.float32)


def background_name(image: Image.Image | np.ndarray) -> str:
    """Nearest named background colour to the median colour of the picture's border."""
    pixels = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)
    height, width = pixels.shape[:2]
    band = max(1, min(height, width) // 16)
    # The neck reaches the bottom edge, so only the upper three quarters of the sides count.
    border = np.concatenate(
        [
            pixels[:band].reshape(-1, 3),
            pixels[: height * 3 // 4, :band].reshape(-1, 3),
            pixels[: height * 3 // 4, -band:].reshape(-1, 3),
        ]
    ).astype(np.float32)
    median = np.median(border, axis=0)
    return _PALETTE_NAMES[int(np.linalg.norm(_PALETTE - median, axis=1).argmin())]


@dataclass(frozen=True)
class ContextPrediction:
    """What context one picture shows; probabilities are over ``CONTEXT_HEADS`` classes."""

    background: str
    style: str
    lighting: str
    style_probabilities: dict[str, float]
    lighting_probabilities: dict[str, float]


@dataclass(frozen=True)
class ContextNetConfig:
    """Architecture of the context network."""

    image_size: int = 64
    channels: tuple[int, ...] = (12, 24, 48, 64)


class ContextMetric:
    """Recognizes background colour (rule) and style and lighting (trained ``FactorNet``)."""

    def __init__(self, net: FactorNet, config: ContextNetConfig) -> None:
        self.net = net.eval()
        self.config = config

    @staticmethod
    def new_net(config: ContextNetConfig) -> FactorNet:
        """An untrained context network (for training only)."""
        return FactorNet(
            config.channels, {name: len(values) for name, values in CONTEXT_HEADS.items()}
        )

    @classmethod
    def load(cls, weights_dir: str | Path | None = None) -> ContextMetric:
        """Load trained weights; raises ``MissingWeightsError`` if they are not there."""
        directory = Path(weights_dir) if weights_dir is not None else WEIGHTS_DIR
        weights, config_path = directory / CONTEXT_WEIGHTS, directory / CONTEXT_CONFIG
        for path in (weights, config_path):
            if not path.is_file():
                raise MissingWeightsError(
                    f"context metric file {path} is missing; train it with "
                    f"`{CONTEXT_TRAIN_COMMAND.format(dir=directory)}`"
                )
        architecture = json.loads(config_path.read_text())["architecture"]
        config = ContextNetConfig(
            image_size=int(architecture["image_size"]), channels=tuple(architecture["channels"])
        )
        net = cls.new_net(config)
        net.load_state_dict(load_file(weights))
        return cls(net, config)

    def save(self, weights_dir: str | Path, training: dict[str, object]) -> None:
        """Write weights and config (with a record of how they were trained)."""
        directory = Path(weights_dir)
        directory.mkdir(parents=True, exist_ok=True)
        state = {name: tensor.contiguous() for name, tensor in self.net.state_dict().items()}
        save_file(state, directory / CONTEXT_WEIGHTS)
        architecture = {
            "image_size": self.config.image_size,
            "channels": list(self.config.channels),
        }
        config = {"architecture": architecture, "heads": CONTEXT_HEADS, "training": training}
        (directory / CONTEXT_CONFIG).write_text(json.dumps(config, indent=2) + "\n")

    @torch.no_grad()
    def predict(self, images: Sequence[Image.Image] | np.ndarray) -> list[ContextPrediction]:
        """Background, style and lighting of every picture."""
        batch: ImageBatch = images
        outputs = self.net(to_tensor(batch, self.config.image_size))
        style = outputs["style"].softmax(dim=1).tolist()
        lighting = outputs["lighting"].softmax(dim=1).tolist()
        predictions = []
        for index, image in enumerate(images):
            style_p = dict(zip(STYLES, style[index], strict=True))
            lighting_p = dict(zip(LIGHTINGS, lighting[index], strict=True))
            predictions.append(
                ContextPrediction(
                    background=background_name(image),
                    style=max(style_p, key=style_p.__getitem__),
                    lighting=max(lighting_p, key=lighting_p.__getitem__),
                    style_probabilities=style_p,
                    lighting_probabilities=lighting_p,
                )
            )
        return predictions

    def adherence(
        self,
        image: Image.Image | np.ndarray,
        *,
        background: str | None = None,
        style: str | None = None,
        lighting: str | None = None,
    ) -> dict[str, bool]:
        """Whether each requested context factor is what the picture shows.

        Only the factors passed are judged; e.g. ``{"background": True, "style": False}``.
        """
        requested = {"background": background, "style": style, "lighting": lighting}
        known = {"background": _PALETTE_NAMES, "style": STYLES, "lighting": LIGHTINGS}
        for name, value in requested.items():
            if value is not None and value not in known[name]:
                raise ValueError(f"{name}={value!r} is not one of {known[name]}")
        images = (
            np.asarray(image.convert("RGB"))[None]
            if isinstance(image, Image.Image)
            else image[None]
        )
        prediction = self.predict(images)[0]
        return {
            name: getattr(prediction, name) == value
            for name, value in requested.items()
            if value is not None
        }
