"""The base-model probes, run on the shipped demo model."""

from __future__ import annotations

import math

import pytest

from e4t_server.demo import pretrained
from e4t_server.demo.base_probe import (
    NAMEABLE,
    NAMEABLE_FACTORS,
    OTHER,
    OWN,
    PLAIN,
    READ_FACTORS,
    TRUE,
    guidance_sweep,
    load_base,
    modal_share,
    nameable_traits_on,
    trait_loss,
    trait_readout,
    vae_round_trip,
)
from e4t_server.demo.faces import identity_from_seed
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


def test_a_stranger_wears_exactly_the_persons_nameable_traits() -> None:
    person, stranger = identity_from_seed(1_000_000), identity_from_seed(1_500_000)
    wearer = nameable_traits_on(person, stranger)
    for name in vars(person):
        expected = person if name in NAMEABLE_FACTORS else stranger
        assert getattr(wearer, name) == getattr(expected, name), name
    assert set(READ_FACTORS) <= set(NAMEABLE_FACTORS)


def test_the_modal_share_is_the_most_common_values_share() -> None:
    assert modal_share(["curly", "bun", "curly", "curly"]) == 0.75
    assert modal_share(["bald"]) == 1.0


def test_the_trait_readout_reads_the_renders_it_is_anchored_on(base: BaseComponents) -> None:
    """The reference rows are right: the metric reads the true renders' hair style, and a
    stranger with the person's nameable traits looks more like the person than chance (0.11)."""
    readout = trait_readout(base, people=2, samples=1, steps=2)
    assert set(readout.similarity) == set(readout.agreement) == {TRUE, OWN, PLAIN, NAMEABLE}
    assert all(len(values) == 4 for values in readout.similarity.values())
    assert readout.agreement[TRUE]["hair_style"] >= 0.75
    assert set(readout.modal_share) == set(readout.agreement)
    assert set(readout.modal_share[OWN]) == set(READ_FACTORS)
    true, nameable = (sum(readout.similarity[k]) / 4 for k in (TRUE, NAMEABLE))
    assert true > 0.5 and nameable > 0.3
