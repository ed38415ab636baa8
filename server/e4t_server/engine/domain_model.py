"""`DomainModel`: a base Stable Diffusion model + the domain-tuned E4T encoder and weight offsets.

On disk it is a stock diffusers Stable Diffusion directory (so ``StableDiffusionPipeline.
from_pretrained(dir)`` loads the base model) with the E4T parts beside it::

    model_index.json  unet/  vae/  text_encoder/  tokenizer/  scheduler/
    image_encoder/            CLIP vision tower + preprocessor_config.json
    e4t_encoder/              config.json + model.safetensors (encoder heads)
    e4t_offsets/              config.json + model.safetensors (domain weight offsets, LoRA names)
    e4t_config.json           DomainConfig

Weights are safetensors only. Missing or partial weights raise :class:`ModelLoadError`; nothing is
ever silently initialised at random when loading a saved model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import (
    StableDiffusionPipeline,
)
from diffusers.schedulers.scheduling_ddim import DDIMScheduler
from safetensors.torch import load_file, save_file
from transformers import CLIPTextModel, CLIPTokenizer, CLIPVisionModel

from e4t_server.engine.components import (
    BaseComponents,
    ClipPreprocessing,
    stable_diffusion_pipeline,
)
from e4t_server.engine.config import DomainConfig
from e4t_server.engine.encoder import E4TEncoder, class_word_token_id, unet_feature_widths
from e4t_server.engine.errors import ModelLoadError
from e4t_server.engine.offsets import OffsetHooks, WeightOffsets
from e4t_server.engine.prompts import PromptEncoder

CONFIG_FILE = "e4t_config.json"
ENCODER_DIR = "e4t_encoder"
OFFSETS_DIR = "e4t_offsets"
IMAGE_ENCODER_DIR = "image_encoder"
WEIGHTS_FILE = "model.safetensors"
PART_CONFIG_FILE = "config.json"


class DomainModel:
    """Everything needed to personalize and generate within one domain (e.g. faces).

    ``offsets`` are the domain weight offsets; ``hooks`` apply whichever offsets are active on the
    UNet (the domain's by default). The model holds one active set at a time, so callers sharing a
    model must serialize generation (see :class:`e4t_server.engine.generate.Engine`).
    """

    def __init__(
        self,
        base: BaseComponents,
        config: DomainConfig,
        encoder: E4TEncoder,
        offsets: WeightOffsets,
    ) -> None:
        self.base = base
        self.config = config
        self.encoder = encoder
        self.offsets = offsets
        self.hooks = OffsetHooks(base.unet, offsets)
        self.hooks.activate(offsets)
        self.class_token_id = class_word_token_id(base, config.class_word)
        self.prompt_encoder = PromptEncoder(
            base.tokenizer, base.text_encoder, config.placeholder_token, self.class_token_id
        )

    # ----------------------------------------------------------------------------- construction

    @classmethod
    def from_components(
        cls, base: BaseComponents, config: DomainConfig, *, seed: int = 0
    ) -> DomainModel:
        """A new domain on ``base`` with freshly (reproducibly) initialised heads and offsets."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            encoder = E4TEncoder(config, base)
        offsets = WeightOffsets.for_unet(
            base.unet, config.offset_targets, config.offset_rank, seed=seed
        )
        return cls(base, config, encoder, offsets)

    @classmethod
    def from_base(
        cls,
        stable_diffusion_dir: Path | str,
        clip_vision_dir: Path | str,
        config: DomainConfig,
        *,
        seed: int = 0,
    ) -> DomainModel:
        """Start a new domain from a stock diffusers SD directory and a CLIP vision directory.

        The base weights must all be there; only the E4T heads and offsets are new.
        """
        base = load_base_components(Path(stable_diffusion_dir), Path(clip_vision_dir))
        return cls.from_components(base, config, seed=seed)

    @classmethod
    def from_pretrained(cls, directory: Path | str) -> DomainModel:
        """Load a domain model written by :meth:`save_pretrained`."""
        directory = Path(directory)
        config = DomainConfig.load(directory / CONFIG_FILE)
        base = load_base_components(directory, directory / IMAGE_ENCODER_DIR)
        encoder = E4TEncoder(config, base)
        _load_strict(encoder, _read_weights(directory / ENCODER_DIR), ENCODER_DIR)
        offsets = WeightOffsets.for_unet(base.unet, config.offset_targets, config.offset_rank)
        stored = _read_weights(directory / OFFSETS_DIR)
        try:
            offsets.load_lora_state_dict(stored)
        except (KeyError, ValueError) as error:
            raise ModelLoadError(f"{OFFSETS_DIR} does not fit this UNet: {error}") from error
        return cls(base, config, encoder, offsets)

    def save_pretrained(self, directory: Path | str) -> None:
        """Write the model in the layout described in the module docstring."""
        directory = Path(directory)
        self.pipeline().save_pretrained(directory, safe_serialization=True)
        image_encoder_dir = directory / IMAGE_ENCODER_DIR
        self.base.image_encoder.save_pretrained(image_encoder_dir, safe_serialization=True)
        self.base.image_preprocessing.save(image_encoder_dir)
        _write_part(directory / ENCODER_DIR, self.encoder.state_dict(), self._encoder_description())
        _write_part(
            directory / OFFSETS_DIR,
            self.offsets.lora_state_dict(),
            {"rank": self.offsets.rank, "targets": list(self.config.offset_targets)},
        )
        self.config.save(directory / CONFIG_FILE)

    def _encoder_description(self) -> dict[str, Any]:
        return {
            "clip_layers": self.encoder.clip_layers,
            "hidden_size": self.config.encoder_hidden_size,
            "unet_feature_widths": unet_feature_widths(self.base),
            "text_width": self.base.text_encoder.config.hidden_size,
        }

    # ----------------------------------------------------------------------------- use

    @property
    def device(self) -> torch.device:
        """The device of all components."""
        return self.base.device

    def to(self, device: torch.device | str) -> DomainModel:
        """Move every component to ``device`` (in place); returns ``self``."""
        self.base.to(device)
        self.encoder.to(device)
        self.offsets.to(device)
        return self

    @property
    def class_word_embedding(self) -> torch.Tensor:
        """The class word's token embedding: what an untrained encoder predicts."""
        return self.encoder.class_embedding

    def new_offsets(self) -> WeightOffsets:
        """Zero offsets with this model's layout (a slot to copy a concept's offsets into)."""
        return WeightOffsets(self.offsets.shapes(), self.offsets.rank).to(self.device)

    def copy_of_trainable_parts(self) -> tuple[E4TEncoder, WeightOffsets]:
        """Independent copies of the encoder heads and domain offsets (for personalization)."""
        encoder = E4TEncoder(self.config, self.base)
        encoder.load_state_dict(self.encoder.state_dict())
        offsets = self.new_offsets()
        offsets.load_state_dict(self.offsets.state_dict())
        return encoder, offsets

    def fingerprint(self) -> str:
        """sha256 over the domain-specific tensors and the config: this domain model's version."""
        digest = hashlib.sha256(self.config.to_json().encode())
        tensors = {f"encoder.{k}": v for k, v in self.encoder.state_dict().items()}
        tensors.update(self.offsets.lora_state_dict())
        for name in sorted(tensors):
            tensor = tensors[name].detach().to("cpu", torch.float32).contiguous()
            digest.update(f"{name}:{tuple(tensor.shape)}".encode())
            digest.update(tensor.numpy().tobytes())
        return digest.hexdigest()

    def pipeline(self) -> StableDiffusionPipeline:
        """A stock ``StableDiffusionPipeline`` over this model's (shared, hooked) components."""
        return stable_diffusion_pipeline(self.base)


# --------------------------------------------------------------------------------- loading


def num_train_timesteps(model_dir: Path | str) -> int:
    """The scheduler's number of training timesteps of a saved model, without loading it."""
    try:
        config = DDIMScheduler.load_config(str(model_dir), subfolder="scheduler")
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"cannot read the scheduler config in {model_dir}: {error}") from error
    return int(config["num_train_timesteps"])


