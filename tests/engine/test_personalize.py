"""Personalization from one image: learns, is deterministic, and leaves the domain untouched."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from e4t_server.engine.artifact import ConceptArtifact
from e4t_server.engine.config import RegularizationWeights
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.errors import InvalidImageError
from e4t_server.engine.personalize import personalize
from e4t_server.engine.tiny import synthetic_image

from .conftest import FIXED_TIME, PERSONALIZATION_LR, model_state, png_bytes


def test_five_steps_make_a_concept(concept: ConceptArtifact, domain_model: DomainModel) -> None:
    metadata = concept.metadata
    assert metadata.steps == 5 and len(metadata.loss_curve) == 5
    assert metadata.domain_fingerprint == domain_model.fingerprint()
    assert metadata.class_word == "face" and metadata.placeholder_token == "<concept>"
    assert metadata.freeze_timestep == domain_model.config.freeze_timestep
    assert concept.embedding.shape == (32,)
    assert not torch.equal(concept.embedding, domain_model.class_word_embedding)
    assert set(concept.offsets) == set(domain_model.offsets.lora_state_dict())


def test_loss_curve_falls(domain_model: DomainModel) -> None:
    artifact = personalize(
        domain_model, synthetic_image(2), steps=15, seed=0, lr=PERSONALIZATION_LR
    )
    curve = artifact.metadata.loss_curve
    assert len(curve) == 15
    assert np.mean(curve[-4:]) < np.mean(curve[:4])


def test_same_seed_same_bytes_and_domain_model_unchanged(
    domain_model: DomainModel, concept: ConceptArtifact
) -> None:
    before = model_state(domain_model)
    rng_before = torch.random.get_rng_state()
    again = personalize(
        domain_model,
        png_bytes(synthetic_image(1)),
        steps=5,
        seed=0,
        lr=PERSONALIZATION_LR,
        created_at=FIXED_TIME,
    )
    assert again.to_bytes() == concept.to_bytes()
    after = model_state(domain_model)
    assert before.keys() == after.keys()
    changed = [name for name in before if not torch.equal(before[name], after[name])]
    assert changed == []
    assert domain_model.hooks.active is domain_model.offsets
    assert all(p.grad is None for p in domain_model.encoder.parameters())
    assert all(p.grad is None for p in domain_model.offsets.parameters())
    assert torch.equal(torch.random.get_rng_state(), rng_before)


def test_two_images_give_two_concepts(domain_model: DomainModel, concept: ConceptArtifact) -> None:
    other = personalize(
        domain_model,
        synthetic_image(7),
        steps=5,
        seed=0,
        lr=PERSONALIZATION_LR,
        created_at=FIXED_TIME,
    )
    assert other.sha256 != concept.sha256
    assert not torch.allclose(other.embedding, concept.embedding)
    name = sorted(concept.offsets)[1]
    assert not torch.equal(other.offsets[name], concept.offsets[name])


def test_bad_image_bytes_are_refused(domain_model: DomainModel) -> None:
    with pytest.raises(InvalidImageError):
        personalize(domain_model, b"not an image", steps=1)


def test_zero_steps_keep_the_encoders_prediction_and_the_domain_offsets(
    domain_model: DomainModel,
) -> None:
    image = synthetic_image(4)
    artifact = personalize(domain_model, image, steps=0, seed=1)
    assert artifact.metadata.steps == 0 and artifact.metadata.loss_curve == ()
    for name, tensor in domain_model.offsets.lora_state_dict().items():
        assert torch.equal(artifact.offsets[name], tensor.to(artifact.offsets[name].dtype))
    tuned = personalize(domain_model, image, steps=3, seed=1, lr=PERSONALIZATION_LR)
    assert not torch.equal(tuned.embedding, artifact.embedding)
    with pytest.raises(ValueError, match="negative"):
        personalize(domain_model, image, steps=-1)


def test_a_stronger_embedding_regularization_keeps_the_embedding_nearer_the_class_word(
    domain_model: DomainModel,
) -> None:
    def distance(embedding_weight: float) -> float:
        weights = RegularizationWeights(embedding=embedding_weight, weights=0.0)
        artifact = personalize(
            domain_model, synthetic_image(5), steps=10, seed=0, lr=1e-2, regularization=weights
        )
        # the artifact records the weights it was made with, not the domain's defaults
        assert artifact.metadata.lambda_embedding == embedding_weight
        assert artifact.metadata.lambda_weights == 0.0
        return float((artifact.embedding - domain_model.class_word_embedding).norm())

    assert distance(1e3) < distance(0.0)


def test_the_weight_offsets_can_have_a_rate_of_their_own(domain_model: DomainModel) -> None:
    """``offsets_lr`` sets the offsets' rate apart from the encoder heads'; 0 keeps the domain
    offsets while the embedding still moves, and the artifact records the rate."""
    domain_offsets = domain_model.offsets.lora_state_dict()
    frozen = personalize(domain_model, synthetic_image(5), steps=3, lr=1e-2, offsets_lr=0.0)
    assert frozen.metadata.offsets_lr == 0.0
    for name, tensor in frozen.offsets.items():
        assert torch.equal(tensor, domain_offsets[name].to(tensor.dtype))
    untuned = personalize(domain_model, synthetic_image(5), steps=0)
    assert not torch.equal(frozen.embedding, untuned.embedding)
    both = personalize(domain_model, synthetic_image(5), steps=3, lr=1e-2, offsets_lr=1e-2)
    assert both.metadata.offsets_lr is None  # the same rate as lr
    assert any(not torch.equal(both.offsets[n], frozen.offsets[n]) for n in frozen.offsets)
