"""The demo domain trainer: a tiny run on a tiny base model, and its device choice."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from e4t_server.demo.train_domain import (
    CHECKPOINT_DIR,
    REPORT_FILE,
    DomainTrainingSettings,
    face_dataset,
    main,
    starting_model,
    train_domain,
)
from e4t_server.engine.data import other_views
from e4t_server.engine.domain_model import DomainModel
from tests.demo.commands import refusal

TINY = DomainTrainingSettings(identities=2, images_per_identity=2, steps=2, batch_size=2)


def test_a_tiny_run_writes_a_loadable_domain_model_it_reports(
    tiny_base: Path, tmp_path: Path
) -> None:
    report = train_domain(tiny_base, tmp_path / "domain", TINY, workers=1)
    assert report["device"] == "cpu"
    assert (tmp_path / "domain" / REPORT_FILE).is_file()
    model = DomainModel.from_pretrained(tmp_path / "domain")
    assert model.fingerprint() == report["fingerprint"]


def test_other_views_pair_each_picture_with_the_same_persons_other_picture() -> None:
    paired = face_dataset(DomainTrainingSettings(identities=2, other_views=True), workers=1)
    assert other_views(paired) == [[1], [0], [3], [2]]
    assert paired.subject(0) != paired.subject(2)
    assert not any(other_views(face_dataset(DomainTrainingSettings(identities=2), workers=1)))


def test_descriptions_name_every_trait_of_the_pictured_person_only_when_weighted() -> None:
    described = face_dataset(DomainTrainingSettings(identities=2, description_weight=1.0), 1)
    words = [described.description(i) for i in range(4)]
    assert all(w is not None and w.startswith("a face with ") for w in words)
    assert words[0] == words[1] and words[0] != words[2]  # two pictures per person
    plain = face_dataset(DomainTrainingSettings(identities=2), workers=1)
    assert plain.description(0) is None


def test_a_run_goes_on_from_a_domain_model_with_the_description_teacher(
    tiny_base: Path, tmp_path: Path
) -> None:
    first = train_domain(tiny_base, tmp_path / "first", TINY, workers=1)
    settings = replace(
        TINY,
        description_weight=2.0,
        embedding_regularization=1e-5,
        init_from=str(tmp_path / "first"),
    )
    report = train_domain(tmp_path / "first", tmp_path / "second", settings, workers=1)
    second = DomainModel.from_pretrained(tmp_path / "second")
    assert report["fingerprint"] == second.fingerprint() != first["fingerprint"]
    assert second.config.domain_regularization.embedding == 1e-5
    # it starts from the first model's encoder and offsets, not from fresh ones on the base
    same_config = replace(settings, embedding_regularization=TINY.embedding_regularization)
    assert starting_model(tiny_base, same_config).fingerprint() == first["fingerprint"]


def test_an_encoder_timestep_is_fixed_in_the_config_of_a_fresh_or_continued_run(
    tiny_base: Path, tmp_path: Path
) -> None:
    fixed = replace(TINY, encoder_timestep=100)
    train_domain(tiny_base, tmp_path / "fixed", fixed, workers=1)
    config = DomainModel.from_pretrained(tmp_path / "fixed").config
    assert (config.freeze_timestep, config.fixed_encoder_timestep) == (100, True)
    continued = replace(TINY, encoder_timestep=50, init_from=str(tmp_path / "fixed"))
    assert starting_model(tmp_path / "fixed", continued).config.freeze_timestep == 50
    assert not starting_model(tiny_base, TINY).config.fixed_encoder_timestep


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--device", "tpu"], "'tpu'"),
        (["--embedding-regularization", "-1"], ">= 0"),
        (["--description-weight", "-1"], ">= 0"),
        (["--init-from", "."], "either --base or --init-from"),
        (["--encoder-timestep", "1000"], "--encoder-timestep must be in [0, 1000)"),
        (["--encoder-timestep", "-1"], "--encoder-timestep must be in [0, 1000)"),
    ],
)
def test_a_bad_option_exits_2_before_anything_is_written(
    tiny_base: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    option: list[str],
    message: str,
) -> None:
    out = tmp_path / "domain"
    argv = ["train_domain", "--base", str(tiny_base), "--out", str(out), *option]
    assert message in refusal(main, argv, monkeypatch, capsys)
    assert not out.exists()


RESUMABLE = replace(TINY, steps=5)


def test_a_stopped_tuning_resumes_to_the_model_of_one_never_stopped(
    tiny_base: Path, tmp_path: Path
) -> None:
    whole = train_domain(tiny_base, tmp_path / "whole", RESUMABLE, workers=1)
    out = tmp_path / "stopped"
    stopped = train_domain(tiny_base, out, RESUMABLE, workers=1, checkpoint_every=2, stop_after=3)
    assert stopped["steps_done"] == 3 and not (out / REPORT_FILE).exists()
    assert sorted(path.name for path in (out / CHECKPOINT_DIR).glob("step-*")) == [
        "step-00000002",
        "step-00000003",
    ]
    # a kill after step 3 loses nothing; the next call ends at step 4, then the run at 5
    assert (
        train_domain(tiny_base, out, RESUMABLE, workers=1, stop_after=1, resume=True)["steps_done"]
        == 4
    )
    resumed = train_domain(tiny_base, out, RESUMABLE, workers=1, resume=True)
    assert resumed["fingerprint"] == whole["fingerprint"]
    assert DomainModel.from_pretrained(out).fingerprint() == whole["fingerprint"]
    for name in ("loss_first_50", "loss_last_50"):
        assert resumed[name] == whole[name]
    calls = resumed["calls"]
    assert isinstance(calls, list)
    assert [call["steps"] for call in calls] == [[0, 3], [3, 4], [4, 5]]
    assert "calls" not in whole and not (out / CHECKPOINT_DIR).exists()


def test_resume_refuses_what_it_cannot_go_on_with(
    tiny_base: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    flags = ["--identities", "2", "--steps", "4"]
    out, other_base = tmp_path / "stopped", tmp_path / "other-base"
    shutil.copytree(tiny_base, other_base)
    monkeypatch.setattr(
        "sys.argv",
        [
            "train_domain",
            "--base",
            str(tiny_base),
            "--out",
            str(out),
            *flags,
            "--stop-after-steps",
            "1",
        ],
    )
    main()
    assert "run the same command with --resume" in capsys.readouterr().err
    before = {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*")}
    cases = [
        ([str(tmp_path / "none"), "--resume"], "holds no stopped run"),
        ([str(out)], "holds a stopped run: pass --resume"),
        ([str(out), "--resume", "--steps", "6"], "differ in steps: run 4, asked 6"),
        ([str(out), "--resume", "--stop-after-steps", "0"], "at least 1"),
        ([str(out), "--resume", "--checkpoint-every", "-1"], ">= 0"),
    ]
    for (where, *rest), message in cases:
        argv = ["train_domain", "--base", str(tiny_base), *flags, "--out", where, *rest]
        assert message in refusal(main, argv, monkeypatch, capsys)
    argv = ["train_domain", "--base", str(other_base), *flags, "--out", str(out), "--resume"]
    assert "not " + str(other_base) in refusal(main, argv, monkeypatch, capsys)
    assert {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*")} == before


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_tiny_run_tunes_on_the_gpu_and_saves_a_loadable_model(
    tiny_base: Path, tmp_path: Path
) -> None:
    report = train_domain(tiny_base, tmp_path / "gpu", TINY, workers=1, device=torch.device("cuda"))
    assert report["device"] == "cuda:0"
    assert DomainModel.from_pretrained(tmp_path / "gpu").fingerprint() == report["fingerprint"]
