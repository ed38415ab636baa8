"""Does a domain model's E4T encoder carry identity? A probe on held-out people.

    python -m e4t_server.demo.encoder_probe --model server/e4t_server/demo/weights/face-domain

For each person, the encoder embeds their input photo (``demo.scenes.input_photo``, as a
concept is made from), frozen at the domain's ``freeze_timestep``. The masked denoising loss of
*other* pictures of that person (other contexts, poses and lighting) is then measured at fixed
timesteps and noise, with the domain offsets on, and the caption's concept word filled by: the
class word, the person's own encoder embedding, or another person's. If the encoder learned
identity, the person's own embedding gives the lowest loss. Also reports how far the encoder
moves the embedding from the class word's, against the spread between people.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from e4t_server.demo.base_probe import masked_losses, rendered_targets
from e4t_server.demo.dataset import Samples, split_seeds
from e4t_server.demo.faces import caption
from e4t_server.demo.scenes import input_photo
from e4t_server.engine.config import CONCEPT_MARKER
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.images import to_tensor
from e4t_server.engine.prompts import TokenizedPrompts

CLASS, OWN, OTHER = "class word", "own embedding", "another person's embedding"


@dataclass(frozen=True)
class EncoderProbe:
    """Masked loss per timestep and concept kind, and embedding-shift statistics."""

    loss: dict[int, dict[str, float]]
    shift_norm: float
    """Mean ‖embedding − class word embedding‖ over the people."""
    spread: float
    """Mean distance of a person's embedding from the people's mean embedding."""
    class_norm: float
    """‖class word embedding‖, the scale both numbers compare with."""


def placeholder_prompts(model: DomainModel, samples: Samples) -> TokenizedPrompts:
    """Each picture's caption with the model's placeholder token where the concept goes."""
    token = model.config.placeholder_token
    return model.prompt_encoder.tokenize(
        [caption(n).replace(CONCEPT_MARKER, token) for n in samples.nuisances]
    )


@torch.no_grad()
def encoder_probe(
    model: DomainModel,
    *,
    people: int = 32,
    timesteps: Sequence[int] = (300, 500, 700),
    seed: int = 0,
) -> EncoderProbe:
    """Run the probe on the first ``people`` held-out identities (see the module docstring)."""
    config = model.config
    seeds = split_seeds("heldout", people)
    photos = torch.stack([to_tensor(input_photo(s), config.resolution) for s in seeds])
    noise_generator = torch.Generator().manual_seed(seed)
    freeze = torch.full((people,), config.freeze_timestep)
    with model.hooks.activated(model.offsets):
        embeddings = model.encoder.encode_image(photos, freeze, noise_generator).embedding
    class_embedding = model.class_word_embedding.detach()

    base = model.base
    targets, latents, masks = rendered_targets(base, seeds, seed + 1, config.resolution)
    prompts = placeholder_prompts(model, targets)
    concept = {
        CLASS: class_embedding.expand_as(embeddings),
        OWN: embeddings,
        OTHER: embeddings.roll(1, dims=0),
    }
    generator = torch.Generator().manual_seed(seed)
    with model.hooks.activated(model.offsets):
        contexts = {kind: model.prompt_encoder.encode(prompts, e) for kind, e in concept.items()}
        loss = masked_losses(
            base, latents, masks, contexts, timesteps=timesteps, generator=generator
        )
    return EncoderProbe(
        loss=loss,
        shift_norm=float((embeddings - class_embedding).norm(dim=-1).mean()),
        spread=float((embeddings - embeddings.mean(0)).norm(dim=-1).mean()),
        class_norm=float(class_embedding.norm()),
    )


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a domain model directory")
    parser.add_argument("--people", type=int, default=32)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    probe = encoder_probe(DomainModel.from_pretrained(args.model), people=args.people)
    print(f"| timestep | {CLASS} | {OWN} | {OTHER} |\n|---:|---:|---:|---:|")
    for timestep, row in probe.loss.items():
        print(f"| {timestep} | {row[CLASS]:.5f} | {row[OWN]:.5f} | {row[OTHER]:.5f} |")
    mean_own = np.mean([row[OWN] for row in probe.loss.values()])
    print(
        f"\nembedding shift {probe.shift_norm:.4f}, spread between people {probe.spread:.4f}, "
        f"class word norm {probe.class_norm:.4f}; mean own-embedding loss {mean_own:.4f}"
    )


if __name__ == "__main__":
    main()
