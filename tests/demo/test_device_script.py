"""The prepared GPU scripts (the capacity probe, the width-64 rebuild), run on the CPU at a tiny
size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from e4t_server.engine.domain_model import DomainModel

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts" / "device"
SCRIPT = SCRIPTS / "capacity_probe.sh"


def test_the_script_calibrates_then_fits_its_run_in_the_limit_and_returns_its_files(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "OUT": str(tmp_path),
        "DEVICE": "cpu",
        "PYTHON": sys.executable,
        "WHEELS": str(
            tmp_path / "no-wheels"
        ),  # the cp312 wheels a device needs would not load here
        "PEOPLE": "4",
        "STEPS": "100",
        "BATCH": "4",
        "WIDTHS": "16",
        "LAYERS": "1",
        "EXTRA": "--read 2 --threads 1",
        "RUN_LIMIT": "300",
    }
    done = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "width 16: 100 steps fit in 300 s" in done.stdout
    name = "w16-l1-p4-s100"
    assert {path.name for path in tmp_path.iterdir()} == {
        "calibration-w16.log",
        f"{name}.log",
        f"{name}.json",
        f"{name}-heldout.png",
    }
    report = json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
    assert report["settings"]["unet_width"] == 16 and report["settings"]["steps"] == 100
    assert report["device"] == "cpu"


def test_the_script_needs_to_know_where_its_files_go(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "OUT"}
    done = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0 and "OUT must name" in done.stderr


def test_the_rebuild_script_returns_a_loadable_domain_model_and_its_rows(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    env = {
        **os.environ,
        "OUT": str(out),
        "DEVICE": "cpu",
        "PYTHON": sys.executable,
        "WHEELS": str(tmp_path / "no-wheels"),
        "DOMAIN_STEPS": "2",
        "PEOPLE": "1",
        "DOMAIN_FLAGS": "--identities 2 --threads 1",
        "EVAL_FLAGS": "--samples 1 --threads 1 --only encoder",
    }
    done = subprocess.run(
        ["bash", str(SCRIPTS / "rebuild_w64.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    parts = sorted(out.glob("face-domain-w64.tar.part-*"))
    assert len(parts) == 2 and all(part.stat().st_size <= 16 * 2**20 for part in parts)
    assert {path.name for path in out.iterdir()} - {part.name for part in parts} == {
        "rebuild.log",
        "base_training.json",
        "domain_training.json",
        "results.jsonl",
    }
    whole = tmp_path / "face-domain-w64.tar"
    whole.write_bytes(b"".join(part.read_bytes() for part in parts))
    with tarfile.open(whole) as archive:
        archive.extractall(tmp_path, filter="data")
    report = json.loads((out / "domain_training.json").read_text(encoding="utf-8"))
    model = DomainModel.from_pretrained(tmp_path / "face-domain-w64")
    assert model.fingerprint() == report["fingerprint"]
    assert model.base.unet.config["block_out_channels"][0] == 64
    base = json.loads((out / "base_training.json").read_text(encoding="utf-8"))
    assert base["seeded"]["unet"] == "server/e4t_server/demo/weights/face-domain/unet"
    assert base["seeded"]["unet_report"]["settings"]["unet_steps"] == 2400
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [row["method"] for row in rows] == ["E4T encoder only (0 steps)"]
