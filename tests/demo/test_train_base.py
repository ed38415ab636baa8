"""The base-model trainer: its captions and its loss weighting."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from e4t_server.demo.base_model import RESOLUTION
from e4t_server.demo.faces import render
from e4t_server.demo.train_base import (
    REPORT_FILE,
    SD_DIR,
    VISION_DIR,
    BaseTrainingSettings,
    Pictures,
    continue_base,
    draw_timesteps,
    main,
    min_snr_weights,
    recover_swapped,
    resume_base,
    save_base,
    train_base,
)
from e4t_server.demo.training import resolve_device
from e4t_server.demo.unet_state import STATE_FILE
from e4t_server.engine.components import default_scheduler
from e4t_server.engine.domain_model import load_base_components
from tests.demo.commands import refusal
from tests.demo.tiny import TINY_BASE


def test_min_snr_weighting_off_is_plain_mse() -> None:
    timesteps = torch.tensor([0, 10, 500, 999])
    assert torch.equal(min_snr_weights(default_scheduler(), timesteps, 0.0), torch.ones(4))


def test_min_snr_weighting_damps_only_the_nearly_clean_timesteps() -> None:
    scheduler = default_scheduler()
    timesteps = torch.arange(0, 1000, 37)
    weights = min_snr_weights(scheduler, timesteps, 5.0)
    alphas = scheduler.alphas_cumprod[timesteps]
    snr = alphas / (1 - alphas)
    noisy = snr <= 5.0
    assert noisy.any() and (~noisy).any()
    assert torch.allclose(weights[noisy], torch.ones(int(noisy.sum())))
    assert torch.allclose(weights[~noisy], 5.0 / snr[~noisy])
    assert bool((weights[~noisy] < 1).all())
    # less noise, more signal: the weight never grows as the timestep falls
    assert bool((weights[1:] >= weights[:-1]).all())


def test_timesteps_come_from_the_whole_schedule_unless_a_range_is_set() -> None:
    torch.manual_seed(0)
    everywhere = draw_timesteps(BaseTrainingSettings(), 1000, 4000)
    assert everywhere.min() < 50 and everywhere.max() > 950
    ranged = draw_timesteps(BaseTrainingSettings(timestep_range=(400, 1000)), 1000, 4000)
    assert ranged.min() >= 400 and ranged.max() <= 999
    assert ranged.min() < 420 and ranged.max() > 980  # the whole range, not a part of it
    with pytest.raises(ValueError, match="not a non-empty range"):
        draw_timesteps(BaseTrainingSettings(timestep_range=(500, 500)), 1000, 1)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--timestep-range", "400", "1001"], "not a non-empty range inside [0, 1000)"),
        (["--unet-width", "24"], "multiple of 16"),
        (["--unet-width", "0"], "multiple of 16"),
        (["--unet-layers", "0"], "at least 1 layer"),
        (["--continue-from", "nowhere"], "not a train_base output"),
        (["--device", "nonsense"], "not a device name: 'nonsense'"),
    ],
)
def test_unusable_settings_exit_2_before_anything_is_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    message: str,
) -> None:
    out = tmp_path / "run"
    argv = ["train_base", "--out", str(out), *flags]
    assert message in refusal(main, argv, monkeypatch, capsys)
    assert not out.exists()


def test_a_device_is_one_this_machine_has_or_a_clear_error() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    for name in ("nonsense", "meta"):
        with pytest.raises(ValueError, match=r"device|supported"):
            resolve_device(name)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            resolve_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_tiny_run_trains_and_saves_on_the_gpu(tmp_path: Path) -> None:
    report = train_base(tmp_path / "gpu", TINY_BASE, workers=1, device=torch.device("cuda"))
    assert report["device"] == "cuda:0"
    base = load_base_components(tmp_path / "gpu" / SD_DIR, tmp_path / "gpu" / VISION_DIR)
    assert base.unet.device.type == "cpu"  # saved weights load anywhere


def test_each_training_picture_is_captioned_with_its_own_person() -> None:
    """A caption's traits must be those of the person in its picture (a mismatch here once
    kept the base model from ever learning traits)."""
    settings = BaseTrainingSettings(identities=3, images_per_identity=2)
    pictures = Pictures.render(settings, workers=1)
    assert len(pictures.identities) == len(pictures.nuisances) == len(pictures) == 6
    for index, (identity, nuisance) in enumerate(
        zip(pictures.identities, pictures.nuisances, strict=True)
    ):
        drawn = np.asarray(render(identity, nuisance, RESOLUTION)[0], dtype=np.float32)
        expected = torch.from_numpy(drawn).permute(2, 0, 1) / 127.5 - 1.0
        assert torch.allclose(pictures.images[index], expected, atol=1e-6)
    assert len({identity for identity in pictures.identities}) == 3


@pytest.mark.parametrize(("pooled_text", "width"), [(False, 32), (True, 16)])
def test_a_tiny_run_and_its_continuation_write_loadable_models(
    tmp_path: Path, pooled_text: bool, width: int
) -> None:
    settings = replace(
        TINY_BASE,
        unet_steps=4,
        snr_gamma=5.0,
        checkpoint_every=2,
        unet_pooled_text=pooled_text,
        unet_width=width,
    )
    first = train_base(tmp_path / "first", settings, workers=1)
    assert first["unet_steps_done"] == 4
    assert first["device"] == "cpu"
    final_losses = first["final_losses"]
    assert isinstance(final_losses, dict)
    assert set(final_losses) == {"clip", "vae", "unet"}
    for other_unet in ({"unet_width": width + 16}, {"unet_pooled_text": not pooled_text}):
        with pytest.raises(ValueError, match="the earlier run's UNet has"):
            continue_base(tmp_path / "first", tmp_path / "refused", replace(settings, **other_unet))
    assert not (tmp_path / "refused").exists()
    continued = replace(settings, seed=1, timestep_range=(400, 1000))
    later = continue_base(tmp_path / "first", tmp_path / "later", continued)
    assert later["continued_from"] == first
    later_settings = later["settings"]
    assert isinstance(later_settings, dict)
    assert later_settings["timestep_range"] == [400, 1000]
    assert later["unet_steps_done"] == 4
    saved = json.loads((tmp_path / "later" / REPORT_FILE).read_text(encoding="utf-8"))
    assert saved == later
    base = load_base_components(tmp_path / "later" / SD_DIR, tmp_path / "later" / VISION_DIR)
    first_unet = load_base_components(
        tmp_path / "first" / SD_DIR, tmp_path / "first" / VISION_DIR
    ).unet
    # the continuation trained the UNet and kept the rest
    changed = [
        not torch.equal(a, b)
        for a, b in zip(base.unet.parameters(), first_unet.parameters(), strict=True)
    ]
    assert any(changed)
    assert base.vae.config["scaling_factor"] == first["vae_scaling_factor"]
    # the UNet's architecture survives saving, loading and continuing
    pooling = "text" if pooled_text else None
    assert first_unet.config["addition_embed_type"] == base.unet.config["addition_embed_type"]
    assert base.unet.config["addition_embed_type"] == pooling
    assert base.unet.config["block_out_channels"] == [width, 2 * width, 2 * width]


def _text_encoder_weights(run: Path) -> list[torch.Tensor]:
    base = load_base_components(run / SD_DIR, run / VISION_DIR)
    return [parameter.detach().clone() for parameter in base.text_encoder.parameters()]


def test_the_text_tower_is_trained_only_when_asked(tmp_path: Path) -> None:
    first = tmp_path / "first"
    train_base(first, TINY_BASE, workers=1)
    frozen = replace(TINY_BASE, seed=1)
    continue_base(first, tmp_path / "frozen", frozen, workers=1)
    trained = replace(frozen, train_text_encoder=True)
    report = continue_base(first, tmp_path / "trained", trained, workers=1)
    settings = report["settings"]
    assert isinstance(settings, dict) and settings["train_text_encoder"] is True
    before = _text_encoder_weights(first)
    assert all(
        torch.equal(a, b)
        for a, b in zip(before, _text_encoder_weights(tmp_path / "frozen"), strict=True)
    )
    assert not all(
        torch.equal(a, b)
        for a, b in zip(before, _text_encoder_weights(tmp_path / "trained"), strict=True)
    )


def _unet_weights(run: Path) -> list[torch.Tensor]:
    base = load_base_components(run / SD_DIR, run / VISION_DIR)
    return [parameter.detach().clone() for parameter in base.unet.parameters()]


RESUMABLE = replace(TINY_BASE, unet_steps=6, checkpoint_every=2, unet_width=16)


@pytest.mark.parametrize("kind", ["fresh", "continued, text tower trained"])
def test_a_stopped_run_resumes_to_the_weights_of_one_never_stopped(
    tmp_path: Path, tiny_base: Path, kind: str
) -> None:
    settings = RESUMABLE
    if kind != "fresh":
        settings = replace(
            TINY_BASE, seed=1, unet_steps=6, checkpoint_every=2, train_text_encoder=True
        )

    def run(out: Path, stop_after: int | None = None) -> dict[str, object]:
        if kind == "fresh":
            return train_base(out, settings, workers=1, stop_after=stop_after)
        return continue_base(tiny_base, out, settings, workers=1, stop_after=stop_after)

    whole = run(tmp_path / "whole")
    assert whole["unet_steps_done"] == 6 and not (tmp_path / "whole" / STATE_FILE).exists()
    stopped = run(tmp_path / "stopped", stop_after=3)  # between two checkpoints
    assert stopped["unet_steps_done"] == 3
    assert (tmp_path / "stopped" / STATE_FILE).is_file()
    halfway = _unet_weights(tmp_path / "stopped")
    assert not all(
        torch.equal(a, b) for a, b in zip(halfway, _unet_weights(tmp_path / "whole"), strict=True)
    )
    # as a kill after the state was written but before the report: the state says where
    report_file = tmp_path / "stopped" / REPORT_FILE
    lagging = json.loads(report_file.read_text(encoding="utf-8"))
    report_file.write_text(json.dumps({**lagging, "unet_steps_done": 2}), encoding="utf-8")
    first = resume_base(tmp_path / "stopped", settings, workers=1, stop_after=2)
    assert first["unet_steps_done"] == 5 and first["resumed_at_steps"] == [3]
    resumed = resume_base(tmp_path / "stopped", settings, workers=1)
    assert resumed["unet_steps_done"] == 6 and resumed["resumed_at_steps"] == [3, 5]
    assert not (tmp_path / "stopped" / STATE_FILE).exists()
    for a, b in zip(
        _unet_weights(tmp_path / "stopped"), _unet_weights(tmp_path / "whole"), strict=True
    ):
        assert torch.equal(a, b)
    assert resumed["final_losses"] == whole["final_losses"]
    assert resumed.get("continued_from") == whole.get("continued_from")
    if settings.train_text_encoder:
        for a, b in zip(
            _text_encoder_weights(tmp_path / "stopped"),
            _text_encoder_weights(tmp_path / "whole"),
            strict=True,
        ):
            assert torch.equal(a, b)
    resumed_times, whole_times = resumed["wall_time"], whole["wall_time"]
    assert isinstance(resumed_times, dict) and isinstance(whole_times, dict)
    assert set(resumed_times) == set(whole_times)


def test_resume_refuses_what_it_cannot_go_on_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = ["--identities", "2", "--clip-steps", "2", "--vae-steps", "2", "--unet-batch", "4"]
    flags += ["--unet-steps", "6", "--checkpoint-every", "2", "--unet-width", "16"]
    finished, stopped = tmp_path / "finished", tmp_path / "stopped"
    for argv in (
        ["train_base", *flags, "--out", str(finished)],
        ["train_base", *flags, "--out", str(stopped), "--stop-after-steps", "1"],
    ):
        monkeypatch.setattr("sys.argv", argv)
        main()
    assert "run the same command with --resume" in capsys.readouterr().err
    before = {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*")}
    cases = [
        ([str(finished), "--resume"], "holds no stopped run"),
        ([str(stopped), "--resume", "--unet-steps", "8"], "differ in unet_steps: run 6, asked 8"),
        ([str(stopped)], "holds a stopped run: pass --resume"),
        ([str(stopped), "--resume", "--continue-from", str(finished)], "did not continue"),
        ([str(stopped), "--resume", "--stop-after-steps", "0"], "at least 1"),
    ]
    for (out, *rest), message in cases:
        argv = ["train_base", *flags, "--out", out, *rest]
        assert message in refusal(main, argv, monkeypatch, capsys)
    assert {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*")} == before


def test_a_checkpoint_killed_between_its_renames_is_put_back(
    tiny_base: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    base = load_base_components(tiny_base / SD_DIR, tiny_base / VISION_DIR)
    save_base(base, out)
    (out / SD_DIR).rename(out / (SD_DIR + ".previous"))  # as a kill after the first rename
    recover_swapped(out / SD_DIR)
    reloaded = load_base_components(out / SD_DIR, out / VISION_DIR)
    assert all(
        torch.equal(a, b)
        for a, b in zip(reloaded.unet.parameters(), base.unet.parameters(), strict=True)
    )
    save_base(base, out)  # and the next checkpoint leaves nothing beside it
    assert sorted(path.name for path in out.iterdir()) == [VISION_DIR, SD_DIR]
