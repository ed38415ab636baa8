"""Architecture of the demo domain's base text-to-image model (built from configs, trained here).

A Stable-Diffusion-shaped model small enough to train from scratch on two CPU cores: 32×32
pictures, a VAE with one 2× downsampling (16×16×4 latents), a 1.7 M-parameter UNet with
cross-attention at its two lower resolutions, and a mini CLIP (text and vision towers, width
64) pretrained contrastively on the domain's captions. Every tensor ships as stock diffusers /
transformers safetensors, so the engine loads it like any SD checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from transformers import (
    CLIPConfig,
    CLIPModel,
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTokenizer,
    CLIPVisionConfig,
    CLIPVisionModel,
)

RESOLUTION = 32
TEXT_WIDTH = 64
VISION_LAYERS = 6


@dataclass
class DemoTowers:
    """The four trainable parts of the base model, freshly initialised."""

    clip: CLIPModel
    vae: AutoencoderKL
    unet: UNet2DConditionModel


def clip_config(tokenizer: CLIPTokenizer) -> CLIPConfig:
    """A mini CLIP: 4-layer text tower and 6-layer ViT (patch 4) of width 64."""
    text = CLIPTextConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        vocab_size=len(tokenizer),
        max_position_embeddings=tokenizer.model_max_length,
        hidden_size=TEXT_WIDTH,
        intermediate_size=4 * TEXT_WIDTH,
        num_attention_heads=4,
        num_hidden_layers=4,
        projection_dim=TEXT_WIDTH,
    )
    vision = CLIPVisionConfig(
        hidden_size=64,
        intermediate_size=256,
        num_attention_heads=4,
        num_hidden_layers=VISION_LAYERS,
        image_size=RESOLUTION,
        patch_size=4,
        projection_dim=TEXT_WIDTH,
    )
    return CLIPConfig(
        text_config=text.to_dict(), vision_config=vision.to_dict(), projection_dim=TEXT_WIDTH
    )


UNET_WIDTH = 32
"""Channels of the UNet's first block (the next two have twice as many): the shipped size."""


def check_unet_size(width: int, layers: int) -> None:
    """Refuse a UNet size its group norms (16 groups) and blocks cannot be built with."""
    if width < 16 or width % 16:
        raise ValueError(f"the UNet width must be a multiple of 16, at least 16; got {width}")
    if layers < 1:
        raise ValueError(f"the UNet needs at least 1 layer per block; got {layers}")


def build_towers(
    tokenizer: CLIPTokenizer,
    seed: int,
    *,
    pooled_text: bool = False,
    unet_width: int = UNET_WIDTH,
    unet_layers: int = 1,
) -> DemoTowers:
    """Fresh, seeded CLIP, VAE and UNet of the demo size.

    ``unet_width`` and ``unet_layers`` (ResNet layers per block) size the UNet; the defaults
    are the shipped model's (1.7 M parameters).

    ``pooled_text`` adds an attention-pooled summary of the caption to the UNet's timestep
    embedding (diffusers' ``addition_embed_type="text"``, as in Imagen and unCLIP), so the
    caption reaches every ResNet block, the 16×16 ones too, not only the two cross-attention
    resolutions. It needs no extra inputs: the pipeline and the engine call the UNet as before.
    """
    torch.manual_seed(seed)
    clip = CLIPModel(clip_config(tokenizer))
    torch.manual_seed(seed)
    vae = AutoencoderKL(
        block_out_channels=[16, 32],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        latent_channels=4,
        sample_size=RESOLUTION,
        norm_num_groups=8,
        mid_block_add_attention=False,
    )
    pooling = {"addition_embed_type": "text", "addition_embed_type_num_heads": 4}
    check_unet_size(unet_width, unet_layers)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(unet_width, 2 * unet_width, 2 * unet_width),
        layers_per_block=unet_layers,
        sample_size=RESOLUTION // 2,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=TEXT_WIDTH,
        attention_head_dim=8,
        norm_num_groups=16,
        **(pooling if pooled_text else {}),
    )
    return DemoTowers(clip=clip, vae=vae, unet=unet)


def split_clip(clip: CLIPModel) -> tuple[CLIPTextModel, CLIPVisionModel]:
    """The text and vision towers of a trained CLIP as stock standalone models."""
    config = clip.config
    assert isinstance(config.text_config, CLIPTextConfig)
    assert isinstance(config.vision_config, CLIPVisionConfig)
    text = CLIPTextModel(config.text_config)
    text.load_state_dict(clip.text_model.state_dict())
    vision = CLIPVisionModel(config.vision_config)
    vision.load_state_dict(clip.vision_model.state_dict())
    return text, vision
