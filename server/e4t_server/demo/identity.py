"""The identity metric: does a picture show the same person as another?

A small CNN (``FactorNet``) reads a face picture and predicts its identity factors: one
classification head per categorical factor and one regression output per continuous factor. It
is trained only on procedural renders with their ground-truth factors under random nuisance
(pose, lighting, background, all styles) — never on anything the diffusion pipeline makes or
trains on (see ``dataset.SPLITS``).

Identity similarity of two pictures is the cosine similarity of their *factor embeddings*.
The embedding of a picture concatenates, for every categorical factor with K classes, the
predicted class probabilities minus the uniform 1/K, divided by sqrt(1 - 1/K) (so a confident
prediction has norm 1); and for every continuous factor, 2 * (prediction - 0.5), clipped to
[-1, 1]. Every factor therefore weighs about the same, and similarity is 1 for identical factor
predictions and near 0 for unrelated ones.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from e4t_server.demo.faces import CATEGORICAL_FACTORS, CONTINUOUS_FACTORS
from e4t_server.demo.imaging import ImageBatch, to_tensor

WEIGHTS_DIR = Path(__file__).parent / "weights"
"""Where the shipped metric weights live."""

IDENTITY_WEIGHTS = "identity_metric.safetensors"
IDENTITY_CONFIG = "identity_metric.json"
IDENTITY_QUALITY = "identity_metric_quality.json"
TRAIN_COMMAND = "python -m e4t_server.demo.train_identity --out {dir} --seed 0"


class MissingWeightsError(FileNotFoundError):
    """Raised when a metric's trained weights are not there; metrics never fall back to random."""


@dataclass(frozen=True)
class FactorNetConfig:
    """Architecture of ``FactorNet`` and the factor schema its heads were trained for."""

    image_size: int = 64
    channels: tuple[int, ...] = (16, 32, 64, 128)
    categorical: dict[str, list[str]] = field(
        default_factory=lambda: {name: list(values) for name, values in CATEGORICAL_FACTORS.items()}
    )
    continuous: list[str] = field(default_factory=lambda: list(CONTINUOUS_FACTORS))

    def to_json(self) -> dict[str, object]:
        """JSON-ready dictionary."""
        data = asdict(self)
        data["channels"] = list(self.channels)
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> FactorNetConfig:
        """Inverse of ``to_json``."""
        return cls(
            image_size=int(data["image_size"]),  # type: ignore[call-overload]
            channels=tuple(data["channels"]),  # type: ignore[arg-type]
            categorical=dict(data["categorical"]),  # type: ignore[call-overload]
            continuous=list(data["continuous"]),  # type: ignore[call-overload]
        )


