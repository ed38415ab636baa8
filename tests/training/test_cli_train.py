"""`e4t domains train --address`: the CLI drives Ray Train on a real cluster, as ML ops run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import ray
from PIL import Image
from typer.testing import CliRunner

from e4t_cli.main import app
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.ray_train import latest_checkpoint
from e4t_server.engine.tiny import build_tiny_components, tiny_domain_config

pytestmark = [pytest.mark.ray, pytest.mark.slow]
E4T = str(Path(sys.executable).with_name("e4t"))


def run_e4t(*args: str) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    return subprocess.run(
        [E4T, "domains", "train", *args], env=environ, capture_output=True, text=True, timeout=600
    )


def test_train_on_a_ray_cluster_saves_a_loadable_tuned_model(
    ray_runtime: None, tmp_path: Path
) -> None:
    init, data, output = tmp_path / "init", tmp_path / "data", tmp_path / "tuned"
    DomainModel.from_components(build_tiny_components(), tiny_domain_config()).save_pretrained(init)
    data.mkdir()
    rng = np.random.default_rng(1)
    for index in range(4):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), np.uint8)).save(data / f"{index}.png")
    address = ray.get_runtime_context().gcs_address  # the test session's cluster

    result = run_e4t(
        "--init", str(init), "--data", str(data), "--output", str(output),
        "--steps", "2", "--batch-size", "2", "--lr", "1e-3",
        "--address", address, "--workers", "2", "--cpus-per-worker", "0.5",
        "--checkpoint-dir", str(tmp_path / "runs"), "--checkpoint-every", "1",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == str(output)
    assert "final loss" in result.stderr
    assert latest_checkpoint(tmp_path / "runs", "e4t-domain-tuning") is not None
    tuned, initial = DomainModel.from_pretrained(output), DomainModel.from_pretrained(init)
    changed = [
        name
        for name, tensor in tuned.offsets.lora_state_dict().items()
        if not np.array_equal(tensor.numpy(), initial.offsets.lora_state_dict()[name].numpy())
    ]
    assert changed, "training on Ray left the domain offsets untouched"


def test_address_without_checkpoint_dir_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "init").mkdir()
    (tmp_path / "data").mkdir()
    result = run_e4t(
        "--init", str(tmp_path / "init"), "--data", str(tmp_path / "data"),
        "--output", str(tmp_path / "out"), "--address", "local",
    )  # fmt: skip
    assert result.returncode == 2
    assert "--checkpoint-dir" in result.stderr
    assert not (tmp_path / "out").exists()


def test_local_train_resumes_from_its_checkpoints_exactly(tmp_path: Path) -> None:
    init, data = tmp_path / "init", tmp_path / "data"
    DomainModel.from_components(build_tiny_components(), tiny_domain_config()).save_pretrained(init)
    data.mkdir()
    rng = np.random.default_rng(2)
    for index in range(4):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), np.uint8)).save(data / f"{index}.png")

    def train(output: str, steps: int, checkpoints: str, seed: int = 5) -> None:
        result = CliRunner().invoke(
            app,
            ["domains", "train",
            "--init", str(init), "--data", str(data), "--output", str(tmp_path / output),
            "--steps", str(steps), "--batch-size", "2", "--lr", "1e-3", "--seed", str(seed),
            "--checkpoint-dir", str(tmp_path / checkpoints), "--checkpoint-every", "1"],
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr[-3000:]
        assert result.stdout.strip() == str(tmp_path / output)

    train("straight", 3, "straight-ckpt")
    train("interrupted", 2, "resumed-ckpt")
    # Same checkpoint dir: continues at step 3 with the checkpoint's random state, so the new
    # seed changes nothing (a fresh start with seed 6 would end somewhere else).
    train("resumed", 3, "resumed-ckpt", seed=6)
    train("fresh", 3, "fresh-ckpt", seed=6)

    straight = DomainModel.from_pretrained(tmp_path / "straight").offsets.lora_state_dict()
    resumed = DomainModel.from_pretrained(tmp_path / "resumed").offsets.lora_state_dict()
    interrupted = DomainModel.from_pretrained(tmp_path / "interrupted").offsets.lora_state_dict()
    assert straight.keys() == resumed.keys()
    for name, tensor in straight.items():
        np.testing.assert_allclose(resumed[name].numpy(), tensor.numpy(), rtol=1e-5, atol=1e-7)
    fresh = DomainModel.from_pretrained(tmp_path / "fresh").offsets.lora_state_dict()
    assert any(not np.array_equal(interrupted[k].numpy(), straight[k].numpy()) for k in straight)
    assert any(not np.allclose(fresh[k].numpy(), straight[k].numpy()) for k in straight)


def test_a_bad_timestep_range_is_a_usage_error(tmp_path: Path) -> None:
    init, data = tmp_path / "init", tmp_path / "data"
    DomainModel.from_components(build_tiny_components(), tiny_domain_config()).save_pretrained(init)
    data.mkdir()
    result = CliRunner().invoke(
        app,
        ["domains", "train", "--init", str(init), "--data", str(data),
         "--output", str(tmp_path / "out"), "--timestep-range", "800", "1200"],
    )  # fmt: skip
    assert result.exit_code == 2, result.stderr[-3000:]
    assert "--timestep-range" in result.stderr and "[0, 1000)" in result.stderr
    assert not (tmp_path / "out").exists()
