"""Tiny, deterministic components built from configs, for tests and the demo (no downloads).

Sizes follow diffusers' own tests: UNet blocks (32, 64), cross-attention width 32, CLIP text
hidden 32 / intermediate 37 / 4 heads / 5 layers. The CLIP vision tower has 6 layers so that
"every 2nd layer" selects 3 of them. Each component is seeded before it is built.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from PIL import Image
from transformers import CLIPTextConfig, CLIPTextModel, CLIPVisionConfig, CLIPVisionModel

from e4t_server.engine.components import (
    BaseComponents,
    ClipPreprocessing,
    default_scheduler,
    stable_diffusion_pipeline,
)
from e4t_server.engine.config import DomainConfig
from e4t_server.engine.tokenizer import DEFAULT_WORDS, build_offline_tokenizer

TINY_RESOLUTION = 32
TINY_TEXT_WIDTH = 32
TINY_VISION_LAYERS = 6


def tiny_domain_config(**overrides: object) -> DomainConfig:
    """A :class:`DomainConfig` sized for the tiny components."""
    values: dict[str, object] = {"resolution": TINY_RESOLUTION, "encoder_hidden_size": 64}
    values.update(overrides)
    return DomainConfig(**values)  # type: ignore[arg-type]


def build_tiny_components(class_word: str = "face", seed: int = 0) -> BaseComponents:
    """Build a complete, randomly initialised tiny SD + CLIP vision set (deterministic per seed)."""
    with tempfile.TemporaryDirectory() as tokenizer_dir:
        tokenizer = build_offline_tokenizer(Path(tokenizer_dir), (class_word, *DEFAULT_WORDS))
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=2,
        sample_size=TINY_RESOLUTION // 2,
        in_channels=4,
        out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=TINY_TEXT_WIDTH,
        attention_head_dim=8,
        norm_num_groups=32,
    )
    torch.manual_seed(seed)
    vae = AutoencoderKL(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
        sample_size=TINY_RESOLUTION,
    )
    torch.manual_seed(seed)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            hidden_size=TINY_TEXT_WIDTH,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=5,
            layer_norm_eps=1e-5,
            vocab_size=len(tokenizer),
            max_position_embeddings=tokenizer.model_max_length,
        )
    )
    torch.manual_seed(seed)
    image_encoder = CLIPVisionModel(
        CLIPVisionConfig(
            hidden_size=32,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=TINY_VISION_LAYERS,
            image_size=TINY_RESOLUTION,
            patch_size=8,
            projection_dim=32,
        )
    )
    return BaseComponents(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=default_scheduler(),
        image_encoder=image_encoder,
        image_preprocessing=ClipPreprocessing(size=TINY_RESOLUTION),
    )


def save_tiny_base(directory: Path, class_word: str = "face", seed: int = 0) -> tuple[Path, Path]:
    """Write a tiny base model the way users bring theirs: a stock diffusers SD directory and a
    CLIP vision directory. Returns ``(sd_dir, clip_vision_dir)``."""
    base = build_tiny_components(class_word, seed)
    sd_dir, vision_dir = directory / "stable-diffusion", directory / "clip-vision"
    stable_diffusion_pipeline(base).save_pretrained(sd_dir, safe_serialization=True)
    base.image_encoder.save_pretrained(vision_dir, safe_serialization=True)
    base.image_preprocessing.save(vision_dir)
    return sd_dir, vision_dir


def synthetic_image(seed: int, size: int = 48) -> Image.Image:
    """A coloured blob on a coloured background, different per seed: stand-in domain data."""
    rng = np.random.default_rng(seed)
    pixels = np.zeros((size, size, 3), np.uint8)
    pixels[:] = rng.integers(0, 255, 3)
    y, x = np.mgrid[:size, :size]
    centre = rng.integers(size // 3, 2 * size // 3, 2)
    blob = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 < rng.integers(size * 2, size * 6)
    pixels[blob] = rng.integers(0, 255, 3)
    return Image.fromarray(pixels)
