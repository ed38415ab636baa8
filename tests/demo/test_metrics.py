"""The shipped identity and context metrics: they load, refuse missing weights, and work on
held-out identities (seeds no metric was trained on)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from e4t_server.demo.context import ContextMetric, background_name
from e4t_server.demo.dataset import render_samples, split_seeds
from e4t_server.demo.faces import (
    BACKGROUNDS,
    LIGHTINGS,
    STYLES,
    identity_from_seed,
    nuisance_from_seed,
    render,
)
from e4t_server.demo.identity import IdentityMetric, MissingWeightsError
from e4t_server.demo.verification import roc_auc

# Seeds beyond what train_identity/train_context evaluate on, so this is a fresh check.
FRESH_HELDOUT = 900_000


@pytest.fixture(scope="module")
def identity_metric() -> IdentityMetric:
    torch.set_num_threads(1)
    return IdentityMetric.load()


@pytest.fixture(scope="module")
def context_metric() -> ContextMetric:
    return ContextMetric.load()


def test_loaders_refuse_missing_weights(tmp_path: Path) -> None:
    with pytest.raises(MissingWeightsError, match="train_identity"):
        IdentityMetric.load(tmp_path)
    with pytest.raises(MissingWeightsError, match="train_context"):
        ContextMetric.load(tmp_path)


def test_same_identity_scores_higher_than_different_identity(
    identity_metric: IdentityMetric,
) -> None:
    identities = 16
    pairs = render_samples(
        split_seeds("heldout", identities, start=FRESH_HELDOUT), images_per_identity=2, seed=123
    )
    similarity = identity_metric.similarity_matrix(pairs.images[0::2], pairs.images[1::2])
    same = np.diag(similarity)
    different = similarity[~np.eye(identities, dtype=bool)]
    assert same.mean() > different.mean() + 0.15
    assert roc_auc(same, different) > 0.85
    # Most pictures pick their true partner out of all 16 candidates.
    assert (similarity.argmax(axis=1) == np.arange(identities)).mean() >= 0.75


def test_identity_metric_reads_pil_images_of_any_size(identity_metric: IdentityMetric) -> None:
    identity = identity_from_seed(split_seeds("heldout", 1, start=FRESH_HELDOUT + 50)[0])
    small, _ = render(identity, nuisance_from_seed(1), size=64)
    large, _ = render(identity, nuisance_from_seed(1), size=128)
    score = identity_metric.pairwise_similarity([small], [large])
    assert score.shape == (1,) and score[0] > 0.8
    labels = identity_metric.predict([small]).labels(identity_metric.config)[0]
    assert set(labels) == set(identity.to_dict())


@pytest.mark.parametrize("style", STYLES)
def test_background_rule_recognises_every_rendered_background(style: str) -> None:
    for index, background in enumerate(BACKGROUNDS):
        for lighting in LIGHTINGS:
            nuisance = nuisance_from_seed(
                index, background=background, lighting=lighting, style=style
            )
            image, _ = render(identity_from_seed(FRESH_HELDOUT + index), nuisance)
            assert background_name(image) == background


def test_context_metric_recognises_style_and_lighting(context_metric: ContextMetric) -> None:
    samples = render_samples(
        split_seeds("heldout", 48, start=FRESH_HELDOUT + 100), images_per_identity=1, seed=7
    )
    predictions = context_metric.predict(samples.images)
    style_hits = [p.style == n.style for p, n in zip(predictions, samples.nuisances, strict=True)]
    lighting_hits = [
        p.lighting == n.lighting for p, n in zip(predictions, samples.nuisances, strict=True)
    ]
    assert np.mean(style_hits) > 0.85  # chance is 0.25
    assert np.mean(lighting_hits) > 0.6  # chance is 0.25


def test_adherence_judges_only_the_requested_factors(context_metric: ContextMetric) -> None:
    nuisance = nuisance_from_seed(3, background="yellow", style="photo", lighting="bright")
    image, _ = render(identity_from_seed(FRESH_HELDOUT + 200), nuisance)
    assert context_metric.adherence(image, background="yellow") == {"background": True}
    assert context_metric.adherence(image, background="red", style="photo")["background"] is False
    with pytest.raises(ValueError, match="background"):
        context_metric.adherence(image, background="teal")
    assert isinstance(
        context_metric.predict([Image.new("RGB", (40, 40), (200, 40, 40))])[0].background, str
    )
