"""The per-concept optimization baselines E4T is compared with, on the *base* model.

* **Textual Inversion** (Gal et al. 2022): only the placeholder's word embedding is optimized,
  starting from the class word's; the UNet is the base UNet (no domain offsets).
* **LoRA-DreamBooth**: low-rank offsets on the same attention projections E4T tunes (same rank),
  starting from zero, with the class word's embedding in the placeholder's place; no identifier
  token and no prior-preservation loss (neither changes identity fidelity on the concept's
  own prompts, which is all this benchmark measures).

Both use the engine's own loss, batch augmentation and training loop (:class:`E4TTrainable`'s
calling convention), so the only difference from E4T is what is trained and from where. Each
returns a :class:`ConceptArtifact` the engine generates with, and the bytes the method actually
has to store per concept.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import torch
from PIL import Image
from safetensors.torch import save
from torch import nn

from e4t_server.engine.artifact import (
    EMBEDDING_DTYPE,
    OFFSET_DTYPE,
    ConceptArtifact,
    ConceptMetadata,
)
from e4t_server.engine.config import RegularizationWeights
from e4t_server.engine.data import ImageDataset, random_batches
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.domain_tuning import run_training_loop
from e4t_server.engine.images import to_tensor
from e4t_server.engine.offsets import WeightOffsets
from e4t_server.engine.personalize import augmented_batch
from e4t_server.engine.prompts import TokenizedPrompts
from e4t_server.engine.training import TrainableOutput, TrainingBatch

NO_REGULARIZATION = RegularizationWeights(embedding=0.0, weights=0.0)


class _BaselineTrainable(nn.Module):
    """A placeholder embedding and a set of offsets, either of which may be frozen."""

    def __init__(self, model: DomainModel, *, train_embedding: bool, train_offsets: bool) -> None:
        super().__init__()
        self._model = model
        self.embedding = nn.Parameter(
            model.class_word_embedding.detach().clone(), requires_grad=train_embedding
        )
        self.offsets: WeightOffsets = model.new_offsets()
        if train_offsets:
            fresh = WeightOffsets.for_unet(
                model.base.unet, model.config.offset_targets, model.config.offset_rank
            )
            self.offsets.load_lora_state_dict(fresh.lora_state_dict())  # random A, zero B
        self.offsets.requires_grad_(train_offsets)

    def forward(
        self,
        images: torch.Tensor,
        noisy_latents: torch.Tensor,
        timesteps: torch.Tensor,
        input_ids: torch.Tensor,
        placeholder_mask: torch.Tensor,
        **_encoder_inputs: torch.Tensor,
    ) -> TrainableOutput:
        """The loss's prediction with this concept; what the loss hands an encoder to read (another
        view, a fixed encoder timestep) is ignored, as there is no encoder."""
        model = self._model
        with model.hooks.activated(self.offsets):
            context = model.prompt_encoder.encode(
                TokenizedPrompts(input_ids, placeholder_mask), self.embedding
            )
            prediction = model.base.unet(noisy_latents, timesteps, context).sample
        zero = torch.zeros((), device=prediction.device)
        return TrainableOutput(prediction, torch.zeros_like(self.embedding)[None], zero)


@dataclass(frozen=True)
class MadeConcept:
    """A concept made by any compared method (E4T or a baseline), its wall time and what the
    method has to store."""

    artifact: ConceptArtifact
    seconds: float
    stored_bytes: int


def _metadata(
    model: DomainModel,
    *,
    steps: int,
    seed: int,
    lr: float,
    losses: tuple[float, ...] = (),
    batch_size: int | None = None,
) -> ConceptMetadata:
    return ConceptMetadata(
        domain_fingerprint=model.fingerprint(),
        class_word=model.config.class_word,
        placeholder_token=model.config.placeholder_token,
        freeze_timestep=model.config.freeze_timestep,
        steps=steps,
        seed=seed,
        lr=lr,
        loss_curve=losses,
        batch_size=batch_size,
    )


def _train(
    model: DomainModel,
    image: Image.Image,
    trainable: _BaselineTrainable,
    *,
    steps: int,
    lr: float,
    seed: int,
    batch_size: int,
) -> ConceptArtifact:
    generator = torch.Generator().manual_seed(seed)
    original = to_tensor(image, model.config.resolution).to(model.device)
    views = augmented_batch(original, batch_size, generator)
    batches = itertools.repeat(TrainingBatch(views))
    return _fit(
        model, trainable, batches, generator, steps=steps, lr=lr, seed=seed, batch_size=batch_size
    )


def _fit(
    model: DomainModel,
    trainable: _BaselineTrainable,
    batches: Iterator[TrainingBatch],
    generator: torch.Generator,
    *,
    steps: int,
    lr: float,
    seed: int,
    batch_size: int,
    timestep_range: tuple[int, int] | None = None,
) -> ConceptArtifact:
    """Train ``trainable``'s unfrozen part on ``batches`` (no regularization, no weight decay)."""
    parameters = [p for p in trainable.parameters() if p.requires_grad]
    losses = run_training_loop(
        trainable,
        model,
        batches,
        torch.optim.AdamW(parameters, lr=lr, weight_decay=0.0),
        generator=generator,
        regularization=NO_REGULARIZATION,
        start_step=0,
        total_steps=steps,
        timestep_range=timestep_range,
    )
    trainable.eval()
    metadata = _metadata(
        model, steps=steps, seed=seed, lr=lr, losses=tuple(losses), batch_size=batch_size
    )
    return ConceptArtifact.create(
        trainable.embedding, trainable.offsets.lora_state_dict(), metadata
    )


