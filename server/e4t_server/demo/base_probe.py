"""How much identity can the demo base model express? Two probes, on held-out people.

    python -m e4t_server.demo.base_probe --model server/e4t_server/demo/weights/face-domain

1. **Trait loss**: the masked denoising loss on the person, at fixed timesteps and noise, with
   the caption naming "a face", the person's own traits, or another person's traits. The gap
   between the first two is the identity signal a text embedding can give the loss at all
   (what E4T's encoder, Textual Inversion and LoRA all learn from).
2. **Guidance sweep**: identity similarity to the input photo of generations prompted with every
   trait in words, against "a face", per classifier-free guidance scale.
3. **VAE round trip**: identity similarity to the input photo of other pictures of the person,
   as rendered and after a VAE encode–decode round trip: the most identity a generator working in
   this latent space could keep.
4. **Trait readout**: which traits the model draws when a prompt names them all. The identity
   metric reads the factors of each generation, per prompt context, next to the person's true
   renders, "a face" (a random person), and a stranger wearing the person's nameable traits
   (the most a prompt in words could keep). How often the most common reading of each factor
   comes up tells whether the metric tells the pictures apart at all.

``--model`` is a domain model directory or a ``train_base`` output. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import (
    StableDiffusionPipeline,
)
from PIL import Image

from e4t_server.demo.base_model import RESOLUTION
from e4t_server.demo.captions import CLASS_WORD, fully_described_face
from e4t_server.demo.dataset import Samples, render_samples, split_seeds
from e4t_server.demo.faces import (
    IdentityFactors,
    NuisanceFactors,
    caption,
    identity_from_seed,
    nuisance_from_seed,
    render,
)
from e4t_server.demo.identity import IdentityMetric, factor_embedding
from e4t_server.demo.imaging import ImageBatch, to_pictures, to_tensor
from e4t_server.demo.scenes import GUIDANCE_SCALE, PROMPT_CONTEXTS, input_photo, prompt_for
from e4t_server.demo.train_base import SD_DIR, VISION_DIR
from e4t_server.engine.components import BaseComponents, stable_diffusion_pipeline
from e4t_server.engine.domain_model import IMAGE_ENCODER_DIR, load_base_components
from e4t_server.engine.encoder import image_latents
from e4t_server.engine.training import masked_mean

PLAIN, OWN, OTHER = "a face", "own traits", "another person's traits"
PLAIN_PHRASE = f"a {CLASS_WORD}"
"""The class word alone: what "a face" prompts say instead of the person's traits."""
TRUE, NAMEABLE = "true render", "nameable traits on a stranger"
NAMEABLE_FACTORS = (
    "hair_colour",
    "hair_style",
    "glasses",
    "beard",
    "skin_tone",
    "jaw",
    "eye_colour",
    "freckles",
    "earrings",
    "mouth_shape",
)
"""The factors a caption can name (``captions.trait_phrases``)."""
READ_FACTORS = ("hair_style", "hair_colour", "glasses", "beard", "jaw", "mouth_shape", "freckles")
"""Nameable factors the identity metric reads well (not eye colour or earrings, see the docs)."""


def load_base(directory: Path) -> BaseComponents:
    """The base components of a domain model directory or of a ``train_base`` output."""
    if (directory / SD_DIR).is_dir():
        return load_base_components(directory / SD_DIR, directory / VISION_DIR)
    return load_base_components(directory, directory / IMAGE_ENCODER_DIR)


@torch.no_grad()
def rendered_targets(
    base: BaseComponents, seeds: Sequence[int], seed: int, size: int = RESOLUTION
) -> tuple[Samples, torch.Tensor, torch.Tensor]:
    """One picture of each identity: the samples, their VAE latents (distribution mean) and
    their person masks at latent size."""
    samples = render_samples(seeds, images_per_identity=1, seed=seed, size=size)
    latents = image_latents(base, to_tensor(samples.images, size), sample_generator=None)
    masks = torch.from_numpy(samples.masks).float()[:, None] / 255.0
    return samples, latents, F.interpolate(masks, size=latents.shape[-2:], mode="area")


