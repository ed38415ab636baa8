"""Can E4T's encoder carry a person at all? Its output and its input, probed apart.

    python -m e4t_server.demo.encoder_capacity --model DOMAIN_MODEL_DIR

1. **One token's capacity** (the encoder's output side): for each of ``--token-people``
   held-out people, one word embedding is optimized, Textual-Inversion style, on 8 pictures of
   them (all contexts, their captions, timesteps 300–999, masked loss, no domain offsets). The
   masked denoising loss of *other* pictures of each person is then compared with the concept
   word filled by the class word, the person's own optimized embedding, another person's, and
   with every trait of the person written out in words. If the own embedding comes near the
   trait words, a single token can carry what the base model draws of a person, and how far it
   had to move from the class word says how far the encoder's output must reach.
2. **Feature readout** (the encoder's input side): a linear classifier per identity factor,
   fitted on the encoder's frozen input features of ``--readout-train`` train-split people
   (the CLIP [CLS] tokens it reads, and the pooled UNet-encoder features at the domain's frozen
   timestep, or at each of ``--readout-timesteps``) and scored on ``--readout-people`` held-out
   people. Above the majority share, the encoder's inputs carry that factor linearly.

Prints markdown tables.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from e4t_server.demo.base_probe import caption_contexts, masked_losses, rendered_targets
from e4t_server.demo.captions import fully_described_face
from e4t_server.demo.dataset import Samples, render_samples, split_seeds
from e4t_server.demo.encoder_probe import placeholder_prompts
from e4t_server.demo.imaging import to_tensor
from e4t_server.engine.domain_model import DomainModel, num_train_timesteps
from e4t_server.engine.encoder import image_latents
from e4t_server.engine.prompts import TokenizedPrompts
from e4t_server.engine.training import masked_mean

CLASS, OWN, OTHER, WORDS = "class word", "own token", "another person's token", "trait words"
READOUT_FACTORS = ("hair_style", "hair_colour", "glasses", "beard", "jaw", "eye_colour")
TOKEN_TIMESTEPS = (300, 1000)
"""Half-open range of the timesteps the tokens are optimized on (where identity decides)."""


@dataclass(frozen=True)
class TokenCapacity:
    """Masked loss per timestep and concept kind, and how far the tokens moved."""

    loss: dict[int, dict[str, float]]
    shift_norm: float
    """Mean ‖optimized embedding − class word embedding‖."""
    class_norm: float


def token_capacity(
    model: DomainModel,
    *,
    people: int = 16,
    pictures: int = 8,
    steps: int = 300,
    lr: float = 5e-3,
    batch_size: int = 32,
    timesteps: Sequence[int] = (300, 500, 700, 900),
    seed: int = 0,
) -> TokenCapacity:
    """Probe 1 (see the module docstring) on the first ``people`` held-out identities."""
    base, size = model.base, model.config.resolution
    seeds = split_seeds("heldout", people)
    train = render_samples(seeds, images_per_identity=pictures, seed=seed + 11, size=size)
    latents = image_latents(base, to_tensor(train.images, size), sample_generator=None)
    masks = torch.from_numpy(train.masks).float()[:, None] / 255.0
    masks = F.interpolate(masks, size=latents.shape[-2:], mode="area")
    prompts = placeholder_prompts(model, train)
    owner = torch.arange(people).repeat_interleave(pictures)
    class_embedding = model.class_word_embedding.detach()
    tokens = class_embedding.expand(people, -1).clone().requires_grad_(True)
    optimizer = torch.optim.Adam([tokens], lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        pick = torch.randint(len(owner), (batch_size,), generator=generator)
        t = torch.randint(*TOKEN_TIMESTEPS, (batch_size,), generator=generator)
        noise = torch.randn(latents[pick].shape, generator=generator)
        noisy = base.scheduler.add_noise(latents[pick], noise, t)  # type: ignore[arg-type]
        batch_prompts = TokenizedPrompts(prompts.input_ids[pick], prompts.placeholder_mask[pick])
        context = model.prompt_encoder.encode(batch_prompts, tokens[owner[pick]])
        loss = masked_mean((base.unet(noisy, t, context).sample - noise) ** 2, masks[pick])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    learned = tokens.detach()
    with torch.no_grad():
        targets, target_latents, target_masks = rendered_targets(base, seeds, seed + 1, size)
        target_prompts = placeholder_prompts(model, targets)
        contexts = {
            CLASS: model.prompt_encoder.encode(target_prompts, class_embedding),
            OWN: model.prompt_encoder.encode(target_prompts, learned),
            OTHER: model.prompt_encoder.encode(target_prompts, learned.roll(1, dims=0)),
            WORDS: caption_contexts(
                base, targets.nuisances, [fully_described_face(i) for i in targets.identities]
            ),
        }
        table = masked_losses(
            base,
            target_latents,
            target_masks,
            contexts,
            timesteps=timesteps,
            generator=torch.Generator().manual_seed(seed),
            repeats=3,
        )
    return TokenCapacity(
        loss=table,
        shift_norm=float((learned - class_embedding).norm(dim=-1).mean()),
        class_norm=float(class_embedding.norm()),
    )


@torch.no_grad()
def encoder_input_features(
    model: DomainModel,
    samples: Samples,
    *,
    unet_timesteps: Sequence[int],
    seed: int = 0,
    chunk: int = 128,
) -> dict[str, np.ndarray]:
    """The encoder's frozen inputs per picture: ``clip`` (the [CLS] tokens it reads,
    concatenated) and, per timestep ``t`` of ``unet_timesteps``, ``unet t=…`` (the pooled
    UNet-encoder features of the picture noised to ``t``, the same noise for every ``t``)."""
    base, encoder = model.base, model.encoder
    images = to_tensor(samples.images, model.config.resolution)
    generator = torch.Generator().manual_seed(seed)
    features: dict[str, list[torch.Tensor]] = {"clip": []}
    for start in range(0, len(images), chunk):
        batch = images[start : start + chunk]
        vision = base.image_encoder(
            pixel_values=base.image_preprocessing(batch), output_hidden_states=True
        )
        features["clip"].append(torch.cat(encoder.clip_tokens(vision.hidden_states), dim=1))
        latents = image_latents(base, batch, sample_generator=None)
        noise = torch.randn(latents.shape, generator=generator)
        for timestep in unet_timesteps:
            t = torch.full((len(batch),), timestep)
            noisy = base.scheduler.add_noise(latents, noise, t)  # type: ignore[arg-type]
            features.setdefault(unet_column(timestep), []).append(encoder.unet_features(noisy, t))
    return {name: torch.cat(parts).numpy() for name, parts in features.items()}


def unet_column(timestep: int) -> str:
    """The readout's name for the pooled UNet features at ``timestep``."""
    return f"unet t={timestep}"


