"""Seeding a base model with a UNet trained elsewhere, ready for ``train_base --continue-from``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel

from e4t_server.demo.base_probe import load_base
from e4t_server.demo.seed_base import main, seed_base
from e4t_server.demo.train_base import REPORT_FILE, continue_base
from tests.demo.commands import refusal
from tests.demo.tiny import TINY_BASE


def _save_other_unet(model: Path, directory: Path, **changes: object) -> UNet2DConditionModel:
    """A UNet like ``model``'s (with ``changes`` to its config) but with other weights."""
    config = {**dict(load_base(model).unet.config), **changes}
    torch.manual_seed(7)
    unet = UNet2DConditionModel.from_config(config)
    unet.save_pretrained(directory, safe_serialization=True)
    return unet


def test_the_seeded_base_has_the_new_unet_and_the_models_other_parts(
    tiny_base: Path, tmp_path: Path
) -> None:
    probe = tmp_path / "probe"
    unet = _save_other_unet(tiny_base, probe / "unet")
    (probe / "capacity.json").write_text('{"steps": 3}', encoding="utf-8")
    report = seed_base(tiny_base, probe / "unet", tmp_path / "seeded")
    seeded, original = load_base(tmp_path / "seeded"), load_base(tiny_base)
    for name in ("unet", "vae", "text_encoder", "image_encoder"):
        source = unet if name == "unet" else getattr(original, name)
        assert all(
            torch.equal(a, b)
            for a, b in zip(
                getattr(seeded, name).state_dict().values(),
                source.state_dict().values(),
                strict=True,
            )
        ), name
    assert not torch.equal(
        next(seeded.unet.parameters()), next(original.unet.parameters())
    )  # the UNet really is the other one
    seeded_from = report["seeded"]
    assert isinstance(seeded_from, dict)
    assert seeded_from["model_report"] == json.loads((tiny_base / REPORT_FILE).read_text())
    assert seeded_from["unet_report"] == {"steps": 3}
    assert report["vae_scaling_factor"] == original.vae.config["scaling_factor"]
    # train_base can continue it, and records where it started
    continued = continue_base(tmp_path / "seeded", tmp_path / "continued", TINY_BASE, workers=1)
    assert continued["continued_from"] == report


def test_a_unet_kept_beside_its_train_base_report_carries_that_report(
    tiny_base: Path, tmp_path: Path
) -> None:
    kept = tmp_path / "base-checkpoint"  # the layout of checkpoints/base-*/
    _save_other_unet(tiny_base, kept / "unet")
    (kept / REPORT_FILE).write_text('{"unet_steps_done": 2}', encoding="utf-8")
    report = seed_base(tiny_base, kept / "unet", tmp_path / "seeded")
    assert report["seeded"]["unet_report"] == {"unet_steps_done": 2}  # type: ignore[index]
    (kept / REPORT_FILE).unlink()
    report = seed_base(tiny_base, kept / "unet", tmp_path / "seeded-again")
    assert report["seeded"]["unet_report"] is None  # type: ignore[index]


def test_a_unet_that_does_not_fit_the_model_is_refused(tiny_base: Path, tmp_path: Path) -> None:
    _save_other_unet(tiny_base, tmp_path / "wide-text", cross_attention_dim=48)
    with pytest.raises(ValueError, match="cross_attention_dim"):
        seed_base(tiny_base, tmp_path / "wide-text", tmp_path / "seeded")
    assert not (tmp_path / "seeded").exists()


@pytest.mark.parametrize(
    ("unet", "out_holds_base", "message"),
    [
        ("nowhere", False, "no safetensors weights"),
        ("unet", True, "already holds a base model"),
    ],
)
def test_unusable_parts_exit_2_and_change_nothing(
    tiny_base: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    unet: str,
    out_holds_base: bool,
    message: str,
) -> None:
    _save_other_unet(tiny_base, tmp_path / "unet")
    out = tmp_path / "out"
    if out_holds_base:
        out.mkdir()
        (out / REPORT_FILE).write_text("{}", encoding="utf-8")
    before = sorted(path.name for path in out.iterdir()) if out.exists() else None
    parts = ["--model", str(tiny_base), "--unet", str(tmp_path / unet), "--out", str(out)]
    argv = ["seed_base", *parts]
    assert message in refusal(main, argv, monkeypatch, capsys)
    after = sorted(path.name for path in out.iterdir()) if out.exists() else None
    assert after == before


def test_settings_still_describe_the_unet_a_continuation_trains(
    tiny_base: Path, tmp_path: Path
) -> None:
    """A seeded UNet of another width continues only with settings of that width."""
    width = TINY_BASE.unet_width * 2
    _save_other_unet(tiny_base, tmp_path / "unet", block_out_channels=[width, 2 * width, 2 * width])
    seed_base(tiny_base, tmp_path / "unet", tmp_path / "seeded")
    with pytest.raises(ValueError, match="the earlier run's UNet has"):
        continue_base(tmp_path / "seeded", tmp_path / "refused", TINY_BASE, workers=1)
    continue_base(
        tmp_path / "seeded", tmp_path / "wide", replace(TINY_BASE, unet_width=width), workers=1
    )
