"""Domain model save/load, stock diffusers compatibility and refusal of missing weights."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import (
    StableDiffusionPipeline,
)
from safetensors.torch import load_file, save_file

from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.errors import ModelLoadError
from e4t_server.engine.tiny import tiny_domain_config

from .conftest import model_state


def test_round_trip_is_exact(domain_model: DomainModel, tmp_path: Path, domain_dir: Path) -> None:
    domain_model.save_pretrained(tmp_path)
    loaded = DomainModel.from_pretrained(tmp_path)
    assert loaded.config == domain_model.config
    assert loaded.fingerprint() == domain_model.fingerprint()
    original, reloaded = model_state(domain_model), model_state(loaded)
    assert original.keys() == reloaded.keys()
    assert all(torch.equal(original[k], reloaded[k]) for k in original)


def test_tuned_tensors_survive_the_round_trip(fresh_model: DomainModel, tmp_path: Path) -> None:
    with torch.no_grad():
        fresh_model.encoder.to_offset.weight.normal_()
        fresh_model.offsets.low_rank_offsets()[0].lora_B.normal_()
    fresh_model.save_pretrained(tmp_path)
    loaded = DomainModel.from_pretrained(tmp_path)
    assert loaded.fingerprint() == fresh_model.fingerprint()
    assert torch.equal(loaded.encoder.to_offset.weight, fresh_model.encoder.to_offset.weight)


def test_fingerprint_tracks_domain_tensors_and_config(fresh_model: DomainModel) -> None:
    before = fresh_model.fingerprint()
    with torch.no_grad():
        fresh_model.offsets.low_rank_offsets()[0].lora_B.add_(1e-3)
    assert fresh_model.fingerprint() != before
    assert len(before) == 64


def test_stock_pipeline_loads_a_domain_model_directory(domain_dir: Path) -> None:
    pipeline = StableDiffusionPipeline.from_pretrained(
        domain_dir, safety_checker=None, requires_safety_checker=False, local_files_only=True
    )
    assert pipeline.unet.config.cross_attention_dim == 32
    for part in ("image_encoder", "e4t_encoder", "e4t_offsets", "e4t_config.json"):
        assert (domain_dir / part).exists()
    assert not list(domain_dir.rglob("*.bin")) and not list(domain_dir.rglob("*.pt"))


def test_from_base_loads_a_stock_sd_directory(base_dirs: tuple[Path, Path]) -> None:
    model = DomainModel.from_base(*base_dirs, tiny_domain_config())
    assert model.config.class_word == "face"
    assert float(model.offsets.l2().detach()) == 0.0


def copy_of(directory: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(directory, target)
    return target


@pytest.mark.parametrize(
    "removed",
    [
        "unet/diffusion_pytorch_model.safetensors",
        "text_encoder/model.safetensors",
        "image_encoder/model.safetensors",
        "e4t_encoder/model.safetensors",
        "e4t_offsets/model.safetensors",
        "e4t_config.json",
        "model_index.json",
    ],
)
def test_missing_weights_raise(domain_dir: Path, tmp_path: Path, removed: str) -> None:
    directory = copy_of(domain_dir, tmp_path)
    (directory / removed).unlink()
    with pytest.raises(ModelLoadError):
        DomainModel.from_pretrained(directory)


@pytest.mark.parametrize(
    "weights",
    [
        "unet/diffusion_pytorch_model.safetensors",
        "vae/diffusion_pytorch_model.safetensors",
        "text_encoder/model.safetensors",
        "image_encoder/model.safetensors",
        "e4t_encoder/model.safetensors",
        "e4t_offsets/model.safetensors",
    ],
)
def test_partial_weights_raise(domain_dir: Path, tmp_path: Path, weights: str) -> None:
    directory = copy_of(domain_dir, tmp_path)
    path = directory / weights
    tensors = load_file(str(path))
    del tensors[sorted(tensors)[0]]
    save_file(tensors, str(path))
    with pytest.raises(ModelLoadError):
        DomainModel.from_pretrained(directory)


def test_from_base_refuses_a_missing_base(base_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError):
        DomainModel.from_base(tmp_path / "nothing", base_dirs[1], tiny_domain_config())


def test_to_moves_every_part_of_the_model(domain_dir: Path) -> None:
    model = DomainModel.from_pretrained(domain_dir).to("meta")  # a device every machine has
    parts = [model.base.unet, model.base.vae, model.base.text_encoder, model.base.image_encoder]
    for module in (*parts, model.encoder, model.offsets):
        assert {parameter.device.type for parameter in module.parameters()} == {"meta"}
    assert model.base.device.type == "meta"
