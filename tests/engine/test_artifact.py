"""Concept artifacts: exact round-trip, content address, and export to stock diffusers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import (
    StableDiffusionPipeline,
)
from safetensors.torch import load as load_safetensors
from safetensors.torch import load_file

from e4t_server.engine.artifact import ConceptArtifact, ConceptMetadata
from e4t_server.engine.errors import ArtifactError
from e4t_server.engine.generate import Engine


def test_round_trip_is_exact(concept: ConceptArtifact) -> None:
    data = concept.to_bytes()
    loaded = ConceptArtifact.from_bytes(data)
    assert loaded.metadata == concept.metadata
    assert torch.equal(loaded.embedding, concept.embedding)
    assert loaded.offsets.keys() == concept.offsets.keys()
    assert all(torch.equal(loaded.offsets[k], concept.offsets[k]) for k in concept.offsets)
    assert loaded.to_bytes() == data and loaded.sha256 == concept.sha256
    assert len(concept.sha256) == 64


def test_blob_is_standard_safetensors(concept: ConceptArtifact) -> None:
    tensors = load_safetensors(concept.to_bytes())
    assert tensors["e4t.embedding"].dtype == torch.float32
    assert all(t.dtype == torch.float16 for k, t in tensors.items() if k != "e4t.embedding")


def test_metadata_changes_the_address(concept: ConceptArtifact) -> None:
    other = replace(concept, metadata=replace(concept.metadata, seed=1))
    assert other.sha256 != concept.sha256


def test_metadata_written_before_the_regularization_was_recorded_still_loads(
    concept: ConceptArtifact,
) -> None:
    header = concept.metadata.to_header()
    assert json.loads(header["lambda_embedding"]) is not None
    older = {k: v for k, v in header.items() if not k.startswith(("lambda_", "batch_size"))}
    metadata = ConceptMetadata.from_header(older)
    assert metadata.lambda_embedding is None and metadata.batch_size is None
    assert metadata.steps == concept.metadata.steps


@pytest.mark.parametrize("data", [b"", b"garbage", b"\xff" * 8 + b"{}"])
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(ArtifactError):
        ConceptArtifact.from_bytes(data)


def test_export_loads_into_stock_diffusers_and_matches(
    concept: ConceptArtifact, engine: Engine, domain_dir: Path, tmp_path: Path
) -> None:
    lora_path, inversion_path = concept.export_diffusers(tmp_path)
    assert lora_path.name == "pytorch_lora_weights.safetensors"
    inversion = load_file(str(inversion_path))
    assert list(inversion) == ["<concept>"] and inversion["<concept>"].shape == (1, 32)

    pipeline = StableDiffusionPipeline.from_pretrained(
        domain_dir, safety_checker=None, requires_safety_checker=False, local_files_only=True
    )
    pipeline.set_progress_bar_config(disable=True)
    pipeline.load_lora_weights(tmp_path)
    pipeline.load_textual_inversion(str(inversion_path), token="<concept>")
    stock = pipeline(
        "a photo of <concept>",
        num_inference_steps=3,
        generator=torch.Generator().manual_seed(11),
        height=32,
        width=32,
        output_type="np",
    ).images
    ours = engine.generate_arrays("a photo of {concept}", concept=concept, steps=3, seed=11)
    assert np.abs(np.asarray(stock) - ours).max() <= 1e-4
