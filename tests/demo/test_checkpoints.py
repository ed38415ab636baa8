"""The shipped model's UNet is the width-64 base run whose chain the committed checkpoints keep."""

from __future__ import annotations

import json
from pathlib import Path

from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel

from e4t_server.demo import pretrained
from e4t_server.demo.base_probe import load_base
from e4t_server.demo.seed_base import check_fits
from e4t_server.engine.domain_model import load_component

PROBE_RUN = Path(__file__).resolve().parents[2] / "checkpoints" / "capacity-2000-w64-s4200"


def test_the_shipped_unet_is_its_reported_base_run_continued_from_the_probe() -> None:
    shipped = pretrained.face_domain_dir()
    report = json.loads((shipped / "base_training.json").read_text(encoding="utf-8"))
    settings = report["settings"]
    assert settings["unet_width"] == 64 and settings["unet_steps"] == 2400
    assert report["unet_steps_done"] == 2400 and settings["seed"] == 0
    assert not settings["train_text_encoder"]  # so the text tower is the one it was seeded with
    seeded = report["continued_from"]["seeded"]
    assert seeded["unet"] == "checkpoints/capacity-2000-w64-s4200/unet"
    probe = json.loads((PROBE_RUN / "capacity.json").read_text(encoding="utf-8"))
    assert seeded["unet_report"] == probe  # the probe run whose UNet it went on from
    assert (probe["settings"]["people"], probe["settings"]["steps"]) == (2000, 4200)
    unet = load_component(UNet2DConditionModel, shipped / "unet", None)
    assert sum(parameter.numel() for parameter in unet.parameters()) == probe["unet_parameters"]
    assert unet.config["block_out_channels"] == [64, 128, 128]
    check_fits(load_base(shipped), unet)  # seed_base can take it back
