"""The base-model trainer: its captions and its loss weighting."""

from __future__ import annotations

import numpy as np
import torch

from e4t_server.demo.base_model import RESOLUTION
from e4t_server.demo.faces import render
from e4t_server.demo.train_base import BaseTrainingSettings, Pictures, min_snr_weights
from e4t_server.engine.components import default_scheduler


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


def test_each_training_picture_is_captioned_with_its_own_person() -> None:
    """A caption's traits must be those of the person in its picture (a mismatch here once
    kept the base model from ever learning traits)."""
    settings = BaseTrainingSettings(identities=3, images_per_identity=2)
    pictures = Pictures(settings, workers=1)
    assert len(pictures.identities) == len(pictures.nuisances) == len(pictures) == 6
    for index, (identity, nuisance) in enumerate(
        zip(pictures.identities, pictures.nuisances, strict=True)
    ):
        drawn = np.asarray(render(identity, nuisance, RESOLUTION)[0], dtype=np.float32)
        expected = torch.from_numpy(drawn).permute(2, 0, 1) / 127.5 - 1.0
        assert torch.allclose(pictures.images[index], expected, atol=1e-6)
    assert len({identity for identity in pictures.identities}) == 3
