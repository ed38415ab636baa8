"""Textual Inversion and LoRA baselines train only their own part, on the base UNet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import cast

import pytest
import torch

from e4t_server.demo.baselines import (
    MadeConcept,
    class_word_concept,
    lora_dreambooth,
    textual_inversion,
)
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.generate import Engine
from e4t_server.engine.tiny import build_tiny_components, synthetic_image, tiny_domain_config


@pytest.fixture(scope="module")
def model() -> DomainModel:
    return DomainModel.from_components(build_tiny_components(), tiny_domain_config())


def offsets_are_zero(offsets: dict[str, torch.Tensor]) -> bool:
    return all(not bool(t.any()) for name, t in offsets.items() if name.endswith("lora_B.weight"))


def test_textual_inversion_moves_only_the_embedding(model: DomainModel) -> None:
    fingerprint = model.fingerprint()
    made = textual_inversion(model, synthetic_image(1), steps=3, lr=5e-2)
    assert made.artifact.metadata.steps == 3 and len(made.artifact.metadata.loss_curve) == 3
    assert not torch.equal(made.artifact.embedding, model.class_word_embedding)
    assert offsets_are_zero(dict(made.artifact.offsets))
    assert 0 < made.stored_bytes < 1024  # one embedding of width 32
    assert made.seconds > 0 and model.fingerprint() == fingerprint


def test_lora_moves_only_the_offsets(model: DomainModel) -> None:
    made = lora_dreambooth(model, synthetic_image(1), steps=3, lr=5e-2)
    assert torch.equal(made.artifact.embedding, model.class_word_embedding)
    assert not offsets_are_zero(dict(made.artifact.offsets))
    assert made.stored_bytes > 1024


def test_concepts_generate_through_the_engine(model: DomainModel) -> None:
    engine = Engine(model)
    plain = class_word_concept(model)
    assert offsets_are_zero(dict(plain.offsets))
    made = textual_inversion(model, synthetic_image(2), steps=1)
    for artifact in (plain, made.artifact):
        images = engine.generate("a photo of {concept}", concept=artifact, steps=2, seed=0)
        assert images[0].size == (32, 32)


@pytest.mark.parametrize("method", [textual_inversion, lora_dreambooth])
def test_a_fixed_encoder_timestep_leaves_the_baselines_as_they_are(
    model: DomainModel, method: object
) -> None:
    """The baselines have no encoder: on a model whose encoder reads a fixed timestep they train
    on the same draws and give the same concept."""
    make = cast(Callable[..., MadeConcept], method)
    plain = make(model, synthetic_image(3), steps=2, lr=5e-2).artifact
    fixed_config = replace(tiny_domain_config(), fixed_encoder_timestep=True, freeze_timestep=50)
    fixed_model = DomainModel.from_components(build_tiny_components(), fixed_config)
    fixed = make(fixed_model, synthetic_image(3), steps=2, lr=5e-2).artifact
    assert torch.equal(fixed.embedding, plain.embedding)
    assert all(torch.equal(fixed.offsets[k], v) for k, v in plain.offsets.items())
