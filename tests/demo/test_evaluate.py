"""The evaluation harness, at toy size on the shipped demo model: rows, resume, method filter."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from e4t_server.demo import pretrained
from e4t_server.demo.evaluate import (
    OTHER_RENDER,
    TRUE_RENDER,
    EvaluationSettings,
    evaluate,
    main,
    methods,
    row_order,
)
from e4t_server.demo.results_file import read_rows
from tests.demo.commands import refusal

TOY = EvaluationSettings(
    identities=1, samples=1, generation_steps=2, short_steps=1, long_steps=2, seed=0
)


def test_a_filtered_run_then_a_full_run_scores_every_method_once(tmp_path: Path) -> None:
    model = pretrained.face_domain_dir()
    results = evaluate(model, tmp_path, TOY, only=("E4T",))
    first = read_rows(results)
    assert {row["method"] for row in first} == {name for name in methods(TOY) if "E4T" in name}

    evaluate(model, tmp_path, TOY)  # resumes: only the missing methods run
    rows = read_rows(results)
    assert rows[: len(first)] == first
    assert sorted(str(row["method"]) for row in rows) == sorted(row_order(TOY))
    for row in rows:
        assert -1.0 <= float(str(row["identity"])) <= 1.0
        assert 0.0 <= float(str(row["background"])) <= 1.0
        per_prompt = [float(value) for value in row["identity_per_prompt"]]
        assert len(per_prompt) == 4
        assert abs(sum(per_prompt) / 4 - float(str(row["identity"]))) < 1e-5
    identity = {row["method"]: float(str(row["identity"])) for row in rows}
    # the chance row draws other people: the metric must tell them apart from the input's person
    assert identity[TRUE_RENDER] > identity[OTHER_RENDER] + 0.2


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_toy_run_makes_and_draws_every_concept_on_the_gpu(tmp_path: Path) -> None:
    results = evaluate(pretrained.face_domain_dir(), tmp_path, TOY, device=torch.device("cuda"))
    assert sorted(str(row["method"]) for row in read_rows(results)) == sorted(row_order(TOY))


@pytest.mark.parametrize(
    ("device", "message"), [("xla", "only cpu and cuda"), ("tpu", "not a device name")]
)
def test_the_command_refuses_a_device_it_cannot_use_before_writing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    device: str,
    message: str,
) -> None:
    out = tmp_path / "out"
    model = str(pretrained.face_domain_dir())
    argv = ["evaluate", "--model", model, "--out", str(out), "--device", device]
    assert message in refusal(main, argv, monkeypatch, capsys)
    assert not out.exists()