@torch.no_grad()
def masked_losses(
    base: BaseComponents,
    latents: torch.Tensor,
    masks: torch.Tensor,
    contexts: dict[str, torch.Tensor],
    *,
    timesteps: Sequence[int],
    generator: torch.Generator,
    repeats: int = 1,
) -> dict[int, dict[str, float]]:
    """Masked ε-loss per timestep and context kind; every kind sees the same noise draws."""
    table: dict[int, dict[str, float]] = {}
    for timestep in timesteps:
        losses: dict[str, list[float]] = {kind: [] for kind in contexts}
        steps = torch.full((latents.shape[0],), timestep)
        for _ in range(repeats):
            noise = torch.randn(latents.shape, generator=generator)
            noisy = base.scheduler.add_noise(latents, noise, steps)  # type: ignore[arg-type]
            for kind, context in contexts.items():
                error = (base.unet(noisy, steps, context).sample - noise) ** 2
                losses[kind].append(float(masked_mean(error, masks)))
        table[timestep] = {kind: float(np.mean(values)) for kind, values in losses.items()}
    return table


def caption_contexts(
    base: BaseComponents, nuisances: Sequence[NuisanceFactors], phrases: Sequence[str]
) -> torch.Tensor:
    """Text-encoder states of each picture's caption with ``phrases[i]`` as its subject."""
    texts = [caption(n, placeholder=p) for n, p in zip(nuisances, phrases, strict=True)]
    ids = base.tokenizer(
        texts,
        padding="max_length",
        max_length=base.tokenizer.model_max_length,
        truncation=True,
        return_tensors="pt",
    ).input_ids
    return base.text_encoder(ids)[0]


@torch.no_grad()
def trait_loss(
    base: BaseComponents,
    *,
    people: int = 48,
    timesteps: Sequence[int] = (100, 300, 500, 700, 900),
    repeats: int = 3,
    seed: int = 0,
) -> dict[int, dict[str, float]]:
    """Masked ε-loss per timestep and caption kind (see the module docstring)."""
    samples, latents, masks = rendered_targets(base, split_seeds("heldout", people), seed)
    others = samples.identities[1:] + samples.identities[:1]
    phrases = {
        PLAIN: [PLAIN_PHRASE] * people,
        OWN: [fully_described_face(identity) for identity in samples.identities],
        OTHER: [fully_described_face(identity) for identity in others],
    }
    contexts = {
        kind: caption_contexts(base, samples.nuisances, texts) for kind, texts in phrases.items()
    }
    generator = torch.Generator().manual_seed(seed)
    return masked_losses(
        base, latents, masks, contexts, timesteps=timesteps, generator=generator, repeats=repeats
    )


@torch.no_grad()
def guidance_sweep(
    base: BaseComponents,
    guidances: Sequence[float] = (2.0, 3.0, 5.0, 7.5),
    *,
    people: int = 8,
    steps: int = 25,
) -> dict[float, dict[str, float]]:
    """Identity similarity of trait-worded and "a face" generations, per guidance scale."""
    pipeline = stable_diffusion_pipeline(base)
    pipeline.set_progress_bar_config(disable=True)
    metric = IdentityMetric.load()
    table: dict[float, dict[str, float]] = {}
    for guidance in guidances:
        scores: dict[str, list[float]] = {OWN: [], PLAIN: []}
        for identity_seed in split_seeds("heldout", people):
            source = input_photo(identity_seed)
            phrases = {
                OWN: fully_described_face(identity_from_seed(identity_seed)),
                PLAIN: PLAIN_PHRASE,
            }
            for kind, phrase in phrases.items():
                images = pipeline(
                    [prompt_for(context, phrase) for context in PROMPT_CONTEXTS[:2]],
                    num_inference_steps=steps,
                    guidance_scale=guidance,
                    generator=torch.Generator().manual_seed(0),
                    height=RESOLUTION,
                    width=RESOLUTION,
                ).images
                scores[kind] += list(metric.pairwise_similarity([source] * len(images), images))
        table[guidance] = {kind: float(np.mean(values)) for kind, values in scores.items()}
    return table


