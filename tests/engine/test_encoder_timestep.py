"""A fixed encoder timestep: the encoder reads its picture noised to ``freeze_timestep`` in every
training step (``DomainConfig.fixed_encoder_timestep``), not to the step's own timestep.

Off by default, and then left out of the saved config, so models saved before it keep their
JSON and their fingerprint.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from e4t_server.engine.config import DomainConfig
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.images import to_tensor
from e4t_server.engine.tiny import synthetic_image
from e4t_server.engine.training import E4TTrainable, TrainingBatch, denoising_loss

RESOLUTION = 32


def test_the_option_is_saved_only_when_set_and_loads_back(tmp_path: Path) -> None:
    default = DomainConfig()
    assert "fixed_encoder_timestep" not in default.to_json()
    assert DomainConfig.from_dict(default.to_dict()) == default
    fixed = replace(default, fixed_encoder_timestep=True, freeze_timestep=100)
    fixed.save(tmp_path / "config.json")
    assert DomainConfig.load(tmp_path / "config.json") == fixed


def _encoder_timesteps(model: DomainModel, timestep_range: tuple[int, int]) -> torch.Tensor:
    """The timesteps the encoder was called with in one training step."""
    seen: list[torch.Tensor] = []
    hook = model.encoder.register_forward_hook(
        lambda _module, inputs, _output: seen.append(inputs[2].clone())
    )
    images = torch.stack([to_tensor(synthetic_image(s), RESOLUTION) for s in range(3)])
    try:
        denoising_loss(
            E4TTrainable(model, model.encoder, model.offsets),
            model,
            TrainingBatch(images),
            generator=torch.Generator().manual_seed(0),
            regularization=model.config.domain_regularization,
            timestep_range=timestep_range,
        )
    finally:
        hook.remove()
    (timesteps,) = seen
    return timesteps


def test_the_encoder_reads_the_steps_timestep_unless_fixed(fresh_model: DomainModel) -> None:
    own = _encoder_timesteps(fresh_model, (600, 1000))
    assert bool((own >= 600).all())
    fresh_model.config = replace(
        fresh_model.config, fixed_encoder_timestep=True, freeze_timestep=50
    )
    assert _encoder_timesteps(fresh_model, (600, 1000)).tolist() == [50, 50, 50]


def test_a_fixed_timestep_changes_only_what_the_encoder_reads(fresh_model: DomainModel) -> None:
    """The loss's own draws are unchanged: the same denoised latents and noise, so the runs differ
    by what the encoder reads alone (checked with an encoder whose output is not constant)."""
    with torch.no_grad():
        fresh_model.encoder.to_offset.weight.normal_(generator=torch.Generator().manual_seed(1))
    images = torch.stack([to_tensor(synthetic_image(s), RESOLUTION) for s in range(2)])

    def loss() -> torch.Tensor:
        return denoising_loss(
            E4TTrainable(fresh_model, fresh_model.encoder, fresh_model.offsets),
            fresh_model,
            TrainingBatch(images),
            generator=torch.Generator().manual_seed(0),
            regularization=fresh_model.config.domain_regularization,
            timestep_range=(500, 501),
        ).denoising

    at_own_step = loss()
    fresh_model.config = replace(
        fresh_model.config, fixed_encoder_timestep=True, freeze_timestep=500
    )
    assert torch.equal(loss(), at_own_step)  # the step's timestep is the fixed one: same inputs
    fresh_model.config = replace(fresh_model.config, freeze_timestep=10)
    assert not torch.equal(loss(), at_own_step)
