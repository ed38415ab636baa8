"""The frozen base components a domain model is built on, and the CLIP vision preprocessing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import (
    StableDiffusionPipeline,
)
from diffusers.schedulers.scheduling_ddim import DDIMScheduler
from transformers import CLIPTextModel, CLIPTokenizer, CLIPVisionModel

from e4t_server.engine.errors import ModelLoadError

PREPROCESSOR_FILE = "preprocessor_config.json"
OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class ClipPreprocessing:
    """How images are resized and normalized for the CLIP vision tower.

    Stored as a stock ``preprocessor_config.json`` (``CLIPImageProcessor`` keys) but applied in
    torch, so it runs on batches already on the model's device.
    """

    size: int
    mean: tuple[float, float, float] = OPENAI_CLIP_MEAN
    std: tuple[float, float, float] = OPENAI_CLIP_STD

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Map square images in [-1, 1] ``(B, 3, H, W)`` to CLIP pixel values."""
        unit = (images + 1.0) / 2.0
        resized = F.interpolate(
            unit, size=(self.size, self.size), mode="bicubic", antialias=True, align_corners=False
        )
        mean = torch.tensor(self.mean, device=images.device, dtype=images.dtype)[:, None, None]
        std = torch.tensor(self.std, device=images.device, dtype=images.dtype)[:, None, None]
        return (resized - mean) / std

    def save(self, directory: Path) -> None:
        """Write ``preprocessor_config.json`` into ``directory``."""
        config = {
            "image_processor_type": "CLIPImageProcessor",
            "crop_size": {"height": self.size, "width": self.size},
            "size": {"shortest_edge": self.size},
            "do_center_crop": True,
            "do_normalize": True,
            "do_resize": True,
            "do_rescale": True,
            "rescale_factor": 1 / 255,
            "image_mean": list(self.mean),
            "image_std": list(self.std),
            "resample": 3,
        }
        (directory / PREPROCESSOR_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> ClipPreprocessing:
        """Read ``preprocessor_config.json`` from ``directory``."""
        path = directory / PREPROCESSOR_FILE
        if not path.is_file():
            raise ModelLoadError(f"missing CLIP image preprocessing config: {path}")
        config = json.loads(path.read_text(encoding="utf-8"))
        crop = config.get("crop_size", {})
        size = crop.get("height") if isinstance(crop, dict) else crop
        mean, std = (
            config.get("image_mean", OPENAI_CLIP_MEAN),
            config.get("image_std", OPENAI_CLIP_STD),
        )
        return cls(size=int(size), mean=tuple(mean), std=tuple(std))  # type: ignore[arg-type]


@dataclass
class BaseComponents:
    """A Stable Diffusion model plus the CLIP vision tower of the E4T encoder (all frozen)."""

    unet: UNet2DConditionModel
    vae: AutoencoderKL
    text_encoder: CLIPTextModel
    tokenizer: CLIPTokenizer
    scheduler: DDIMScheduler
    image_encoder: CLIPVisionModel
    image_preprocessing: ClipPreprocessing = field(default_factory=lambda: ClipPreprocessing(224))

    def __post_init__(self) -> None:
        for module in (self.unet, self.vae, self.text_encoder, self.image_encoder):
            module.requires_grad_(False)
            module.eval()

    @property
    def device(self) -> torch.device:
        """The device the UNet lives on (all components share it)."""
        return self.unet.device

    def to(self, device: torch.device | str) -> BaseComponents:
        """Move every model to ``device`` (in place); returns ``self``."""
        modules: tuple[torch.nn.Module, ...] = (
            self.unet,
            self.vae,
            self.text_encoder,
            self.image_encoder,
        )
        for module in modules:
            module.to(device)
        return self


def stable_diffusion_pipeline(base: BaseComponents) -> StableDiffusionPipeline:
    """A stock ``StableDiffusionPipeline`` sharing ``base``'s modules (no safety checker)."""
    # diffusers annotates these arguments as non-optional, though None is what it documents.
    components: dict[str, Any] = {
        "unet": base.unet,
        "vae": base.vae,
        "text_encoder": base.text_encoder,
        "tokenizer": base.tokenizer,
        "scheduler": base.scheduler,
        "safety_checker": None,
        "feature_extractor": None,
        "requires_safety_checker": False,
    }
    pipeline = StableDiffusionPipeline(**components)
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def default_scheduler() -> DDIMScheduler:
    """The SD-1.x DDIM scheduler (``steps_offset=1`` as the SD checkpoints ship it)."""
    return DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
