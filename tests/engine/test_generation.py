"""Generation: equality with stock diffusers, concept switching by tensor copies, the LRU cache."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import (
    StableDiffusionPipeline,
)

from e4t_server.engine.artifact import ConceptArtifact
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.errors import (
    ArtifactError,
    PromptError,
    PromptMissingConceptError,
    PromptTooLongError,
)
from e4t_server.engine.generate import ConceptCache, Engine, LoadedConcept
from e4t_server.engine.tiny import synthetic_image

from .conftest import FIXED_TIME, PERSONALIZATION_LR, identity_concept, model_state, png_bytes

STEPS = 3


def stock_images(directory: Path, prompt: str, seed: int) -> np.ndarray:
    pipeline = StableDiffusionPipeline.from_pretrained(
        directory, safety_checker=None, requires_safety_checker=False, local_files_only=True
    )
    pipeline.set_progress_bar_config(disable=True)
    output = pipeline(
        prompt,
        num_inference_steps=STEPS,
        guidance_scale=7.5,
        generator=torch.Generator().manual_seed(seed),
        height=32,
        width=32,
        output_type="np",
    )
    return np.asarray(output.images)


def test_identity_concept_equals_stock_pipeline_with_class_word(
    engine: Engine, domain_model: DomainModel, domain_dir: Path
) -> None:
    ours = engine.generate_arrays(
        "a photo of {concept}", concept=identity_concept(domain_model), steps=STEPS, seed=3
    )
    reference = stock_images(domain_dir, "a photo of face", seed=3)
    assert ours.shape == reference.shape == (1, 32, 32, 3)
    assert np.abs(ours - reference).max() <= 1e-4


def test_no_concept_equals_stock_pipeline(engine: Engine, domain_dir: Path) -> None:
    ours = engine.generate_arrays("a watercolor portrait", steps=STEPS, seed=4)
    assert np.abs(ours - stock_images(domain_dir, "a watercolor portrait", seed=4)).max() <= 1e-4


def test_generate_returns_pil_images(engine: Engine, concept: ConceptArtifact) -> None:
    images = engine.generate("a portrait of {concept}", concept=concept, steps=2, num_images=2)
    assert len(images) == 2 and images[0].size == (32, 32) and images[0].mode == "RGB"


def test_the_concept_changes_the_image(
    engine: Engine, domain_model: DomainModel, concept: ConceptArtifact
) -> None:
    with_concept = engine.generate_arrays("a photo of {concept}", concept=concept, steps=STEPS)
    neutral = engine.generate_arrays(
        "a photo of {concept}", concept=identity_concept(domain_model), steps=STEPS
    )
    assert np.abs(with_concept - neutral).max() > 1e-3


def test_same_seed_same_image(engine: Engine, concept: ConceptArtifact) -> None:
    first = engine.generate_arrays("a photo of {concept}", concept=concept, steps=2, seed=9)
    second = engine.generate_arrays("a photo of {concept}", concept=concept, steps=2, seed=9)
    assert np.array_equal(first, second)


def test_prompt_errors(engine: Engine, concept: ConceptArtifact) -> None:
    with pytest.raises(PromptMissingConceptError):
        engine.generate("a photo of a face", concept=concept, steps=1)
    with pytest.raises(PromptError):
        engine.generate("a photo of {concept}", concept=None, steps=1)
    with pytest.raises(PromptTooLongError):
        engine.generate("{concept} " + "photo " * 80, concept=concept, steps=1)


def test_concept_from_another_domain_model_is_refused(
    engine: Engine, concept: ConceptArtifact
) -> None:
    foreign = replace(concept, metadata=replace(concept.metadata, domain_fingerprint="f" * 64))
    with pytest.raises(ArtifactError, match="another domain model"):
        engine.generate("a photo of {concept}", concept=foreign, steps=1)


def test_switching_concepts_copies_tensors_and_restores_the_domain(
    engine: Engine, domain_model: DomainModel, concept: ConceptArtifact
) -> None:
    before = model_state(domain_model)
    unet_modules = [id(m) for m in domain_model.base.unet.modules()]
    neutral = identity_concept(domain_model)
    for current in (concept, neutral, concept):
        with engine.using(current):
            active = domain_model.hooks.active
            assert active is not None and active is not domain_model.offsets
            stored = current.offsets
            assert all(
                torch.equal(tensor, stored[name].float())
                for name, tensor in active.lora_state_dict().items()
            )
        assert domain_model.hooks.active is domain_model.offsets
    assert [id(m) for m in domain_model.base.unet.modules()] == unet_modules
    after = model_state(domain_model)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_domain_offsets_restored_after_an_error(
    engine: Engine, domain_model: DomainModel, concept: ConceptArtifact
) -> None:
    with pytest.raises(RuntimeError), engine.using(concept):
        raise RuntimeError("boom")
    assert domain_model.hooks.active is domain_model.offsets


def entry() -> LoadedConcept:
    return LoadedConcept(embedding=torch.zeros(1), offsets={})


def test_concept_cache_is_a_bounded_lru() -> None:
    cache = ConceptCache(2)
    cache.put("a", entry())
    cache.put("b", entry())
    assert cache.get("a") is not None  # "b" is now least recently used
    cache.put("c", entry())
    assert len(cache) == 2 and "b" not in cache and "a" in cache and "c" in cache
    with pytest.raises(ValueError):
        ConceptCache(0)


def test_engine_caches_loaded_concepts_by_sha256(
    engine: Engine, domain_model: DomainModel, concept: ConceptArtifact
) -> None:
    first = engine.load(concept)
    assert engine.load(concept) is first
    assert concept.sha256 in engine.cache
    assert len(engine.cache) <= engine.cache.capacity


def test_engine_personalize_matches_the_function(engine: Engine, concept: ConceptArtifact) -> None:
    again = engine.personalize(
        png_bytes(synthetic_image(1)),
        steps=5,
        seed=0,
        lr=PERSONALIZATION_LR,
        created_at=FIXED_TIME,
    )
    assert again.sha256 == concept.sha256


def test_embedding_of_the_wrong_width_is_refused(engine: Engine, concept: ConceptArtifact) -> None:
    wrong = replace(concept, embedding=torch.zeros(7))
    with pytest.raises(ArtifactError, match="shape"):
        engine.load(wrong)
