"""The base-model trainer's loss weighting."""

from __future__ import annotations

import torch

from e4t_server.demo.train_base import min_snr_weights
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
