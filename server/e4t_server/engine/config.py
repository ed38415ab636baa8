"""`DomainConfig`: everything that defines a domain model besides its weights (saved as JSON)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e4t_server.engine.errors import ModelLoadError

CONCEPT_MARKER = "{concept}"

DEFAULT_OFFSET_TARGETS: tuple[str, ...] = tuple(
    f"{attention}.{projection}"
    for attention in ("attn1", "attn2")
    for projection in ("to_q", "to_k", "to_v", "to_out.0")
)

DEFAULT_PROMPT_TEMPLATES: tuple[str, ...] = (
    "a photo of {concept}",
    "a close up photo of {concept}",
    "a portrait of {concept}",
    "a good photo of {concept}",
    "a cropped photo of {concept}",
    "a bright photo of {concept}",
)

OPTIONAL_FIELDS: dict[str, Any] = {"fixed_encoder_timestep": False}
"""Fields added after models were first saved, with the value that keeps the old behaviour:
written only when set otherwise, so a model saved before keeps its JSON and its fingerprint."""


@dataclass(frozen=True)
class RegularizationWeights:
    """Weights of the two L2 terms added to the denoising loss."""

    embedding: float
    """λ_emb on ‖embedding offset‖² (the encoder's raw, unscaled prediction)."""
    weights: float
    """λ_w on Σ‖B·A‖² over the low-rank weight offsets."""


@dataclass(frozen=True)
class DomainConfig:
    """Hyper-parameters of one domain (e.g. faces); saved as ``e4t_config.json``.

    Defaults follow the E4T paper where it states a value (offset scale 0.1, every 2nd CLIP
    layer, 5–15 personalization steps); the rest are this project's choices, see docs/engine.md.
    """

    class_word: str = "face"
    placeholder_token: str = "<concept>"
    class_prompt: str = "a photo of a {class_word}"
    prompt_templates: tuple[str, ...] = DEFAULT_PROMPT_TEMPLATES
    embedding_offset_scale: float = 0.1
    freeze_timestep: int = 500
    fixed_encoder_timestep: bool = False
    """Whether the encoder reads its image noised to ``freeze_timestep`` in every training step
    too, instead of to the step's own timestep (the paper); see docs/engine.md."""
    offset_rank: int = 2
    offset_targets: tuple[str, ...] = DEFAULT_OFFSET_TARGETS
    clip_layer_stride: int = 2
    encoder_hidden_size: int = 1024
    resolution: int = 512
    domain_regularization: RegularizationWeights = field(
        default_factory=lambda: RegularizationWeights(embedding=1e-2, weights=1e-4)
    )
    personalization_regularization: RegularizationWeights = field(
        default_factory=lambda: RegularizationWeights(embedding=1e-1, weights=1e-3)
    )
    personalization_steps: int = 15
    personalization_lr: float = 1e-4
    personalization_batch_size: int = 4

    def __post_init__(self) -> None:
        if self.placeholder_token == self.class_word:
            raise ValueError("placeholder_token must differ from class_word")
        if self.offset_rank < 1 or self.clip_layer_stride < 1:
            raise ValueError("offset_rank and clip_layer_stride must be positive")
        if any(CONCEPT_MARKER not in template for template in self.prompt_templates):
            raise ValueError(f"every prompt template must contain {CONCEPT_MARKER}")

    @property
    def class_prompt_text(self) -> str:
        """The class prompt that conditions the encoder's denoiser branch."""
        return self.class_prompt.format(class_word=self.class_word)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists; see :data:`OPTIONAL_FIELDS`)."""
        data = dataclasses.asdict(self)
        for name, unchanged in OPTIONAL_FIELDS.items():
            if data[name] == unchanged:
                del data[name]
        return data

    def to_json(self) -> str:
        """Canonical JSON (sorted keys), also the input of the domain fingerprint."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error, missing keys take defaults."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ModelLoadError(f"unknown DomainConfig keys: {sorted(unknown)}")
        values = dict(data)
        for name in ("prompt_templates", "offset_targets"):
            if name in values:
                values[name] = tuple(values[name])
        for name in ("domain_regularization", "personalization_regularization"):
            if name in values:
                values[name] = RegularizationWeights(**values[name])
        return cls(**values)

    def save(self, path: Path) -> None:
        """Write the config as JSON to ``path``."""
        path.write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> DomainConfig:
        """Read a config written by :meth:`save`."""
        if not path.is_file():
            raise ModelLoadError(f"missing domain config: {path}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ModelLoadError(f"unreadable domain config {path}: {error}") from error
        return cls.from_dict(data)
