"""The encoder-capacity diagnostics, run small on the shipped demo model."""

from __future__ import annotations

import numpy as np
import pytest

from e4t_server.demo import pretrained
from e4t_server.demo.dataset import render_samples, split_seeds
from e4t_server.demo.encoder_capacity import (
    CLASS,
    OTHER,
    OWN,
    READOUT_FACTORS,
    WORDS,
    encoder_input_features,
    feature_readout,
    linear_readout,
    main,
    token_capacity,
    unet_column,
)
from e4t_server.engine.domain_model import DomainModel
from tests.demo.commands import refusal


@pytest.fixture(scope="module")
def shipped() -> DomainModel:
    return DomainModel.from_pretrained(pretrained.face_domain_dir())


def test_untrained_tokens_are_the_class_word_and_training_moves_them(
    shipped: DomainModel,
) -> None:
    still = token_capacity(shipped, people=3, pictures=2, steps=0, timesteps=(500,))
    assert still.shift_norm == 0.0
    assert still.loss[500][OWN] == still.loss[500][CLASS] == still.loss[500][OTHER]
    moved = token_capacity(shipped, people=3, pictures=2, steps=3, timesteps=(500,))
    assert moved.shift_norm > 0.0
    assert moved.loss[500][OWN] != moved.loss[500][CLASS]
    assert moved.loss[500][WORDS] == still.loss[500][WORDS]  # words do not depend on tokens


def test_the_linear_readout_reads_a_separable_factor_and_not_noise() -> None:
    rng = np.random.default_rng(0)
    labels = [str(v) for v in rng.integers(0, 3, 300)]
    signal = np.eye(3)[[int(v) for v in labels]] + 0.1 * rng.standard_normal((300, 3))
    features = np.hstack([signal, rng.standard_normal((300, 5))])
    assert linear_readout(features[:200], labels[:200], features[200:], labels[200:]) == 1.0
    noise = rng.standard_normal((300, 8))
    assert linear_readout(noise[:200], labels[:200], noise[200:], labels[200:]) < 0.6


def test_the_feature_readout_scores_every_factor(shipped: DomainModel) -> None:
    table = feature_readout(shipped, train_people=12, test_people=6)
    assert list(table) == list(READOUT_FACTORS)
    for row in table.values():
        frozen = unet_column(shipped.config.freeze_timestep)  # the default timestep
        assert set(row) == {"majority", "clip", frozen}
        assert all(0.0 <= value <= 1.0 for value in row.values())


def test_the_unet_features_are_read_at_each_timestep_asked_for(shipped: DomainModel) -> None:
    samples = render_samples(split_seeds("heldout", 3), images_per_identity=1, seed=7, size=32)
    features = encoder_input_features(shipped, samples, unet_timesteps=(0, 500))
    assert list(features) == ["clip", "unet t=0", "unet t=500"]
    assert features["unet t=0"].shape == features["unet t=500"].shape
    assert not np.allclose(features["unet t=0"], features["unet t=500"])
    again = encoder_input_features(shipped, samples, unet_timesteps=(500,))
    assert np.array_equal(again["unet t=500"], features["unet t=500"])  # the same noise


def test_too_few_people_or_a_bad_timestep_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["encoder_capacity", "--model", "unused", "--token-people", "1"]
    assert "--token-people must be at least 2" in refusal(main, argv, monkeypatch, capsys)
    model = str(pretrained.face_domain_dir())
    argv = ["encoder_capacity", "--model", model, "--readout-timesteps", "1000"]
    assert "--readout-timesteps must be in" in refusal(main, argv, monkeypatch, capsys)
