"""The one denoising-loss step shared by domain tuning and personalization.

``loss = mse(unet(z_t, t, text(prompt with E(x, t))), target)  [masked]
       + λ_emb · ‖embedding offset‖²  +  λ_w · Σ‖B A‖²``

When the batch holds descriptions of its subjects (``TrainingBatch.descriptions``: words such as
"a face with curly red hair and glasses") and ``description_weight`` > 0, the loss adds
``description_weight · mse(prediction, teacher)``, where the teacher is the UNet *without*
offsets prompted with the description in the concept's place. The teacher's prediction is a
low-variance target for what knowing the subject changes, which the noise target holds only
as a few per cent of its variance; the encoder learns to make one word act like the words.

When the batch holds other views of each picture's subject (``TrainingBatch.encoder_images``,
from a dataset that knows its subjects), ``E`` reads the other view instead of the picture it
denoises: what helps is then only what the subject's pictures share (who it is), not this
picture's pose, backdrop and light, which it could otherwise copy from the picture itself.

All randomness (VAE sample, timesteps, noise, prompt templates) is drawn from one explicit
``torch.Generator``, so a run is reproducible and its state can be checkpointed. The trainable
parts form one ``nn.Module`` (:class:`E4TTrainable`) whose ``forward`` covers every use of its
parameters, so it can be wrapped by ``DistributedDataParallel`` (e.g. in a Ray Train loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, cast

import torch
import torch.nn.functional as F
from diffusers.utils.torch_utils import randn_tensor
from torch import nn

from e4t_server.engine.config import CONCEPT_MARKER, RegularizationWeights
from e4t_server.engine.encoder import E4TEncoder, image_latents
from e4t_server.engine.offsets import WeightOffsets
from e4t_server.engine.prompts import TokenizedPrompts

if TYPE_CHECKING:
    from e4t_server.engine.domain_model import DomainModel


@dataclass(frozen=True)
class TrainingBatch:
    """Images in [-1, 1] ``(B, 3, H, W)``, optional loss masks in [0, 1] ``(B, 1, H, W)``,
    optional per-image captions (each with ``{concept}``; ``None`` entries, or no captions at
    all, get a random prompt template) and optional pictures for the encoder to read instead of
    the images (``(B, 3, H, W)``: another view of each image's subject), and optional
    descriptions of each image's subject in words (``None`` entries have none)."""

    images: torch.Tensor
    masks: torch.Tensor | None = None
    captions: tuple[str | None, ...] | None = None
    encoder_images: torch.Tensor | None = None
    descriptions: tuple[str | None, ...] | None = None


class TrainableOutput(NamedTuple):
    """What one forward of the trainable parts returns (a tuple, so DDP can traverse it)."""

    prediction: torch.Tensor
    embedding_offset: torch.Tensor
    weight_offset_l2: torch.Tensor


class LossTerms(NamedTuple):
    """The total loss and its parts (parts detached, for logging)."""

    total: torch.Tensor
    denoising: torch.Tensor
    embedding_l2: torch.Tensor
    weight_l2: torch.Tensor
    description: torch.Tensor
    """The (unweighted) distance to the description teacher; 0 where none was used."""


class E4TTrainable(nn.Module):
    """Encoder heads + weight offsets: the only trained parameters, as one module.

    ``forward`` activates its own offsets on the model's UNet for the duration of the call, so a
    copy (personalization) never touches the domain's offsets.
    """

    def __init__(self, model: DomainModel, encoder: E4TEncoder, offsets: WeightOffsets) -> None:
        super().__init__()
        self._model = model  # not an nn.Module: frozen components stay outside this module
        self.encoder = encoder
        self.offsets = offsets

    def forward(
        self,
        images: torch.Tensor,
        noisy_latents: torch.Tensor,
        timesteps: torch.Tensor,
        input_ids: torch.Tensor,
        placeholder_mask: torch.Tensor,
        encoder_images: torch.Tensor | None = None,
        encoder_latents: torch.Tensor | None = None,
        encoder_timesteps: torch.Tensor | None = None,
    ) -> TrainableOutput:
        """Predict the denoising target for ``noisy_latents`` prompted with the concept encoded
        from ``images`` and ``noisy_latents``, or from ``encoder_images`` and their noised
        ``encoder_latents`` when given, at ``encoder_timesteps`` (default: ``timesteps``)."""
        model = self._model
        if (encoder_images is None) != (encoder_latents is None):
            raise ValueError("give encoder_images and encoder_latents together")
        if encoder_images is None or encoder_latents is None:
            encoder_images, encoder_latents = images, noisy_latents
        if encoder_timesteps is None:
            encoder_timesteps = timesteps
        with model.hooks.activated(self.offsets):
            encoded = self.encoder(encoder_images, encoder_latents, encoder_timesteps)
            context = model.prompt_encoder.encode(
                TokenizedPrompts(input_ids, placeholder_mask), encoded.embedding
            )
            prediction = model.base.unet(noisy_latents, timesteps, context).sample
        return TrainableOutput(prediction, encoded.offset, self.offsets.l2())


def sample_prompts(
    model: DomainModel,
    batch_size: int,
    generator: torch.Generator,
    captions: tuple[str | None, ...] | None = None,
) -> TokenizedPrompts:
    """One prompt per sample, placeholder filled in (see :func:`sample_prompt_texts`)."""
    return _with_placeholder(model, sample_prompt_texts(model, batch_size, generator, captions))


def _with_placeholder(model: DomainModel, texts: list[str]) -> TokenizedPrompts:
    """``texts`` tokenized with the placeholder token where ``{concept}`` stands."""
    placeholder = model.config.placeholder_token
    return model.prompt_encoder.tokenize([t.replace(CONCEPT_MARKER, placeholder) for t in texts])


def sample_prompt_texts(
    model: DomainModel,
    batch_size: int,
    generator: torch.Generator,
    captions: tuple[str | None, ...] | None = None,
) -> list[str]:
    """One prompt per sample, still with ``{concept}``: the sample's caption where it has one,
    else a prompt template drawn with ``generator`` (drawn for every sample, so captions do not
    shift the random stream)."""
    templates = model.config.prompt_templates
    picks = torch.randint(len(templates), (batch_size,), generator=generator).tolist()
    chosen = [templates[i] for i in picks]
    if captions is not None:
        if len(captions) != batch_size:
            raise ValueError(f"{len(captions)} captions for a batch of {batch_size}")
        chosen = [
            template if text is None else text
            for template, text in zip(chosen, captions, strict=True)
        ]
    return chosen


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` ``(B, C, h, w)`` over the pixels ``mask`` ``(B, 1, h, w)`` weights;
    an all-zero mask gives 0 rather than NaN."""
    return (values * mask).sum() / (mask.sum() * values.shape[1]).clamp(min=1.0)


def check_timestep_range(timestep_range: tuple[int, int], num_train_timesteps: int) -> None:
    """Raise ``ValueError`` unless ``timestep_range`` is a non-empty half-open range of the
    scheduler's training timesteps."""
    low, high = timestep_range
    if not 0 <= low < high <= num_train_timesteps:
        raise ValueError(
            f"timestep_range {tuple(timestep_range)} is not a non-empty range inside "
            f"[0, {num_train_timesteps})"
        )


def denoising_loss(
    trainable: nn.Module,
    model: DomainModel,
    batch: TrainingBatch,
    *,
    generator: torch.Generator,
    regularization: RegularizationWeights,
    timestep_range: tuple[int, int] | None = None,
    description_weight: float = 0.0,
) -> LossTerms:
    """The E4T training loss for one batch. ``trainable`` is an :class:`E4TTrainable` (or a
    DDP wrapper of one); ``generator`` is a CPU generator that supplies all randomness.
    Timesteps are drawn uniformly from ``timestep_range`` (half-open; default: all of the
    scheduler's)."""
    base = model.base
    device = model.device
    images = batch.images.to(device)
    batch_size = images.shape[0]
    latents = image_latents(base, images, sample_generator=generator)
    noise = randn_tensor(latents.shape, generator=generator, device=device, dtype=latents.dtype)
    num_train_timesteps = base.scheduler.config["num_train_timesteps"]
    if timestep_range is None:
        timesteps = torch.randint(num_train_timesteps, (batch_size,), generator=generator)
    else:
        check_timestep_range(timestep_range, num_train_timesteps)
        low, high = timestep_range
        timesteps = torch.randint(low, high, (batch_size,), generator=generator)
    timesteps = timesteps.to(device)
    noisy_latents = base.scheduler.add_noise(latents, noise, cast(torch.IntTensor, timesteps))
    texts = sample_prompt_texts(model, batch_size, generator, batch.captions)
    prompts = _with_placeholder(model, texts).to(device)

    encoder_inputs = _encoder_inputs(model, batch, images, latents, noise, timesteps, generator)
    output = trainable(
        images,
        noisy_latents,
        timesteps,
        prompts.input_ids,
        prompts.placeholder_mask,
        **encoder_inputs,
    )
    target = _target(model, latents, noise, timesteps)
    squared_error = (output.prediction.float() - target.float()) ** 2
    mask = None
    if batch.masks is not None:
        mask = F.interpolate(batch.masks.to(device), size=latents.shape[-2:], mode="area")
        denoising = masked_mean(squared_error, mask)
    else:
        denoising = squared_error.mean()
    description = torch.zeros((), device=device)
    if description_weight > 0 and batch.descriptions is not None:
        teacher, described = description_teacher(
            model, noisy_latents, timesteps, texts, batch.descriptions
        )
        pixels = torch.ones_like(teacher[:, :1]) if mask is None else mask
        weights = described[:, None, None, None] * pixels
        description = masked_mean((output.prediction.float() - teacher.float()) ** 2, weights)
    embedding_l2 = output.embedding_offset.pow(2).sum(dim=-1).mean()
    total = (
        denoising
        + description_weight * description
        + regularization.embedding * embedding_l2
        + regularization.weights * output.weight_offset_l2
    )
    return LossTerms(
        total,
        denoising.detach(),
        embedding_l2.detach(),
        output.weight_offset_l2.detach(),
        description.detach(),
    )


@torch.no_grad()
def description_teacher(
    model: DomainModel,
    noisy_latents: torch.Tensor,
    timesteps: torch.Tensor,
    texts: list[str],
    descriptions: tuple[str | None, ...],
) -> tuple[torch.Tensor, torch.Tensor]:
    """The UNet's prediction, without offsets, with each sample's description in its concept's
    place, and which samples have a description (``(B,)`` of 0/1)."""
    if len(descriptions) != len(texts):
        raise ValueError(f"{len(descriptions)} descriptions for a batch of {len(texts)}")
    described = [
        text.replace(CONCEPT_MARKER, words if words is not None else model.config.class_word)
        for text, words in zip(texts, descriptions, strict=True)
    ]
    prompts = model.prompt_encoder.tokenize(described)
    with model.hooks.activated(None):
        context = model.prompt_encoder.encode(prompts, None)
        prediction = model.base.unet(noisy_latents, timesteps, context).sample
    present = torch.tensor([words is not None for words in descriptions], device=prediction.device)
    return prediction, present.to(prediction.dtype)


def _encoder_inputs(
    model: DomainModel,
    batch: TrainingBatch,
    images: torch.Tensor,
    latents: torch.Tensor,
    noise: torch.Tensor,
    timesteps: torch.Tensor,
    generator: torch.Generator,
) -> dict[str, torch.Tensor]:
    """What the encoder reads where it is not the denoised picture at the step's timestep: another
    view of the subject, and/or the picture noised to the fixed ``freeze_timestep``."""
    inputs: dict[str, torch.Tensor] = {}
    encoder_timesteps = timesteps
    if model.config.fixed_encoder_timestep:
        encoder_timesteps = torch.full_like(timesteps, model.config.freeze_timestep)
        inputs["encoder_timesteps"] = encoder_timesteps
    if batch.encoder_images is not None:  # drawn only here, so runs without views keep their stream
        views = batch.encoder_images.to(images.device)
        inputs.update(_noised_view(model, views, encoder_timesteps, generator))
    elif model.config.fixed_encoder_timestep:
        # the step's own noise, at the encoder's timestep: no extra draw from the stream
        scheduler = model.base.scheduler
        noisy = scheduler.add_noise(latents, noise, cast(torch.IntTensor, encoder_timesteps))
        inputs.update(encoder_images=images, encoder_latents=noisy)
    return inputs


def _noised_view(
    model: DomainModel, images: torch.Tensor, timesteps: torch.Tensor, generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """The encoder's inputs for other views of the batch's subjects: the pictures and their
    latents noised to ``timesteps`` with noise of their own."""
    base = model.base
    latents = image_latents(base, images, sample_generator=generator)
    noise = randn_tensor(
        latents.shape, generator=generator, device=images.device, dtype=latents.dtype
    )
    noisy = base.scheduler.add_noise(latents, noise, cast(torch.IntTensor, timesteps))
    return {"encoder_images": images, "encoder_latents": noisy}


def _target(
    model: DomainModel, latents: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor
) -> torch.Tensor:
    scheduler = model.base.scheduler
    prediction_type = scheduler.config["prediction_type"]
    if prediction_type == "epsilon":
        return noise
    if prediction_type == "v_prediction":
        return scheduler.get_velocity(latents, noise, cast(torch.IntTensor, timesteps))
    raise ValueError(f"unsupported scheduler prediction_type {prediction_type!r}")


def optimization_step(
    trainable: nn.Module,
    model: DomainModel,
    batch: TrainingBatch,
    optimizer: torch.optim.Optimizer,
    *,
    generator: torch.Generator,
    regularization: RegularizationWeights,
    timestep_range: tuple[int, int] | None = None,
    description_weight: float = 0.0,
) -> LossTerms:
    """Zero grads, compute :func:`denoising_loss`, backpropagate, step the optimizer."""
    optimizer.zero_grad(set_to_none=True)
    terms = denoising_loss(
        trainable,
        model,
        batch,
        generator=generator,
        regularization=regularization,
        timestep_range=timestep_range,
        description_weight=description_weight,
    )
    terms.total.backward()
    optimizer.step()
    return terms
