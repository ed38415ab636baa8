"""Train the demo domain's base text-to-image model from scratch, the way SD was built.

    python -m e4t_server.demo.train_base --out data/face-base --seed 0

1. render ``--identities`` × ``--images-per-identity`` pictures of the ``train`` split (32×32);
2. pretrain a mini CLIP contrastively on (picture, caption) pairs;
3. train the VAE (reconstruction + a small KL term) and fix its latent scaling factor;
4. train the UNet on VAE latents, conditioned on the frozen CLIP text tower (ε-prediction with
   min-SNR-γ loss weights, 10 % empty captions for classifier-free guidance, EMA weights);
   ``--train-text-encoder`` trains the text tower with it (same optimizer, EMA weights too).

The defaults are the shipped model's run (about 85 minutes on two CPU cores).

Writes a stock diffusers Stable Diffusion directory (``stable-diffusion/``), the CLIP vision
tower (``clip-vision/``) and ``base_training.json`` (settings, losses, wall time per stage).
Everything is seeded; progress goes to stderr. Every ``--checkpoint-every`` UNet steps the model
and report so far are written too.

``--continue-from DIR`` trains the UNet of an earlier run's output for ``--unet-steps`` more
steps (a fresh warm-up and cosine cycle; CLIP and VAE are kept) and records both runs.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers.schedulers.scheduling_ddim import DDIMScheduler
from torch import nn

from e4t_server.demo.base_model import (
    RESOLUTION,
    UNET_WIDTH,
    build_towers,
    check_unet_size,
    split_clip,
)
from e4t_server.demo.captions import DEMO_WORDS, training_caption
from e4t_server.demo.dataset import Samples, render_samples, split_seeds
from e4t_server.demo.imaging import to_tensor
from e4t_server.demo.training import log_progress, resolve_device
from e4t_server.engine.components import (
    BaseComponents,
    ClipPreprocessing,
    default_scheduler,
    stable_diffusion_pipeline,
)
from e4t_server.engine.domain_model import load_base_components
from e4t_server.engine.tokenizer import build_offline_tokenizer
from e4t_server.engine.training import check_timestep_range

SD_DIR = "stable-diffusion"
VISION_DIR = "clip-vision"
REPORT_FILE = "base_training.json"


@dataclass(frozen=True)
class BaseTrainingSettings:
    """Every knob of one run (saved in the report); the defaults made the shipped model."""

    seed: int = 0
    identities: int = 6000
    images_per_identity: int = 4
    clip_steps: int = 800
    clip_batch: int = 64
    clip_lr: float = 1e-3
    vae_steps: int = 800
    vae_batch: int = 32
    vae_lr: float = 1e-3
    vae_kl_weight: float = 1e-6
    unet_steps: int = 2800
    unet_batch: int = 128
    unet_lr: float = 8e-4
    ema_decay: float = 0.998
    empty_caption_rate: float = 0.1
    snr_gamma: float = 5.0
    unet_pooled_text: bool = False
    unet_width: int = UNET_WIDTH
    unet_layers: int = 1
    train_text_encoder: bool = False
    """Train the CLIP text tower with the UNet (EMA too) instead of keeping it frozen."""
    checkpoint_every: int = 250
    timestep_range: tuple[int, int] | None = None
    """UNet timesteps are drawn from this half-open range (default: all of them)."""


class Pictures:
    """Training pictures as a [-1, 1] tensor plus their factors, and how they are captioned."""

    def __init__(self, samples: Samples, keep: float | None = None) -> None:
        self.images = to_tensor(samples.images, RESOLUTION)
        # one entry per picture, like the images: captions must name the pictured person's traits
        self.identities = samples.identities
        self.nuisances = samples.nuisances
        self.keep = keep
        """Each trait is named with this probability; ``None``: a fresh random one per caption."""

    @classmethod
    def render(cls, settings: BaseTrainingSettings, workers: int) -> Pictures:
        """The run's pictures: ``settings.identities`` train people in random conditions."""
        samples = render_samples(
            split_seeds("train", settings.identities),
            images_per_identity=settings.images_per_identity,
            seed=settings.seed,
            size=RESOLUTION,
            workers=workers,
        )
        return cls(samples)

    def __len__(self) -> int:
        return self.images.shape[0]

    def batches(
        self, size: int, generator: torch.Generator, rng: np.random.Generator, empty_rate: float
    ) -> Iterator[tuple[torch.Tensor, list[str]]]:
        """Endless random batches of (flipped) pictures and freshly drawn captions."""
        while True:
            index = torch.randint(len(self), (size,), generator=generator)
            images = self.images[index]
            flip = torch.rand(size, generator=generator) < 0.5
            images = torch.where(flip[:, None, None, None], images.flip(-1), images)
            captions = [
                ""
                if rng.random() < empty_rate
                else training_caption(
                    self.identities[i],
                    self.nuisances[i],
                    rng,
                    keep=float(rng.random()) if self.keep is None else self.keep,
                )
                for i in index.tolist()
            ]
            yield images, captions


