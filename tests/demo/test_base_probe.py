"""The base-model probes, run on the shipped demo model."""

from __future__ import annotations

import math

import pytest

from e4t_server.demo import pretrained
from e4t_server.demo.base_probe import (
    OTHER,
    OWN,
    PLAIN,
    guidance_sweep,
    load_base,
    trait_loss,
    vae_round_trip,
)
from e4t_server.engine.components import BaseComponents


@pytest.fixture(scope="module")
def base() -> BaseComponents:
    return load_base(pretrained.face_domain_dir())


def test_naming_the_persons_own_traits_lowers_the_shipped_models_loss(
    base: BaseComponents,
) -> None:
    """The base model learned what trait words mean: its denoising loss on a person is lower
    with that person's traits in the caption than with "a face" or with another person's
    traits (the opposite of a model whose captions named the wrong people)."""
    table = trait_loss(base, people=16, timesteps=(500, 700, 900), repeats=1)
    totals = {kind: sum(row[kind] for row in table.values()) for kind in (PLAIN, OWN, OTHER)}
    assert totals[OWN] < totals[PLAIN] and totals[OWN] < totals[OTHER]


def test_the_guidance_sweep_scores_both_prompt_kinds(base: BaseComponents) -> None:
    table = guidance_sweep(base, (3.0,), people=1, steps=2)
    assert set(table) == {3.0}
    assert set(table[3.0]) == {OWN, PLAIN}
    assert all(math.isfinite(value) and -1 <= value <= 1 for value in table[3.0].values())


def test_the_vae_round_trip_keeps_most_of_the_identity(base: BaseComponents) -> None:
    """Decoded pictures still look like the person (far above the ~0.11 between different
    people), though less than the renders themselves."""
    scores = vae_round_trip(base, people=8)
    assert scores["rendered"] > scores["round trip"] > 0.4