def linear_readout(
    train: np.ndarray, train_labels: Sequence[str], test: np.ndarray, test_labels: Sequence[str]
) -> float:
    """Held-out accuracy of an L2-regularized softmax classifier on standardized features."""
    mean, std = train.mean(0), train.std(0) + 1e-6
    x_train = torch.tensor((train - mean) / std, dtype=torch.float32)
    x_test = torch.tensor((test - mean) / std, dtype=torch.float32)
    classes = sorted(set(train_labels))
    y = torch.tensor([classes.index(label) for label in train_labels])
    weight = torch.zeros(x_train.shape[1], len(classes), requires_grad=True)
    bias = torch.zeros(len(classes), requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=300)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(x_train @ weight + bias, y) + 1e-2 * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        predicted = (x_test @ weight + bias).argmax(1).tolist()
    hits = sum(classes[p] == label for p, label in zip(predicted, test_labels, strict=True))
    return hits / len(test_labels)


def feature_readout(
    model: DomainModel,
    *,
    train_people: int = 3000,
    test_people: int = 600,
    unet_timesteps: Sequence[int] | None = None,
) -> dict[str, dict[str, float]]:
    """Probe 2: per factor, the majority share and each feature set's held-out accuracy; the
    UNet features are read at ``unet_timesteps`` (default: the domain's frozen timestep)."""
    timesteps = (model.config.freeze_timestep,) if unet_timesteps is None else unet_timesteps
    size = model.config.resolution
    train_samples = render_samples(
        split_seeds("train", train_people),
        images_per_identity=1,
        seed=5,
        size=size,
    )
    test_samples = render_samples(
        split_seeds("heldout", test_people), images_per_identity=1, seed=7, size=size
    )
    train_features = encoder_input_features(model, train_samples, unet_timesteps=timesteps)
    test_features = encoder_input_features(model, test_samples, unet_timesteps=timesteps)
    table: dict[str, dict[str, float]] = {}
    for factor in READOUT_FACTORS:
        y_train = [str(getattr(i, factor)) for i in train_samples.identities]
        y_test = [str(getattr(i, factor)) for i in test_samples.identities]
        row = {"majority": max(y_test.count(v) for v in set(y_test)) / len(y_test)}
        for name in train_features:
            row[name] = linear_readout(train_features[name], y_train, test_features[name], y_test)
        table[factor] = row
    return table


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a domain model directory")
    parser.add_argument("--token-people", type=int, default=16)
    parser.add_argument("--token-steps", type=int, default=300)
    parser.add_argument("--readout-train", type=int, default=3000)
    parser.add_argument("--readout-people", type=int, default=600)
    parser.add_argument(
        "--readout-timesteps",
        type=int,
        nargs="+",
        metavar="T",
        help="read the pooled UNet features at these timesteps (default: the frozen one)",
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    for name in ("token_people", "token_steps", "readout_train", "readout_people"):
        if getattr(args, name) < 2:
            parser.error(f"--{name.replace('_', '-')} must be at least 2")
    if args.readout_timesteps:
        timesteps = num_train_timesteps(args.model)
        if not all(0 <= t < timesteps for t in args.readout_timesteps):
            parser.error(f"--readout-timesteps must be in [0, {timesteps})")
    torch.set_num_threads(args.threads)
    model = DomainModel.from_pretrained(args.model)

    capacity = token_capacity(model, people=args.token_people, steps=args.token_steps)
    print(f"| timestep | {CLASS} | {OWN} | {OTHER} | {WORDS} |\n|---:|---:|---:|---:|---:|")
    for timestep, row in capacity.loss.items():
        cells = " | ".join(f"{row[k]:.5f}" for k in (CLASS, OWN, OTHER, WORDS))
        print(f"| {timestep} | {cells} |")
    print(
        f"\ntokens moved {capacity.shift_norm:.3f} from the class word "
        f"(its norm {capacity.class_norm:.3f})\n"
    )
    readout = feature_readout(
        model,
        train_people=args.readout_train,
        test_people=args.readout_people,
        unet_timesteps=args.readout_timesteps,
    )
    columns = list(next(iter(readout.values())))
    print(f"| factor | {' | '.join(columns)} |\n|---|{'---:|' * len(columns)}")
    for factor, row in readout.items():
        print(f"| {factor} | {' | '.join(f'{row[c]:.3f}' for c in columns)} |")


if __name__ == "__main__":
    main()