def _optimizer(
    parameters: Iterator[nn.Parameter], lr: float, steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    optimizer = torch.optim.AdamW(parameters, lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=steps, pct_start=0.05
    )
    return optimizer, schedule


def _step(
    loss: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
) -> float:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    schedule.step()
    return float(loss.detach())


def _tokens(tokenizer: object, captions: list[str], device: torch.device) -> torch.Tensor:
    return tokenizer(  # type: ignore[operator]
        captions, padding="max_length", max_length=77, truncation=True, return_tensors="pt"
    ).input_ids.to(device)


def device_of(module: nn.Module) -> torch.device:
    """Where ``module``'s weights live: each stage moves its batches there."""
    return next(module.parameters()).device


def train_clip(clip: nn.Module, tokenizer: object, data: Iterator, steps: int, lr: float) -> float:
    """Contrastive pretraining; returns the mean loss of the last 50 steps."""
    preprocessing = ClipPreprocessing(size=RESOLUTION)
    optimizer, schedule = _optimizer(clip.parameters(), lr, steps)
    device = device_of(clip)
    clip.train()
    losses, started = [], time.perf_counter()
    for step in range(1, steps + 1):
        images, captions = next(data)
        output = clip(
            input_ids=_tokens(tokenizer, captions, device),
            pixel_values=preprocessing(images.to(device)),
            return_loss=True,
        )
        losses.append(_step(output.loss, optimizer, schedule))
        log_progress("clip", step, steps, losses[-1], started)
    clip.eval()
    return float(np.mean(losses[-50:]))


def train_vae(vae: nn.Module, data: Iterator, steps: int, lr: float, kl_weight: float) -> float:
    """Reconstruction (L1 + MSE) plus a small KL term; returns the last-50-step mean loss."""
    optimizer, schedule = _optimizer(vae.parameters(), lr, steps)
    device = device_of(vae)
    vae.train()
    losses, started = [], time.perf_counter()
    for step in range(1, steps + 1):
        images = next(data)[0].to(device)
        posterior = vae.encode(images).latent_dist  # type: ignore[operator]
        reconstruction = vae.decode(posterior.sample()).sample  # type: ignore[operator]
        loss = (
            F.l1_loss(reconstruction, images)
            + F.mse_loss(reconstruction, images)
            + kl_weight * posterior.kl().mean()
        )
        losses.append(_step(loss, optimizer, schedule))
        log_progress("vae", step, steps, losses[-1], started)
    vae.eval()
    return float(np.mean(losses[-50:]))


@torch.no_grad()
def set_latent_scale(vae: nn.Module, images: torch.Tensor) -> float:
    """Store 1/std of the latents as ``scaling_factor`` (what SD's 0.18215 is for its VAE)."""
    device = device_of(vae)
    latents = torch.cat(
        [
            vae.encode(images[i : i + 256].to(device)).latent_dist.mean  # type: ignore[operator]
            for i in range(0, len(images), 256)
        ]
    )
    scale = float(1.0 / latents.std())
    vae.register_to_config(scaling_factor=scale)  # type: ignore[operator]
    return scale


def min_snr_weights(
    scheduler: DDIMScheduler, timesteps: torch.Tensor, gamma: float
) -> torch.Tensor:
    """Per-sample loss weights min(SNR, γ) / SNR for ε-prediction (Hang et al., 2023): the
    nearly noise-free timesteps stop dominating the gradient, which speeds up convergence.
    ``gamma`` 0 turns the weighting off (all ones)."""
    if gamma <= 0:
        return torch.ones(len(timesteps))
    alphas = scheduler.alphas_cumprod[timesteps]
    snr = alphas / (1 - alphas)
    return snr.clamp(max=gamma) / snr


def draw_timesteps(
    settings: BaseTrainingSettings, num_train_timesteps: int, count: int
) -> torch.Tensor:
    """``count`` uniform timesteps from ``settings.timestep_range`` (default: every one)."""
    low, high = settings.timestep_range or (0, num_train_timesteps)
    check_timestep_range((low, high), num_train_timesteps)
    return torch.randint(low, high, (count,))


def train_unet(
    unet: nn.Module,
    ema: nn.Module,
    vae: nn.Module,
    text_encoder: nn.Module,
    tokenizer: object,
    data: Iterator,
    settings: BaseTrainingSettings,
    generator: torch.Generator,
    checkpoint: Callable[[int], object] | None = None,
    ema_text_encoder: nn.Module | None = None,
) -> float:
    """ε-prediction on VAE latents; ``ema`` tracks the weights. Returns the last-50 mean loss.
    ``checkpoint(step)`` is called every ``settings.checkpoint_every`` steps (0: never).
    With ``ema_text_encoder``, ``text_encoder`` is trained too and that module tracks it."""
    scheduler = default_scheduler()
    steps = settings.unet_steps
    tracked = [(ema, unet)]  # (average, trained module)
    if ema_text_encoder is not None:
        tracked.append((ema_text_encoder, text_encoder))
    parameters = [parameter for _, module in tracked for parameter in module.parameters()]
    optimizer, schedule = _optimizer(iter(parameters), settings.unet_lr, steps)
    scale = vae.config["scaling_factor"]  # type: ignore[index]
    device = device_of(unet)
    unet.train()
    losses, started = [], time.perf_counter()
    for step in range(1, steps + 1):
        images, captions = next(data)
        with torch.no_grad():
            latents = vae.encode(images.to(device)).latent_dist.sample(generator) * scale  # type: ignore[operator]
        with torch.set_grad_enabled(ema_text_encoder is not None):
            context = text_encoder(_tokens(tokenizer, captions, device))[0]
        # Random draws stay on the CPU generator, so a GPU run draws what a CPU run draws.
        noise = torch.randn(latents.shape, generator=generator).to(device)
        cpu_timesteps = draw_timesteps(
            settings, scheduler.config["num_train_timesteps"], len(latents)
        )
        timesteps = cpu_timesteps.to(device)
        noisy = scheduler.add_noise(latents, noise, timesteps)  # type: ignore[arg-type]
        errors = F.mse_loss(unet(noisy, timesteps, context).sample, noise, reduction="none")
        weights = min_snr_weights(scheduler, cpu_timesteps, settings.snr_gamma).to(device)
        loss = (errors.mean(dim=(1, 2, 3)) * weights).mean()
        losses.append(_step(loss, optimizer, schedule))
        with torch.no_grad():
            decay = min(settings.ema_decay, (1 + step) / (10 + step))
            for average_module, module in tracked:
                for average, current in zip(
                    average_module.parameters(), module.parameters(), strict=True
                ):
                    average.lerp_(current, 1 - decay)
        log_progress("unet", step, steps, losses[-1], started)
        every = settings.checkpoint_every
        if checkpoint is not None and every and step % every == 0 and step < steps:
            checkpoint(step)
    unet.eval()
    return float(np.mean(losses[-50:]))


def train_base(
    out: Path,
    settings: BaseTrainingSettings,
    workers: int = 2,
    device: torch.device | None = None,
) -> dict[str, object]:
    """Run all stages on ``device`` (default: CPU) and write the model and report into
    ``out``; returns the report."""
    device = device or torch.device("cpu")
    check_settings(settings)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    times: dict[str, float] = {}
    started = time.perf_counter()
    pictures = Pictures.render(settings, workers)
    times["render_s"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tokenizer_dir:
        tokenizer = build_offline_tokenizer(Path(tokenizer_dir), DEMO_WORDS)
    towers = build_towers(
        tokenizer,
        settings.seed,
        pooled_text=settings.unet_pooled_text,
        unet_width=settings.unet_width,
        unet_layers=settings.unet_layers,
    )
    modules: tuple[nn.Module, ...] = (towers.clip, towers.vae, towers.unet)
    for module in modules:
        module.to(device)

    def batches(size: int) -> Iterator[tuple[torch.Tensor, list[str]]]:
        return pictures.batches(size, generator, rng, settings.empty_caption_rate)

    stage = time.perf_counter()
    clip_loss = train_clip(
        towers.clip, tokenizer, batches(settings.clip_batch), settings.clip_steps, settings.clip_lr
    )
    times["clip_s"] = time.perf_counter() - stage
    text_encoder, image_encoder = split_clip(towers.clip)
    stage = time.perf_counter()
    vae_loss = train_vae(
        towers.vae,
        batches(settings.vae_batch),
        settings.vae_steps,
        settings.vae_lr,
        settings.vae_kl_weight,
    )
    latent_scale = set_latent_scale(towers.vae, pictures.images[:2048])
    times["vae_s"] = time.perf_counter() - stage
    ema = copy.deepcopy(towers.unet)
    base = BaseComponents(
        unet=ema,
        vae=towers.vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=default_scheduler(),
        image_encoder=image_encoder,
        image_preprocessing=ClipPreprocessing(size=RESOLUTION),
    )
    report: dict[str, object] = {
        "settings": asdict(settings),
        "pictures": len(pictures),
        "vae_scaling_factor": latent_scale,
    }
    losses = {"clip": clip_loss, "vae": vae_loss}
    return _unet_stage(towers.unet, base, pictures, settings, out, report, losses, times, started)


def continue_base(
    previous: Path,
    out: Path,
    settings: BaseTrainingSettings,
    workers: int = 2,
    device: torch.device | None = None,
) -> dict[str, object]:
    """Train the UNet saved in ``previous`` for ``settings.unet_steps`` more steps on ``device``
    (default: CPU) into ``out`` (a fresh warm-up and cosine cycle; CLIP and VAE are kept)."""
    device = device or torch.device("cpu")
    check_settings(settings)
    check_same_unet(saved_unet_config(previous), settings)
    out.mkdir(parents=True, exist_ok=True)
    earlier = json.loads((previous / REPORT_FILE).read_text(encoding="utf-8"))
    torch.manual_seed(settings.seed)
    started = time.perf_counter()
    pictures = Pictures.render(settings, workers)
    times = {"render_s": time.perf_counter() - started}
    base = load_base_components(previous / SD_DIR, previous / VISION_DIR).to(device)
    unet = base.unet
    ema = copy.deepcopy(unet)
    report: dict[str, object] = {
        "continued_from": earlier,
        "settings": asdict(settings),
        "pictures": len(pictures),
    }
    return _unet_stage(
        unet.requires_grad_(True),
        replace(base, unet=ema),
        pictures,
        settings,
        out,
        report,
        {},
        times,
        started,
    )


def check_settings(settings: BaseTrainingSettings) -> None:
    """Refuse settings no run can use (``ValueError``), before anything is written."""
    check_unet_size(settings.unet_width, settings.unet_layers)
    if settings.timestep_range is not None:
        check_timestep_range(
            settings.timestep_range, default_scheduler().config["num_train_timesteps"]
        )


def saved_unet_config(run: Path) -> dict[str, object]:
    """The UNet config of an earlier run's output, read without loading its weights."""
    path = run / SD_DIR / "unet" / "config.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as error:
        raise ValueError(f"{run} is not a train_base output: {path} is missing") from error


def check_same_unet(config: dict[str, object], settings: BaseTrainingSettings) -> None:
    """A continuation keeps the earlier UNet, so its settings must describe that UNet."""
    channels = config["block_out_channels"]
    assert isinstance(channels, list)
    saved = {
        "unet_width": channels[0],
        "unet_layers": config["layers_per_block"],
        "unet_pooled_text": config.get("addition_embed_type") == "text",
    }
    asked = {name: getattr(settings, name) for name in saved}
    if asked != saved:
        raise ValueError(f"the earlier run's UNet has {saved}, but the settings say {asked}")


def _unet_stage(
    unet: nn.Module,
    base: BaseComponents,
    pictures: Pictures,
    settings: BaseTrainingSettings,
    out: Path,
    report: dict[str, object],
    losses: dict[str, float],
    times: dict[str, float],
    started: float,
) -> dict[str, object]:
    """Train ``unet`` with ``base.unet`` as its EMA, then write the model and the report. With
    ``settings.checkpoint_every`` both are also written along the way (``unet_steps_done`` says
    how far), so a run cut short still leaves a usable model."""
    generator = torch.Generator().manual_seed(settings.seed + 1)
    rng = np.random.default_rng(settings.seed + 1)
    stage = time.perf_counter()

    def write(steps_done: int) -> dict[str, object]:
        save_base(base, out)
        times["unet_s"] = time.perf_counter() - stage
        times["total_s"] = time.perf_counter() - started
        written = {
            **report,
            "final_losses": losses,
            "unet_steps_done": steps_done,
            "wall_time": {name: round(value, 1) for name, value in times.items()},
            "threads": torch.get_num_threads(),
            "device": str(device_of(base.unet)),
        }
        text = json.dumps(written, indent=2)
        (out / REPORT_FILE).write_text(text + "\n", encoding="utf-8")
        return dict(json.loads(text))  # what the file holds (tuples become lists)

    # base holds the averages that get written; a trained text tower gets a working copy too
    text_encoder = base.text_encoder
    if settings.train_text_encoder:
        text_encoder = copy.deepcopy(text_encoder).requires_grad_(True).train()
    losses["unet"] = train_unet(
        unet.train(),
        base.unet,
        base.vae,
        text_encoder,
        base.tokenizer,
        pictures.batches(settings.unet_batch, generator, rng, settings.empty_caption_rate),
        settings,
        generator,
        checkpoint=write,
        ema_text_encoder=base.text_encoder if settings.train_text_encoder else None,
    )
    return write(settings.unet_steps)


def save_base(base: BaseComponents, out: Path) -> None:
    """Write ``base`` as a stock SD directory plus the CLIP vision tower."""
    stable_diffusion_pipeline(base).save_pretrained(out / SD_DIR, safe_serialization=True)
    base.image_encoder.save_pretrained(out / VISION_DIR, safe_serialization=True)
    base.image_preprocessing.save(out / VISION_DIR)


def main() -> None:
    """Command-line entry point."""
    defaults = BaseTrainingSettings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--identities", type=int, default=defaults.identities)
    parser.add_argument("--clip-steps", type=int, default=defaults.clip_steps)
    parser.add_argument("--vae-steps", type=int, default=defaults.vae_steps)
    parser.add_argument("--unet-steps", type=int, default=defaults.unet_steps)
    parser.add_argument("--unet-lr", type=float, default=defaults.unet_lr)
    parser.add_argument("--unet-batch", type=int, default=defaults.unet_batch)
    parser.add_argument(
        "--snr-gamma", type=float, default=defaults.snr_gamma, help="min-SNR weighting, 0: off"
    )
    parser.add_argument(
        "--checkpoint-every", type=int, default=defaults.checkpoint_every, help="UNet steps"
    )
    parser.add_argument(
        "--unet-pooled-text",
        action="store_true",
        help="also feed a pooled caption embedding to every UNet block (see base_model)",
    )
    parser.add_argument(
        "--timestep-range",
        nargs=2,
        type=int,
        metavar=("LOW", "HIGH"),
        help="draw UNet timesteps from [LOW, HIGH) only (default: all)",
    )
    parser.add_argument(
        "--unet-width",
        type=int,
        default=defaults.unet_width,
        help="channels of the first UNet block (the others have twice as many)",
    )
    parser.add_argument(
        "--unet-layers", type=int, default=defaults.unet_layers, help="ResNet layers per block"
    )
    parser.add_argument(
        "--train-text-encoder",
        action="store_true",
        help="train the CLIP text tower with the UNet instead of keeping it frozen",
    )
    parser.add_argument("--continue-from", type=Path, help="an earlier run's --out")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--device", default="cpu", help="cpu or cuda[:N] (every stage trains there)"
    )
    args = parser.parse_args()
    timestep_range = None if args.timestep_range is None else tuple(args.timestep_range)
    settings = BaseTrainingSettings(
        seed=args.seed,
        identities=args.identities,
        clip_steps=args.clip_steps,
        vae_steps=args.vae_steps,
        unet_steps=args.unet_steps,
        unet_lr=args.unet_lr,
        unet_batch=args.unet_batch,
        snr_gamma=args.snr_gamma,
        checkpoint_every=args.checkpoint_every,
        unet_pooled_text=args.unet_pooled_text,
        unet_width=args.unet_width,
        unet_layers=args.unet_layers,
        train_text_encoder=args.train_text_encoder,
        timestep_range=timestep_range,
    )
    try:  # every check before anything is rendered, trained or written
        device = resolve_device(args.device)
        check_settings(settings)
        if args.continue_from:
            check_same_unet(saved_unet_config(args.continue_from), settings)
    except (ValueError, OSError) as error:
        parser.error(str(error))
    torch.set_num_threads(args.threads)
    workers = max(1, min(2, args.threads))
    report = (
        continue_base(args.continue_from, args.out, settings, workers, device)
        if args.continue_from
        else train_base(args.out, settings, workers, device)
    )
    print(json.dumps(report["wall_time"]))
    print(f"wrote {args.out / SD_DIR} and {args.out / VISION_DIR}")
    if not math.isfinite(float(report["final_losses"]["unet"])):  # type: ignore[index]
        raise SystemExit("the UNet loss diverged")


if __name__ == "__main__":
    main()