@torch.no_grad()
def vae_round_trip(base: BaseComponents, *, people: int = 50, seed: int = 1) -> dict[str, float]:
    """Mean identity similarity to each person's input photo of another picture of them, as
    rendered (``"rendered"``) and decoded from its VAE latents (``"round trip"``)."""
    seeds = split_seeds("heldout", people)
    samples, latents, _ = rendered_targets(base, seeds, seed)
    decoded = base.vae.decode(latents / base.vae.config["scaling_factor"]).sample
    sources = [input_photo(identity_seed) for identity_seed in seeds]
    metric = IdentityMetric.load()
    pictures = {
        "rendered": [Image.fromarray(image) for image in samples.images],
        "round trip": to_pictures(decoded),
    }
    return {
        kind: float(np.mean(metric.pairwise_similarity(sources, images)))
        for kind, images in pictures.items()
    }


def nameable_traits_on(person: IdentityFactors, stranger: IdentityFactors) -> IdentityFactors:
    """``stranger`` with every trait of ``person`` that a caption can name."""
    return replace(stranger, **{name: getattr(person, name) for name in NAMEABLE_FACTORS})


Scene = tuple[str, str, str]
"""A prompt context: style, background, lighting (``scenes.PROMPT_CONTEXTS``)."""


@torch.no_grad()
def worded_and_plain(
    pipeline: StableDiffusionPipeline,
    person: IdentityFactors,
    scene: Scene,
    *,
    samples: int,
    seed: int,
    steps: int = 25,
    guidance: float = GUIDANCE_SCALE,
    eta: float = 0.0,
    guide_words_only: bool = False,
) -> dict[str, list[Image.Image]]:
    """``samples`` generations in ``scene`` prompted with every trait of ``person`` in words
    (``OWN``) and as many with "a face" (``PLAIN``), on the same noise: a pair differs only in
    the words. ``guide_words_only``: the worded prompt's negative prompt is the scene with "a
    face" instead of "", so guidance pushes only on what the words add."""
    plain_prompt = prompt_for(scene, PLAIN_PHRASE)
    pictures = {}
    for kind, phrase in ((OWN, fully_described_face(person)), (PLAIN, PLAIN_PHRASE)):
        negative = plain_prompt if guide_words_only and kind == OWN else ""
        pictures[kind] = pipeline(
            [prompt_for(scene, phrase)] * samples,
            negative_prompt=[negative] * samples,
            num_inference_steps=steps,
            guidance_scale=guidance,
            eta=eta,
            generator=torch.Generator().manual_seed(seed),
            height=RESOLUTION,
            width=RESOLUTION,
        ).images
    return pictures


@dataclass(frozen=True)
class Reading:
    """What the identity metric reads in some pictures of one person, per picture."""

    similarity: list[float]
    """Identity similarity to the person's input photo."""
    agreement: dict[str, list[bool]]
    """Per read factor: whether the predicted value is the person's."""
    values: dict[str, list[str]]
    """Per read factor: the predicted value."""
    amounts: dict[str, list[float]]
    """Per continuous factor (skin tone, face width, ...): the predicted amount in [0, 1]."""


def read_pictures(
    metric: IdentityMetric,
    pictures: ImageBatch,
    source: torch.Tensor,
    person: IdentityFactors,
    factors: Sequence[str] = READ_FACTORS,
) -> Reading:
    """Read ``pictures`` of ``person``; ``source`` is the metric's embedding of the input photo."""
    prediction = metric.predict(pictures)  # once: both scores read the same factors
    labels = prediction.labels(metric.config)
    return Reading(
        similarity=(factor_embedding(prediction) @ source).tolist(),
        agreement={f: [value[f] == getattr(person, f) for value in labels] for f in factors},
        values={f: [str(value[f]) for value in labels] for f in factors},
        amounts={f: [float(value[f]) for value in labels] for f in metric.config.continuous},
    )


@dataclass(frozen=True)
class TraitReadout:
    """Per picture kind: mean identity similarity to the input photo per prompt context, the
    share of pictures whose predicted factor equals the person's, per read factor, and the share
    of the factor's most common predicted value (near 1: the metric reads every picture alike,
    so its agreement says little)."""

    similarity: dict[str, list[float]]
    agreement: dict[str, dict[str, float]]
    modal_share: dict[str, dict[str, float]]


