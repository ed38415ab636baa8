"""Engine benchmark: personalization, time-to-concept, generation, concept swap, artifact size.

Builds components of a chosen size with **random weights** (no download; speed and size do not
depend on the weights' values) and measures on the available device:

- one personalization step;
- time-to-concept for 5 and 15 steps: image bytes in → artifact bytes out;
- 25- and 50-step generation with a concept applied;
- concept swap between two cached concepts (apply + restore the offsets);
- artifact size; peak memory.

``--size sd15`` is Stable-Diffusion-1.5-sized (UNet 320/640/1280/1280, CLIP ViT-L/14 text
encoder, CLIP ViT-H/14 vision tower, 512 px). It is meant for a GPU; on this project's 2-core
CPU machines use ``--size small`` (and say so when quoting numbers).

    python server/benchmarks/bench_engine.py --size small --json outputs/bench-engine.json
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import platform
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from PIL import Image
from transformers import CLIPTextConfig, CLIPTextModel, CLIPVisionConfig, CLIPVisionModel

from e4t_server.engine.components import BaseComponents, ClipPreprocessing, default_scheduler
from e4t_server.engine.config import DomainConfig
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.generate import Engine
from e4t_server.engine.personalize import personalize
from e4t_server.engine.tokenizer import build_offline_tokenizer


@dataclass(frozen=True)
class ModelSize:
    """Component sizes; ``sd15`` matches Stable Diffusion 1.5 + CLIP ViT-H/14."""

    unet_channels: tuple[int, ...]
    unet_down: tuple[str, ...]
    unet_up: tuple[str, ...]
    attention_head_dim: int
    vae_channels: tuple[int, ...]
    text_width: int
    text_layers: int
    text_heads: int
    text_intermediate: int
    text_vocab: int
    vision_width: int
    vision_layers: int
    vision_heads: int
    vision_intermediate: int
    vision_image: int
    vision_patch: int
    resolution: int
    encoder_hidden: int


SIZES: dict[str, ModelSize] = {
    "sd15": ModelSize(
        unet_channels=(320, 640, 1280, 1280),
        unet_down=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        unet_up=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        attention_head_dim=8,
        vae_channels=(128, 256, 512, 512),
        text_width=768,
        text_layers=12,
        text_heads=12,
        text_intermediate=3072,
        text_vocab=49408,
        vision_width=1280,
        vision_layers=32,
        vision_heads=16,
        vision_intermediate=5120,
        vision_image=224,
        vision_patch=14,
        resolution=512,
        encoder_hidden=1024,
    ),
    "small": ModelSize(
        unet_channels=(64, 128, 256),
        unet_down=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        unet_up=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        attention_head_dim=8,
        vae_channels=(32, 64, 64),
        text_width=128,
        text_layers=4,
        text_heads=4,
        text_intermediate=512,
        text_vocab=1024,
        vision_width=128,
        vision_layers=6,
        vision_heads=4,
        vision_intermediate=512,
        vision_image=64,
        vision_patch=8,
        resolution=128,
        encoder_hidden=256,
    ),
}


def build_components(size: ModelSize, tokenizer_dir: Path, seed: int = 0) -> BaseComponents:
    """Random-weight components of ``size`` (seeded), with the offline tokenizer."""
    tokenizer = build_offline_tokenizer(tokenizer_dir)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=size.resolution // 2 ** (len(size.vae_channels) - 1),
        block_out_channels=size.unet_channels,
        down_block_types=size.unet_down,
        up_block_types=size.unet_up,
        cross_attention_dim=size.text_width,
        attention_head_dim=size.attention_head_dim,
        layers_per_block=2,
    )
    vae = AutoencoderKL(
        block_out_channels=list(size.vae_channels),
        down_block_types=["DownEncoderBlock2D"] * len(size.vae_channels),
        up_block_types=["UpDecoderBlock2D"] * len(size.vae_channels),
        latent_channels=4,
        layers_per_block=2,
        sample_size=size.resolution,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            hidden_size=size.text_width,
            intermediate_size=size.text_intermediate,
            num_attention_heads=size.text_heads,
            num_hidden_layers=size.text_layers,
            vocab_size=max(size.text_vocab, len(tokenizer)),
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            max_position_embeddings=tokenizer.model_max_length,
        )
    )
    image_encoder = CLIPVisionModel(
        CLIPVisionConfig(
            hidden_size=size.vision_width,
            intermediate_size=size.vision_intermediate,
            num_attention_heads=size.vision_heads,
            num_hidden_layers=size.vision_layers,
            image_size=size.vision_image,
            patch_size=size.vision_patch,
        )
    )
    return BaseComponents(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=default_scheduler(),
        image_encoder=image_encoder,
        image_preprocessing=ClipPreprocessing(size=size.vision_image),
    )


def face_png(seed: int, resolution: int) -> bytes:
    """A random picture encoded as PNG: what a client uploads."""
    pixels = np.random.default_rng(seed).integers(0, 255, (resolution, resolution, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(device: torch.device, work: Callable[[], Any]) -> tuple[float, Any]:
    synchronize(device)
    start = time.perf_counter()
    result = work()
    synchronize(device)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=3, help="time-to-concept repetitions")
    parser.add_argument("--skip-50", action="store_true", help="skip the 50-step generation")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    size = SIZES[args.size]

    with tempfile.TemporaryDirectory() as tokenizer_dir:
        build_time, base = timed(device, lambda: build_components(size, Path(tokenizer_dir)))
    config = DomainConfig(resolution=size.resolution, encoder_hidden_size=size.encoder_hidden)
    model = DomainModel.from_components(base, config).to(device)
    engine = Engine(model, cache_size=8)
    image = face_png(0, size.resolution)

    personalize(model, image, steps=1, seed=0)  # warm-up: kernels, allocator, caches
    concept_times: dict[int, list[float]] = {5: [], 15: []}
    artifacts: dict[int, bytes] = {}
    for steps, runs in concept_times.items():
        for repeat in range(args.repeats):
            elapsed, data = timed(
                device, functools.partial(personalize, model, image, steps=steps, seed=repeat)
            )
            runs.append(elapsed)
            artifacts[steps] = data.to_bytes()
    step_time = (statistics.median(concept_times[15]) - statistics.median(concept_times[5])) / 10

    concept_a = personalize(model, image, steps=5, seed=1)
    concept_b = personalize(model, face_png(1, size.resolution), steps=5, seed=2)
    prompt = "a watercolor portrait of {concept}"
    engine.generate(prompt, concept=concept_a, steps=2, seed=0)  # warm-up
    generation: dict[int, float] = {}
    for steps in (25,) if args.skip_50 else (25, 50):
        generation[steps], _ = timed(
            device, functools.partial(engine.generate, prompt, concept=concept_a, steps=steps)
        )

    swaps = []  # both concepts are cached now: a swap is apply + restore of their offsets
    for index in range(50):
        concept = concept_a if index % 2 else concept_b
        synchronize(device)
        start = time.perf_counter()
        with engine.using(concept):
            synchronize(device)
        swaps.append(time.perf_counter() - start)

    results = {
        "size": args.size,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "cpu": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "resolution": size.resolution,
        "dtype": "float32",
        "unet_parameters": sum(p.numel() for p in base.unet.parameters()),
        "build_seconds": build_time,
        "personalization_step_seconds": step_time,
        "time_to_concept_5_steps_seconds": statistics.median(concept_times[5]),
        "time_to_concept_15_steps_seconds": statistics.median(concept_times[15]),
        "generation_seconds": {str(k): v for k, v in generation.items()},
        "concept_swap_ms_median": 1000 * statistics.median(swaps),
        "concept_swap_ms_max": 1000 * max(swaps),
        "artifact_bytes": len(artifacts[15]),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if device.type == "cuda":
        results["peak_gpu_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
    print(json.dumps(results, indent=2))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