def optimize_word(
    model: DomainModel,
    dataset: ImageDataset,
    *,
    steps: int,
    lr: float,
    seed: int = 0,
    batch_size: int = 4,
    timestep_range: tuple[int, int] | None = None,
) -> ConceptArtifact:
    """Textual Inversion on a whole dataset (e.g. several pictures of one person, with their
    captions and masks): the placeholder's embedding alone, on the base UNet, from the class
    word's. How much of a subject one word can hold when it is shown more than one photo."""
    generator = torch.Generator().manual_seed(seed)
    trainable = _BaselineTrainable(model, train_embedding=True, train_offsets=False)
    batches = random_batches(dataset, batch_size, generator)
    return _fit(
        model,
        trainable,
        batches,
        generator,
        steps=steps,
        lr=lr,
        seed=seed,
        batch_size=batch_size,
        timestep_range=timestep_range,
    )


def optimize_concept(
    model: DomainModel,
    image: Image.Image,
    *,
    part: Literal["embedding", "offsets"],
    steps: int,
    lr: float,
    seed: int,
    batch_size: int,
) -> MadeConcept:
    """Optimize one ``part`` of a concept, starting from the class word's embedding and zero
    offsets; stores that part alone, in the dtype E4T's artifact uses for it."""
    started = time.perf_counter()
    trainable = _BaselineTrainable(
        model, train_embedding=part == "embedding", train_offsets=part == "offsets"
    )
    artifact = _train(model, image, trainable, steps=steps, lr=lr, seed=seed, batch_size=batch_size)
    if part == "embedding":
        stored = save({"embedding": artifact.embedding.to(EMBEDDING_DTYPE)})
    else:
        stored = save({name: value.to(OFFSET_DTYPE) for name, value in artifact.offsets.items()})
    return MadeConcept(artifact, time.perf_counter() - started, len(stored))


def textual_inversion(
    model: DomainModel,
    image: Image.Image,
    *,
    steps: int,
    lr: float = 5e-3,
    seed: int = 0,
    batch_size: int = 4,
) -> MadeConcept:
    """Optimize the placeholder embedding alone; stores one embedding."""
    return optimize_concept(
        model, image, part="embedding", steps=steps, lr=lr, seed=seed, batch_size=batch_size
    )


def lora_dreambooth(
    model: DomainModel,
    image: Image.Image,
    *,
    steps: int,
    lr: float = 1e-3,
    seed: int = 0,
    batch_size: int = 4,
) -> MadeConcept:
    """Optimize low-rank UNet offsets alone; stores the offsets (fp16, like E4T's)."""
    return optimize_concept(
        model, image, part="offsets", steps=steps, lr=lr, seed=seed, batch_size=batch_size
    )


def class_word_concept(model: DomainModel) -> ConceptArtifact:
    """The class word's embedding on the base UNet: generating with it is "a face" unchanged."""
    trainable = _BaselineTrainable(model, train_embedding=False, train_offsets=False)
    metadata = _metadata(model, steps=0, seed=0, lr=0.0)
    return ConceptArtifact.create(
        trainable.embedding, trainable.offsets.lora_state_dict(), metadata
    )
