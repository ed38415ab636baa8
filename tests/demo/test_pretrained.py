"""The shipped demo face-domain model: complete, loadable, and it draws what a prompt asks for."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from e4t_server.demo import pretrained
from e4t_server.demo.context import ContextMetric
from e4t_server.demo.identity import MissingWeightsError
from e4t_server.demo.scenes import GUIDANCE_SCALE
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.generate import Engine


@pytest.fixture(scope="module")
def model() -> DomainModel:
    return DomainModel.from_pretrained(pretrained.face_domain_dir())


def test_the_shipped_model_is_the_one_its_training_report_describes(model: DomainModel) -> None:
    report = json.loads((pretrained.FACE_DOMAIN_DIR / "domain_training.json").read_text())
    assert report["fingerprint"] == model.fingerprint()
    assert model.config.resolution == 32 and model.config.class_word == "face"


def test_generations_show_the_requested_backdrop(model: DomainModel) -> None:
    """The trained model follows the prompt's backdrop (chance is 1/8), see docs/demo-domain.md."""
    engine, context = Engine(model), ContextMetric.load()
    hits = []
    for index, background in enumerate(("red", "blue", "yellow", "green")):
        prompt = f"a photo of a face, {background} background, bright lighting"
        generated = engine.generate(
            prompt, steps=20, seed=index, num_images=4, guidance_scale=GUIDANCE_SCALE
        )
        for image in generated:
            hits.append(context.adherence(image, background=background)["background"])
    assert np.mean(hits) >= 0.75  # measured 16 of 16 (deterministic seeds)


def test_a_missing_model_names_the_commands_that_rebuild_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pretrained, "FACE_DOMAIN_DIR", tmp_path / "absent")
    with pytest.raises(MissingWeightsError, match="train_domain"):
        pretrained.face_domain_dir()
