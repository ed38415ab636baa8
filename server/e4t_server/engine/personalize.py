"""Personalization: one image → a :class:`ConceptArtifact` in 5–15 tuning steps.

The image is augmented (seeded random resized crops + flips) into a small batch; *copies* of the
encoder heads and the domain offsets are fine-tuned with the stronger personalization
regularization; then the concept's embedding is computed once — at ``freeze_timestep``, with
fixed seeded noise, on the un-augmented image — and frozen. The loaded domain model is left
bitwise unchanged, and the same inputs and seed give the same artifact.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import torch
from PIL import Image

from e4t_server.engine.artifact import ConceptArtifact, ConceptMetadata
from e4t_server.engine.config import RegularizationWeights
from e4t_server.engine.data import random_flip, random_resized_crop
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.domain_tuning import ProgressCallback, run_training_loop
from e4t_server.engine.encoder import E4TEncoder
from e4t_server.engine.images import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, load_image, to_tensor
from e4t_server.engine.offsets import WeightOffsets
from e4t_server.engine.training import E4TTrainable, TrainingBatch


def personalize(
    model: DomainModel,
    image: bytes | Image.Image,
    *,
    steps: int | None = None,
    seed: int = 0,
    lr: float | None = None,
    offsets_lr: float | None = None,
    batch_size: int | None = None,
    regularization: RegularizationWeights | None = None,
    progress: ProgressCallback | None = None,
    created_at: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> ConceptArtifact:
    """Register the concept shown in ``image`` (bytes are validated with :func:`load_image`).

    ``steps=0`` keeps the encoder's prediction with the domain offsets as they are (E4T's
    "encoder only" concept: no tuning at all).

    ``steps``, ``lr``, ``batch_size`` and ``regularization`` default to the domain config's
    personalization settings; ``offsets_lr``, the weight offsets' own rate, defaults to ``lr``.
    ``created_at`` defaults to now; pass it to get byte-identical artifacts from identical runs.

    Raises:
        InvalidImageError, ImageTooLargeError: for bad image bytes.
    """
    config = model.config
    steps = config.personalization_steps if steps is None else steps
    lr = config.personalization_lr if lr is None else lr
    offsets_lr = lr if offsets_lr is None else offsets_lr
    batch_size = config.personalization_batch_size if batch_size is None else batch_size
    if regularization is None:
        regularization = config.personalization_regularization
    if steps < 0:
        raise ValueError("personalization steps must not be negative")
    picture = (
        load_image(image, max_bytes=max_bytes, max_pixels=max_pixels)
        if isinstance(image, bytes)
        else image
    )
    original = to_tensor(picture, config.resolution).to(model.device)

    generator = torch.Generator().manual_seed(seed)
    views = augmented_batch(original, batch_size, generator)
    with torch.random.fork_rng(devices=[]):  # building the copies must not disturb global RNG
        encoder, offsets = model.copy_of_trainable_parts()
    trainable = E4TTrainable(model, encoder, offsets)
    # One group per part, so the offsets can move at a LoRA-like rate while the encoder heads,
    # which drift when they learn from one picture, stay slow (on the demo domain this did not
    # raise identity: docs/demo-domain.md).
    optimizer = torch.optim.AdamW(
        [
            {"params": list(encoder.parameters()), "lr": lr},
            {"params": list(offsets.parameters()), "lr": offsets_lr},
        ]
    )
    losses = run_training_loop(
        trainable,
        model,
        itertools.repeat(TrainingBatch(views)),
        optimizer,
        generator=generator,
        regularization=regularization,
        start_step=0,
        total_steps=steps,
        on_step=(lambda step, loss: progress(step, steps, loss)) if progress else None,
    )
    trainable.eval()
    embedding = freeze_embedding(model, encoder, offsets, original, seed)
    metadata = ConceptMetadata(
        domain_fingerprint=model.fingerprint(),
        class_word=config.class_word,
        placeholder_token=config.placeholder_token,
        freeze_timestep=config.freeze_timestep,
        steps=steps,
        seed=seed,
        lr=lr,
        loss_curve=tuple(losses),
        created_at=(created_at or datetime.now(UTC)).isoformat(),
        batch_size=batch_size,
        lambda_embedding=regularization.embedding,
        lambda_weights=regularization.weights,
        offsets_lr=None if offsets_lr == lr else offsets_lr,
    )
    return ConceptArtifact.create(embedding, offsets.lora_state_dict(), metadata)


def augmented_batch(image: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """``size`` views of one image ``(3, H, W)``: the image itself, then random crops + flips."""
    views = [image]
    while len(views) < size:
        cropped = random_resized_crop([image], generator)
        views.append(random_flip(cropped, generator)[0])
    return torch.stack(views)


@torch.no_grad()
def freeze_embedding(
    model: DomainModel,
    encoder: E4TEncoder,
    offsets: WeightOffsets,
    image: torch.Tensor,
    seed: int,
) -> torch.Tensor:
    """``E(x, t_freeze)`` on the un-augmented image with noise seeded by ``seed``: the concept's
    embedding ``(D,)``, computed once and stored."""
    timesteps = torch.tensor([model.config.freeze_timestep], device=image.device)
    noise_generator = torch.Generator().manual_seed(seed)
    with model.hooks.activated(offsets):
        return encoder.encode_image(image[None], timesteps, noise_generator).embedding[0]
