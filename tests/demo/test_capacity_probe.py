"""The capacity probe: its pictures and captions, its settings checks, and one tiny run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from e4t_server.demo import pretrained
from e4t_server.demo.base_probe import load_base
from e4t_server.demo.capacity_probe import (
    REPORT_FILE,
    CapacitySettings,
    main,
    read_model_unet,
    reread,
    run_probe,
    train_fresh_unet,
    training_pictures,
)
from e4t_server.demo.captions import fully_described_face
from e4t_server.demo.faces import caption
from e4t_server.demo.scenes import PROMPT_CONTEXTS
from tests.demo.commands import refusal


def test_pictures_cycle_through_the_contexts_and_every_caption_names_every_trait() -> None:
    settings = CapacitySettings(people=3, contexts=2, images_per_person=4, read=2)
    pictures = training_pictures(settings, workers=1)
    assert len(pictures) == 12
    for index, nuisance in enumerate(pictures.nuisances):
        style, background, lighting = PROMPT_CONTEXTS[index % 4 % 2]
        assert (nuisance.style, nuisance.background, nuisance.lighting) == (
            style,
            background,
            lighting,
        )
    full = {
        caption(nuisance, fully_described_face(identity))
        for identity, nuisance in zip(pictures.identities, pictures.nuisances, strict=True)
    }
    generator = torch.Generator().manual_seed(0)
    batches = pictures.batches(64, generator, np.random.default_rng(0), empty_rate=0.0)
    captions = next(batches)[1]
    # 3 people in 2 contexts: 6 full captions, and 64 draws meet each of them
    assert len(full) == 6 and set(captions) == full


def test_keep_zero_names_no_trait() -> None:
    pictures = training_pictures(CapacitySettings(people=2, keep=0.0, read=2), workers=1)
    plain = {caption(nuisance, "a face") for nuisance in pictures.nuisances}
    generator = torch.Generator().manual_seed(0)
    batches = pictures.batches(16, generator, np.random.default_rng(0), empty_rate=0.0)
    assert set(next(batches)[1]) == plain == {"a photo of a face, blue background, bright lighting"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"contexts": 0}, "--contexts must be 1 to 4"),
        ({"contexts": 5}, "--contexts must be 1 to 4"),
        ({"steps": 0}, "must be ≥ 1"),
        ({"read": 1}, "at least 2"),
        ({"keep": 1.5}, "between 0 and 1"),
        ({"people": 4, "read": 8}, "cannot read 8 of 4"),
        ({"unet_width": 24}, "multiple of 16"),
        ({"unet_width": 0}, "multiple of 16"),
        ({"unet_layers": 0}, "at least 1 layer"),
    ],
)
def test_unusable_settings_are_refused_before_anything_is_written(
    tmp_path: Path, changes: dict[str, float], message: str
) -> None:
    settings = CapacitySettings(**{"people": 4, "read": 2, **changes})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        run_probe(pretrained.face_domain_dir(), tmp_path / "out", settings, workers=1)
    assert not (tmp_path / "out").exists()


def test_a_tiny_run_writes_its_report_grids_and_unet_and_rereads_the_same(
    tmp_path: Path,
) -> None:
    settings = CapacitySettings(people=2, contexts=2, steps=2, batch=4, read=2)
    out = tmp_path / "probe"
    report = run_probe(pretrained.face_domain_dir(), out, settings, workers=1)
    assert json.loads((out / REPORT_FILE).read_text(encoding="utf-8")) == report
    assert report["pictures"] == 8
    scores = report["scores"]
    assert isinstance(scores, dict) and set(scores) == {"train", "heldout"}
    for split in scores.values():
        for name in (
            "hair_style_own",
            "hair_style_plain",
            "hair_colour_own",
            "skin_tone_error_own",
        ):
            assert 0 <= split[name] <= 1
        assert -1 <= split["similarity_own"] <= 1
        assert split["similarity_gap_ci95"] >= 0
    for split in ("train", "heldout"):
        with Image.open(out / f"{split}.png") as grid:
            assert grid.size == (96 * 5, 96 * 2)  # photo + 2 worded + 2 plain, a row per person
    assert (out / "unet" / "config.json").is_file()
    # the saved UNet is what was read: scoring it again gives the same numbers
    again = reread(pretrained.face_domain_dir(), out)
    assert again["scores"] == scores
    assert {k: v for k, v in again.items() if k != "wall_time"} == {
        k: v for k, v in report.items() if k != "wall_time"
    }


def test_the_fresh_unet_has_the_models_config_unless_resized() -> None:
    base = load_base(pretrained.face_domain_dir())
    settings = CapacitySettings(people=2, steps=1, batch=2, read=2)
    pictures = training_pictures(settings, workers=1)
    same, _ = train_fresh_unet(base, pictures, settings)
    assert same.config == base.unet.config
    resized = CapacitySettings(people=2, steps=1, batch=2, read=2, unet_width=16, unet_layers=2)
    unet, loss = train_fresh_unet(base, pictures, resized)
    assert tuple(unet.config["block_out_channels"]) == (16, 32, 32)
    assert unet.config["layers_per_block"] == 2
    assert unet.config["cross_attention_dim"] == base.unet.config["cross_attention_dim"]
    assert np.isfinite(loss)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_tiny_run_trains_and_reads_on_the_gpu(tmp_path: Path) -> None:
    settings = CapacitySettings(people=2, steps=2, batch=4, read=2, unet_width=16)
    report = run_probe(
        pretrained.face_domain_dir(), tmp_path / "gpu", settings, 1, torch.device("cuda")
    )
    assert report["device"] == "cuda:0"
    scores = report["scores"]
    assert isinstance(scores, dict) and set(scores) == {"train", "heldout"}


def test_rereading_a_folder_without_a_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="holds no capacity probe run"):
        reread(pretrained.face_domain_dir(), tmp_path)


def test_the_models_own_unet_is_read_the_same_way_without_training(tmp_path: Path) -> None:
    settings = CapacitySettings(people=2, read=2)
    report = read_model_unet(pretrained.face_domain_dir(), tmp_path / "own", settings)
    assert report["unet"] == "the model's own"
    scores = report["scores"]
    assert isinstance(scores, dict) and set(scores) == {"train", "heldout"}
    assert not (tmp_path / "own" / "unet").exists()
    assert json.loads((tmp_path / "own" / REPORT_FILE).read_text(encoding="utf-8")) == report


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--reread", "--model-unet"], "not allowed with argument"),
        (["--keep", "2"], "between 0 and 1"),
        (["--model", "nowhere"], "is not a directory"),
        (["--unet-width", "20"], "multiple of 16"),
        (["--model-unet", "--unet-width", "32"], "train none"),
        (["--reread", "--unet-layers", "2"], "train none"),
        (["--device", "tpu"], "not a device name"),
        (["--device", "xla"], "only cpu and cuda"),
    ],
)
def test_the_command_refuses_bad_flags_with_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    message: str,
) -> None:
    out = tmp_path / "out"
    model = ["--model", str(pretrained.face_domain_dir())]
    argv = ["capacity_probe", *model, "--out", str(out), *flags]
    assert message in refusal(main, argv, monkeypatch, capsys)
    assert not out.exists()
