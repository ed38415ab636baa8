"""Shared tiny components for the engine tests (built from configs, offline, CPU)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
import torch
from PIL import Image

from e4t_server.engine.artifact import ConceptArtifact, ConceptMetadata
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.generate import Engine
from e4t_server.engine.personalize import personalize
from e4t_server.engine.tiny import (
    build_tiny_components,
    save_tiny_base,
    synthetic_image,
    tiny_domain_config,
)

# Several test processes share two cores here; one intra-op thread avoids OpenMP spin-waiting,
# which made tiny models ~10x slower under contention.
torch.set_num_threads(1)

FIXED_TIME = datetime(2026, 1, 1, tzinfo=UTC)
PERSONALIZATION_LR = 1e-2


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def model_state(model: DomainModel) -> dict[str, torch.Tensor]:
    """Every parameter and buffer of every component (offsets included), cloned."""
    modules = {
        "unet": model.base.unet,
        "vae": model.base.vae,
        "text_encoder": model.base.text_encoder,
        "image_encoder": model.base.image_encoder,
        "encoder": model.encoder,
        "offsets": model.offsets,
    }
    state = {}
    for prefix, module in modules.items():
        for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
            state[f"{prefix}.{name}"] = tensor.detach().clone()
    return state


def identity_concept(model: DomainModel) -> ConceptArtifact:
    """A concept that changes nothing: the class word's embedding and zero offsets."""
    zero_offsets = model.new_offsets()
    metadata = ConceptMetadata(
        domain_fingerprint=model.fingerprint(),
        class_word=model.config.class_word,
        placeholder_token=model.config.placeholder_token,
        freeze_timestep=model.config.freeze_timestep,
        steps=0,
        seed=0,
        lr=0.0,
        created_at=FIXED_TIME.isoformat(),
    )
    return ConceptArtifact.create(
        model.class_word_embedding, zero_offsets.lora_state_dict(), metadata
    )


@pytest.fixture(scope="session")
def base_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A stock diffusers SD directory and a CLIP vision directory with tiny weights."""
    return save_tiny_base(tmp_path_factory.mktemp("base"))


@pytest.fixture(scope="session")
def domain_dir(tmp_path_factory: pytest.TempPathFactory, base_dirs: tuple[Path, Path]) -> Path:
    """A saved (untuned) tiny domain model."""
    directory = tmp_path_factory.mktemp("domain")
    DomainModel.from_base(*base_dirs, tiny_domain_config()).save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def domain_model(domain_dir: Path) -> DomainModel:
    """A shared domain model; tests must not change it (tuning tests build their own)."""
    return DomainModel.from_pretrained(domain_dir)


@pytest.fixture(scope="session")
def engine(domain_model: DomainModel) -> Engine:
    return Engine(domain_model, cache_size=2)


@pytest.fixture
def fresh_model() -> DomainModel:
    """A private domain model that a test may change."""
    return DomainModel.from_components(build_tiny_components(), tiny_domain_config())


@pytest.fixture(scope="session")
def concept(domain_model: DomainModel) -> ConceptArtifact:
    """A concept personalized from one synthetic image (5 steps)."""
    return personalize(
        domain_model,
        png_bytes(synthetic_image(1)),
        steps=5,
        seed=0,
        lr=PERSONALIZATION_LR,
        created_at=FIXED_TIME,
    )
