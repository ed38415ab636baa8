"""Settings small enough for a base-model run in seconds (the demo trainers' tests share them)."""

from __future__ import annotations

from e4t_server.demo.train_base import BaseTrainingSettings

TINY_BASE = BaseTrainingSettings(
    identities=2,
    images_per_identity=2,
    clip_steps=2,
    clip_batch=4,
    vae_steps=2,
    vae_batch=4,
    unet_steps=2,
    unet_batch=4,
    checkpoint_every=0,
)
