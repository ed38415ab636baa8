"""The demo domain trainer: a tiny run on a tiny base model, and its device choice."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from e4t_server.demo.train_domain import (
    REPORT_FILE,
    DomainTrainingSettings,
    face_dataset,
    main,
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


@pytest.mark.parametrize(
    ("option", "message"),
    [(["--device", "tpu"], "'tpu'"), (["--embedding-regularization", "-1"], ">= 0")],
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


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_tiny_run_tunes_on_the_gpu_and_saves_a_loadable_model(
    tiny_base: Path, tmp_path: Path
) -> None:
    report = train_domain(tiny_base, tmp_path / "gpu", TINY, workers=1, device=torch.device("cuda"))
    assert report["device"] == "cuda:0"
    assert DomainModel.from_pretrained(tmp_path / "gpu").fingerprint() == report["fingerprint"]