@torch.no_grad()
def trait_readout(
    base: BaseComponents, *, people: int = 30, samples: int = 2, steps: int = 25
) -> TraitReadout:
    """Which traits the model draws when the prompt names them all (module docstring, 4.)."""
    pipeline = stable_diffusion_pipeline(base)
    pipeline.set_progress_bar_config(disable=True)
    metric = IdentityMetric.load()
    kinds = (TRUE, OWN, PLAIN, NAMEABLE)
    scores: dict[str, list[list[float]]] = {kind: [[] for _ in PROMPT_CONTEXTS] for kind in kinds}
    hits: dict[str, dict[str, list[bool]]] = {k: {f: [] for f in READ_FACTORS} for k in kinds}
    read: dict[str, dict[str, list[str]]] = {k: {f: [] for f in READ_FACTORS} for k in kinds}
    for identity_seed in split_seeds("heldout", people):
        person = identity_from_seed(identity_seed)
        wearer = nameable_traits_on(person, identity_from_seed(identity_seed + 500_000))
        source = metric.embed([input_photo(identity_seed)])[0]
        for index, scene in enumerate(PROMPT_CONTEXTS):
            style, background, lighting = scene
            nuisances = [
                nuisance_from_seed(
                    identity_seed * 10 + k, style=style, background=background, lighting=lighting
                )
                for k in range(samples)
            ]
            pictures = {
                TRUE: [render(person, n, RESOLUTION)[0] for n in nuisances],
                NAMEABLE: [render(wearer, n, RESOLUTION)[0] for n in nuisances],
                **worded_and_plain(
                    pipeline, person, scene, samples=samples, seed=index, steps=steps
                ),
            }
            for kind, images in pictures.items():
                reading = read_pictures(metric, images, source, person)
                scores[kind][index].append(float(np.mean(reading.similarity)))
                for factor, agrees in reading.agreement.items():
                    hits[kind][factor] += agrees
                    read[kind][factor] += reading.values[factor]
    return TraitReadout(
        similarity={kind: [float(np.mean(c)) for c in scores[kind]] for kind in kinds},
        agreement={k: {f: float(np.mean(v)) for f, v in hits[k].items()} for k in kinds},
        modal_share={k: {f: modal_share(v) for f, v in read[k].items()} for k in kinds},
    )


def modal_share(values: list[str]) -> float:
    """The share of ``values`` taken by the most common one."""
    return Counter(values).most_common(1)[0][1] / len(values)


def print_trait_readout(readout: TraitReadout) -> None:
    """The readout as three markdown tables."""
    contexts = [f"{style} / {background}" for style, background, _ in PROMPT_CONTEXTS]
    print(f"\n| pictures | {' | '.join(contexts)} | all |\n|---|{'---:|' * (len(contexts) + 1)}")
    for kind, values in readout.similarity.items():
        cells = " | ".join(f"{value:.3f}" for value in values)
        print(f"| {kind} | {cells} | {np.mean(values):.3f} |")
    kinds = list(readout.agreement)
    for title, table in (
        ("factor", readout.agreement),
        ("most common reading", readout.modal_share),
    ):
        print(f"\n| {title} | {' | '.join(kinds)} |\n|---|{'---:|' * len(kinds)}")
        for factor in READ_FACTORS:
            cells = " | ".join(f"{table[kind][factor]:.2f}" for kind in kinds)
            print(f"| {factor} | {cells} |")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument(
        "--sweep-people", type=int, default=8, help="held-out people in the guidance sweep"
    )
    parser.add_argument(
        "--readout-people", type=int, default=30, help="held-out people in the trait readout"
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    base = load_base(args.model)
    print(f"| timestep | {PLAIN} | {OWN} | {OTHER} |\n|---:|---:|---:|---:|")
    for timestep, row in trait_loss(base).items():
        print(f"| {timestep} | {row[PLAIN]:.4f} | {row[OWN]:.4f} | {row[OTHER]:.4f} |")
    print(f"\n| guidance | {OWN} | {PLAIN} |\n|---:|---:|---:|")
    for guidance, row in guidance_sweep(base, people=args.sweep_people).items():
        print(f"| {guidance:g} | {row[OWN]:.3f} | {row[PLAIN]:.3f} |")
    round_trip = vae_round_trip(base)
    print("\n| pictures | identity similarity to the input photo |\n|---|---:|")
    for kind, value in round_trip.items():
        print(f"| {kind} | {value:.3f} |")
    print_trait_readout(trait_readout(base, people=args.readout_people))


if __name__ == "__main__":
    main()