def _conv(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class FactorNet(nn.Module):
    """A small CNN that predicts factors: strided convs, global average pool, linear heads.

    The same body serves the context metric (with heads for style and lighting).
    """

    def __init__(self, channels: tuple[int, ...], heads: dict[str, int]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = 3
        for index, width in enumerate(channels):
            layers.append(_conv(previous, width, stride=2))
            # A stride-1 conv at every resolution but the last keeps small features (irises).
            if index < len(channels) - 1:
                layers.append(_conv(width, width, stride=1))
            previous = width
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head_sizes = dict(heads)
        self.head = nn.Linear(previous, sum(heads.values()))

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Raw outputs of every head for a (N, 3, H, W) batch in [-1, 1]."""
        out = self.head(self.body(images))
        return dict(
            zip(self.head_sizes, out.split(list(self.head_sizes.values()), dim=1), strict=True)
        )


CONTINUOUS_HEAD = "continuous"


def identity_heads(config: FactorNetConfig) -> dict[str, int]:
    """Head sizes of the identity network: one per categorical factor, one for all continuous."""
    heads = {name: len(values) for name, values in config.categorical.items()}
    heads[CONTINUOUS_HEAD] = len(config.continuous)
    return heads


@dataclass(frozen=True)
class FactorPrediction:
    """Predicted identity factors of a batch.

    ``probabilities`` maps each categorical factor to (N, K) class probabilities; ``continuous``
    is (N, len(CONTINUOUS_FACTORS)) with predictions of amounts in [0, 1].
    """

    probabilities: dict[str, torch.Tensor]
    continuous: torch.Tensor

    def labels(self, config: FactorNetConfig) -> list[dict[str, str | float]]:
        """The most likely factor values of every picture, as dictionaries."""
        decoded: list[dict[str, str | float]] = [{} for _ in range(self.continuous.shape[0])]
        for name, probabilities in self.probabilities.items():
            for row, index in zip(decoded, probabilities.argmax(dim=1).tolist(), strict=True):
                row[name] = config.categorical[name][index]
        for column, name in enumerate(config.continuous):
            for row, value in zip(decoded, self.continuous[:, column].tolist(), strict=True):
                row[name] = round(float(value), 4)
        return decoded


def factor_embedding(prediction: FactorPrediction) -> torch.Tensor:
    """Unit-norm factor embeddings (N, D) as described in the module docstring."""
    blocks = []
    for probabilities in prediction.probabilities.values():
        classes = probabilities.shape[1]
        blocks.append((probabilities - 1.0 / classes) / math.sqrt(1.0 - 1.0 / classes))
    blocks.append((2.0 * (prediction.continuous - 0.5)).clamp(-1.0, 1.0))
    return nn.functional.normalize(torch.cat(blocks, dim=1), dim=1)


class IdentityMetric:
    """Identity similarity of face pictures, from a trained ``FactorNet``.

    Use ``IdentityMetric.load()`` for the shipped weights.
    """

    def __init__(self, net: FactorNet, config: FactorNetConfig) -> None:
        self.net = net.eval()
        self.config = config

    @classmethod
    def load(cls, weights_dir: str | Path | None = None) -> IdentityMetric:
        """Load trained weights; raises ``MissingWeightsError`` if they are not there."""
        directory = Path(weights_dir) if weights_dir is not None else WEIGHTS_DIR
        weights, config_path = directory / IDENTITY_WEIGHTS, directory / IDENTITY_CONFIG
        for path in (weights, config_path):
            if not path.is_file():
                raise MissingWeightsError(
                    f"identity metric file {path} is missing; train it with "
                    f"`{TRAIN_COMMAND.format(dir=directory)}`"
                )
        config = FactorNetConfig.from_json(json.loads(config_path.read_text())["architecture"])
        net = FactorNet(config.channels, identity_heads(config))
        net.load_state_dict(load_file(weights))
        return cls(net, config)

    def save(self, weights_dir: str | Path, training: dict[str, object]) -> None:
        """Write weights and config (with a record of how they were trained)."""
        directory = Path(weights_dir)
        directory.mkdir(parents=True, exist_ok=True)
        state = {name: tensor.contiguous() for name, tensor in self.net.state_dict().items()}
        save_file(state, directory / IDENTITY_WEIGHTS)
        config = {"architecture": self.config.to_json(), "training": training}
        (directory / IDENTITY_CONFIG).write_text(json.dumps(config, indent=2) + "\n")

    @torch.no_grad()
    def predict(self, images: ImageBatch, batch_size: int = 256) -> FactorPrediction:
        """Predicted identity factors of pictures (any size; resized to the net's input)."""
        batch = to_tensor(images, self.config.image_size)
        outputs: dict[str, list[torch.Tensor]] = {name: [] for name in self.net.head_sizes}
        for start in range(0, batch.shape[0], batch_size):
            for name, out in self.net(batch[start : start + batch_size]).items():
                outputs[name].append(out)
        joined = {name: torch.cat(parts) for name, parts in outputs.items()}
        continuous = joined.pop(CONTINUOUS_HEAD)
        return FactorPrediction(
            probabilities={name: logits.softmax(dim=1) for name, logits in joined.items()},
            continuous=continuous,
        )

    def embed(self, images: ImageBatch) -> torch.Tensor:
        """Unit-norm factor embeddings (N, D) of pictures."""
        return factor_embedding(self.predict(images))

    def pairwise_similarity(self, images_a: ImageBatch, images_b: ImageBatch) -> np.ndarray:
        """Similarity of ``images_a[i]`` and ``images_b[i]`` for every i, in [-1, 1]."""
        a, b = self.embed(images_a), self.embed(images_b)
        if a.shape != b.shape:
            raise ValueError(f"need as many pictures on both sides, got {len(a)} and {len(b)}")
        return (a * b).sum(dim=1).numpy()

    def similarity_matrix(self, images_a: ImageBatch, images_b: ImageBatch) -> np.ndarray:
        """Similarity of every picture in ``images_a`` with every picture in ``images_b``."""
        return (self.embed(images_a) @ self.embed(images_b).T).numpy()
