"""How far apart does the base model's text tower keep the words a caption can differ by?

    python -m e4t_server.demo.text_probe --model server/e4t_server/demo/weights/face-domain

The UNet reads a caption only through the text tower's per-token outputs (cross-attention). If
two captions that differ in one word come out of the tower nearly the same, the UNet has almost
nothing to tell them apart by. For each factor a caption names, this takes held-out people's
full captions (every trait in words, the person's own context), swaps the factor's value for
each other value whose words have the same token count, and measures, at the first token that
differs, the distance between the two outputs relative to their norm, and the cosine similarity
of the two pooled outputs. ``--model`` is a domain model directory or a ``train_base`` output.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from itertools import permutations
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import CLIPTextModel, CLIPTokenizer

from e4t_server.demo.base_probe import load_base
from e4t_server.demo.captions import fully_described_face
from e4t_server.demo.dataset import split_seeds
from e4t_server.demo.faces import (
    BACKGROUNDS,
    CATEGORICAL_FACTORS,
    LIGHTINGS,
    STYLES,
    caption,
    identity_from_seed,
    nuisance_from_seed,
)

TRAIT_FACTORS = ("hair_colour", "hair_style", "glasses", "jaw", "eye_colour")
"""Worded identity factors with values of equal token count (no two beard phrases have one;
skin tone is worded from a continuous amount)."""
CONTEXT_FACTORS: dict[str, tuple[str, ...]] = {
    "background": tuple(BACKGROUNDS),
    "lighting": LIGHTINGS,
    "style": STYLES,
}


@dataclass(frozen=True)
class Separation:
    """How differently the text tower encodes one factor's values (means over caption pairs;
    NaN where no two values have words of the same token count)."""

    word_distance: float
    """‖h_a − h_b‖ / ‖h_a‖ at the first token where the two captions differ."""
    pooled_cosine: float
    pairs: int


def factor_captions(factor: str, seed: int) -> list[str]:
    """The full caption of held-out person ``seed`` once per value of ``factor``."""
    person, nuisance = identity_from_seed(seed), nuisance_from_seed(seed)
    values = CONTEXT_FACTORS.get(factor) or CATEGORICAL_FACTORS[factor]
    changes: list[dict[str, Any]] = [{factor: value} for value in values]
    if factor in CONTEXT_FACTORS:
        face = fully_described_face(person)
        return [caption(replace(nuisance, **change), placeholder=face) for change in changes]
    return [
        caption(nuisance, placeholder=fully_described_face(replace(person, **change)))
        for change in changes
    ]


@torch.no_grad()
def separation(
    text_encoder: CLIPTextModel, tokenizer: CLIPTokenizer, factor: str, people: int = 10
) -> Separation:
    """Swap ``factor``'s value in ``people`` held-out captions (module docstring)."""
    distances, cosines = [], []
    for seed in split_seeds("heldout", people):
        captions = factor_captions(factor, seed)
        encoded = tokenizer(
            captions, padding="max_length", max_length=77, truncation=True, return_tensors="pt"
        )
        ids, lengths = encoded.input_ids, encoded.attention_mask.sum(dim=1).tolist()
        output = text_encoder(ids)
        hidden, pooled = output.last_hidden_state, output.pooler_output
        for a, b in permutations(range(len(captions)), 2):
            if lengths[a] != lengths[b] or captions[a] == captions[b]:
                continue
            position = int(torch.nonzero(ids[a] != ids[b])[0])
            word_a, word_b = hidden[a, position], hidden[b, position]
            distances.append(float((word_a - word_b).norm() / word_a.norm()))
            cosines.append(float(torch.cosine_similarity(pooled[a], pooled[b], dim=0)))
    if not distances:  # e.g. a tokenizer that splits one value's word into more pieces
        return Separation(float("nan"), float("nan"), 0)
    return Separation(float(np.mean(distances)), float(np.mean(cosines)), len(distances))


def main() -> None:
    """Command-line entry point: one markdown table, a row per factor."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--people", type=int, default=10, help="held-out people's captions")
    args = parser.parse_args()
    base = load_base(args.model)
    print("| factor | word distance | pooled cosine | caption pairs |\n|---|---:|---:|---:|")
    for factor in (*TRAIT_FACTORS, *CONTEXT_FACTORS):
        result = separation(base.text_encoder, base.tokenizer, factor, args.people)
        print(
            f"| {factor} | {result.word_distance:.3f} | {result.pooled_cosine:.3f} "
            f"| {result.pairs} |"
        )


if __name__ == "__main__":
    main()