def load_base_components(stable_diffusion_dir: Path, clip_vision_dir: Path) -> BaseComponents:
    """Load base components from local directories, refusing missing or partial weights."""
    if not (stable_diffusion_dir / "model_index.json").is_file():
        raise ModelLoadError(f"not a diffusers Stable Diffusion directory: {stable_diffusion_dir}")
    unet = load_component(UNet2DConditionModel, stable_diffusion_dir, "unet")
    vae = load_component(AutoencoderKL, stable_diffusion_dir, "vae")
    text_encoder = load_component(CLIPTextModel, stable_diffusion_dir, "text_encoder")
    image_encoder = load_component(CLIPVisionModel, clip_vision_dir, None)
    try:
        tokenizer = CLIPTokenizer.from_pretrained(
            str(stable_diffusion_dir / "tokenizer"), local_files_only=True
        )
        scheduler = DDIMScheduler.from_pretrained(
            str(stable_diffusion_dir), subfolder="scheduler", local_files_only=True
        )
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"cannot load tokenizer/scheduler: {error}") from error
    return BaseComponents(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=scheduler,
        image_encoder=image_encoder,
        image_preprocessing=ClipPreprocessing.load(clip_vision_dir),
    )


def load_component(model_class: Any, directory: Path, subfolder: str | None) -> Any:
    """Load one ``from_pretrained`` model from safetensors, refusing missing or partial weights
    (``ModelLoadError``) rather than letting random ones stand in."""
    where = directory / subfolder if subfolder else directory
    if not any(where.glob("*.safetensors")):
        raise ModelLoadError(f"no safetensors weights in {where}")
    try:
        model, info = model_class.from_pretrained(
            str(where), local_files_only=True, use_safetensors=True, output_loading_info=True
        )
    except (OSError, ValueError, RuntimeError, KeyError) as error:
        raise ModelLoadError(f"cannot load {model_class.__name__} from {where}: {error}") from error
    missing = list(info.get("missing_keys", []))
    mismatched = list(info.get("mismatched_keys", []))
    if missing or mismatched:
        raise ModelLoadError(
            f"partial weights in {where}: {len(missing)} missing, {len(mismatched)} mismatched "
            f"(e.g. {(missing + mismatched)[:3]})"
        )
    return model


def _write_part(directory: Path, tensors: Mapping[str, torch.Tensor], description: Any) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    contiguous = {name: t.detach().cpu().contiguous() for name, t in tensors.items()}
    save_file(contiguous, str(directory / WEIGHTS_FILE))
    (directory / PART_CONFIG_FILE).write_text(json.dumps(description, indent=2), encoding="utf-8")


def _read_weights(directory: Path) -> dict[str, torch.Tensor]:
    path = directory / WEIGHTS_FILE
    if not path.is_file():
        raise ModelLoadError(f"missing weights: {path}")
    try:
        return load_file(str(path))
    except Exception as error:  # safetensors raises its own SafetensorError for corrupt files
        raise ModelLoadError(f"unreadable weights {path}: {error}") from error


def _load_strict(module: torch.nn.Module, tensors: dict[str, torch.Tensor], what: str) -> None:
    try:
        module.load_state_dict(tensors, strict=True)
    except RuntimeError as error:
        raise ModelLoadError(f"{what} weights do not fit: {error}") from error
