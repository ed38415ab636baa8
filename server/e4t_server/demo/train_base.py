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
import shutil
import sys
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
from e4t_server.demo.training import check_same_settings, log_progress, resolve_device
from e4t_server.demo.unet_state import (
    STATE_FILE,
    UnetRandomness,
    UnetTrainingState,
    module_states,
    restore_modules,
)
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


@dataclass(frozen=True)
class UnetOutcome:
    """Where a UNet stage ended: ``steps_done`` of its steps and the last-50-step mean loss."""

    steps_done: int
    loss: float


def train_unet(
    unet: nn.Module,
    ema: nn.Module,
    vae: nn.Module,
    text_encoder: nn.Module,
    tokenizer: object,
    pictures: Pictures,
    settings: BaseTrainingSettings,
    checkpoint: Callable[[int], object] | None = None,
    ema_text_encoder: nn.Module | None = None,
    state_file: Path | None = None,
    resume: bool = False,
    stop_after: int | None = None,
) -> UnetOutcome:
    """ε-prediction on VAE latents of ``pictures``; ``ema`` tracks the weights.

    ``checkpoint(step)`` is called every ``settings.checkpoint_every`` steps (0: never). With
    ``ema_text_encoder``, ``text_encoder`` is trained too and that module tracks it. With
    ``state_file`` every checkpoint also writes the state to go on from there (``unet_state``);
    ``resume`` loads it first and trains the remaining steps. ``stop_after`` ends this call
    after that many steps, with the state written, so a later call can resume; the caller
    deletes the state once the run's last step is written."""
    scheduler = default_scheduler()
    steps = settings.unet_steps
    tracked = [(ema, unet)]  # (average, trained module)
    if ema_text_encoder is not None:
        tracked.append((ema_text_encoder, text_encoder))
    parameters = [parameter for _, module in tracked for parameter in module.parameters()]
    optimizer, schedule = _optimizer(iter(parameters), settings.unet_lr, steps)
    randomness = UnetRandomness.seeded(settings.seed + 1)
    data = pictures.batches(
        settings.unet_batch, randomness.generator, randomness.rng, settings.empty_caption_rate
    )
    losses: list[float] = []
    done, spent = 0, 0.0
    if resume:
        if state_file is None:
            raise ValueError("resuming needs the state file of the interrupted run")
        saved = UnetTrainingState.load(state_file)
        restore_modules(tracked, saved.modules)
        optimizer.load_state_dict(saved.optimizer)
        schedule.load_state_dict(saved.schedule)
        randomness.restore(saved.randomness)
        losses, done, spent = list(saved.losses), saved.step, saved.seconds
    last = steps if stop_after is None else min(steps, done + stop_after)
    scale = vae.config["scaling_factor"]  # type: ignore[index]
    device = device_of(unet)
    unet.train()
    started = time.perf_counter() - spent

    def save_state(step: int) -> None:
        if state_file is not None:
            UnetTrainingState(
                step=step,
                losses=losses,
                seconds=time.perf_counter() - started,
                modules=module_states(tracked),
                optimizer=optimizer.state_dict(),
                schedule=schedule.state_dict(),
                randomness=randomness.state(),
            ).save(state_file)

    for step in range(done + 1, last + 1):
        images, captions = next(data)
        with torch.no_grad():
            latents = vae.encode(images.to(device)).latent_dist.sample(randomness.generator) * scale  # type: ignore[operator]
        with torch.set_grad_enabled(ema_text_encoder is not None):
            context = text_encoder(_tokens(tokenizer, captions, device))[0]
        # Random draws stay on the CPU generator, so a GPU run draws what a CPU run draws.
        noise = torch.randn(latents.shape, generator=randomness.generator).to(device)
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
        if every and step % every == 0 and step < last:
            save_state(step)
            if checkpoint is not None:
                checkpoint(step)
    if last < steps:
        save_state(last)
    unet.eval()
    return UnetOutcome(steps_done=last, loss=float(np.mean(losses[-50:])))


def train_base(
    out: Path,
    settings: BaseTrainingSettings,
    workers: int = 2,
    device: torch.device | None = None,
    stop_after: int | None = None,
) -> dict[str, object]:
    """Run all stages on ``device`` (default: CPU) and write the model and report into
    ``out``; returns the report. ``stop_after`` ends the UNet stage after that many steps,
    resumable with ``resume_base``."""
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
    run = _UnetRun(out, report, {"clip": clip_loss, "vae": vae_loss}, times, started)
    return run.train(towers.unet, base, pictures, settings, stop_after=stop_after)


def continue_base(
    previous: Path,
    out: Path,
    settings: BaseTrainingSettings,
    workers: int = 2,
    device: torch.device | None = None,
    stop_after: int | None = None,
) -> dict[str, object]:
    """Train the UNet saved in ``previous`` for ``settings.unet_steps`` more steps on ``device``
    (default: CPU) into ``out`` (a fresh warm-up and cosine cycle; CLIP and VAE are kept).
    ``stop_after`` as in ``train_base``."""
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
    run = _UnetRun(out, report, {}, times, started)
    return run.train(
        unet.requires_grad_(True), replace(base, unet=ema), pictures, settings, stop_after
    )


def resume_base(
    out: Path,
    settings: BaseTrainingSettings,
    workers: int = 2,
    device: torch.device | None = None,
    stop_after: int | None = None,
) -> dict[str, object]:
    """Go on with the run in ``out`` that stopped during its UNet stage (cut short by
    ``stop_after`` or killed), from its last checkpoint, exactly as if it had not stopped.
    ``settings`` must be the run's own; ``stop_after`` as in ``train_base``."""
    device = device or torch.device("cpu")
    earlier = check_resumable(out, settings)
    started = time.perf_counter()
    pictures = Pictures.render(settings, workers)
    for directory in (SD_DIR, VISION_DIR):
        recover_swapped(out / directory)
    base = load_base_components(out / SD_DIR, out / VISION_DIR).to(device)
    trained = copy.deepcopy(base.unet).requires_grad_(True)  # its weights come from the state
    wall_time = earlier.pop("wall_time")
    assert isinstance(wall_time, dict)
    losses = earlier.pop("final_losses")
    assert isinstance(losses, dict)
    losses.pop("unet", None)
    resumed = earlier.pop("resumed_at_steps", [])
    assert isinstance(resumed, list)
    earlier.pop("unet_steps_done")  # the report can lag the state when a kill fell between them
    earlier["resumed_at_steps"] = [*resumed, UnetTrainingState.load(out / STATE_FILE).step]
    for name in ("threads", "device"):
        earlier.pop(name, None)
    times = {name: float(seconds) for name, seconds in wall_time.items()}
    total_before = times.pop("total_s", 0.0)  # unet_s stays: the run adds to it
    run = _UnetRun(out, earlier, losses, times, started - total_before)
    return run.train(trained, base, pictures, settings, stop_after, resume=True)


def check_resumable(out: Path, settings: BaseTrainingSettings) -> dict[str, object]:
    """The report of the stopped run in ``out`` (``ValueError`` if there is none to resume or
    ``settings`` are not the run's own)."""
    if not (out / STATE_FILE).is_file():
        raise ValueError(f"{out} holds no stopped run to resume ({STATE_FILE} is missing)")
    report = json.loads((out / REPORT_FILE).read_text(encoding="utf-8"))
    check_same_settings(report["settings"], settings)
    return dict(report)


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


@dataclass
class _UnetRun:
    """The UNet stage of one run and how it is reported: ``report`` holds what the earlier
    stages found, ``losses`` and ``times`` their final losses and seconds."""

    out: Path
    report: dict[str, object]
    losses: dict[str, float]
    times: dict[str, float]
    started: float

    def train(
        self,
        unet: nn.Module,
        base: BaseComponents,
        pictures: Pictures,
        settings: BaseTrainingSettings,
        stop_after: int | None = None,
        resume: bool = False,
    ) -> dict[str, object]:
        """Train ``unet`` with ``base.unet`` as its EMA, then write the model and the report.
        With ``settings.checkpoint_every`` both (and the state to resume from) are also written
        along the way (``unet_steps_done`` says how far), so a run cut short still leaves a
        usable model."""
        unet_before = self.times.get("unet_s", 0.0)
        stage = time.perf_counter()

        def write(steps_done: int) -> dict[str, object]:
            save_base(base, self.out)
            self.times["unet_s"] = unet_before + time.perf_counter() - stage
            self.times["total_s"] = time.perf_counter() - self.started
            written = {
                **self.report,
                "final_losses": self.losses,
                "unet_steps_done": steps_done,
                "wall_time": {name: round(value, 1) for name, value in self.times.items()},
                "threads": torch.get_num_threads(),
                "device": str(device_of(base.unet)),
            }
            text = json.dumps(written, indent=2)
            (self.out / REPORT_FILE).write_text(text + "\n", encoding="utf-8")
            return dict(json.loads(text))  # what the file holds (tuples become lists)

        # base holds the averages that get written; a trained text tower gets a working copy too
        text_encoder = base.text_encoder
        if settings.train_text_encoder:
            text_encoder = copy.deepcopy(text_encoder).requires_grad_(True).train()
        outcome = train_unet(
            unet.train(),
            base.unet,
            base.vae,
            text_encoder,
            base.tokenizer,
            pictures,
            settings,
            checkpoint=write,
            ema_text_encoder=base.text_encoder if settings.train_text_encoder else None,
            state_file=self.out / STATE_FILE,
            resume=resume,
            stop_after=stop_after,
        )
        self.losses["unet"] = outcome.loss
        written = write(outcome.steps_done)
        if outcome.steps_done == settings.unet_steps:  # nothing left to resume
            (self.out / STATE_FILE).unlink(missing_ok=True)
        return written


def save_base(base: BaseComponents, out: Path) -> None:
    """Write ``base`` as a stock SD directory plus the CLIP vision tower. Each directory is
    written beside its place and then swapped in, so a run killed while writing a checkpoint
    keeps the previous one whole."""
    _write_swapped(
        out / SD_DIR,
        lambda path: stable_diffusion_pipeline(base).save_pretrained(path, safe_serialization=True),
    )

    def write_vision(path: Path) -> None:
        base.image_encoder.save_pretrained(path, safe_serialization=True)
        base.image_preprocessing.save(path)

    _write_swapped(out / VISION_DIR, write_vision)


def recover_swapped(target: Path) -> None:
    """Put back the directory ``_write_swapped`` had moved aside when a run was killed
    between its two renames."""
    previous = target.with_name(target.name + ".previous")
    if previous.exists() and not target.exists():
        previous.rename(target)


def _write_swapped(target: Path, write: Callable[[Path], object]) -> None:
    partial, previous = (
        target.with_name(target.name + ".partial"),
        target.with_name(target.name + ".previous"),
    )
    recover_swapped(target)
    for leftover in (partial, previous):
        shutil.rmtree(leftover, ignore_errors=True)
    write(partial)
    if target.exists():
        target.rename(previous)
    partial.rename(target)
    shutil.rmtree(previous, ignore_errors=True)


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
    parser.add_argument(
        "--resume",
        action="store_true",
        help="go on with the stopped run in --out from its last checkpoint (same flags)",
    )
    parser.add_argument(
        "--stop-after-steps",
        type=int,
        metavar="N",
        help="stop after N UNet steps of this call, resumable with --resume",
    )
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
        if args.stop_after_steps is not None and args.stop_after_steps < 1:
            raise ValueError(f"--stop-after-steps must be at least 1, not {args.stop_after_steps}")
        if args.resume:
            earlier = check_resumable(args.out, settings)
            if args.continue_from and earlier.get("continued_from") != json.loads(
                (args.continue_from / REPORT_FILE).read_text(encoding="utf-8")
            ):
                raise ValueError(f"the run in {args.out} did not continue {args.continue_from}")
        else:
            if (args.out / STATE_FILE).exists():
                raise ValueError(
                    f"{args.out} holds a stopped run: pass --resume to go on with it, "
                    "or choose another --out"
                )
            if args.continue_from:
                check_same_unet(saved_unet_config(args.continue_from), settings)
    except (ValueError, OSError) as error:
        parser.error(str(error))
    torch.set_num_threads(args.threads)
    workers = max(1, min(2, args.threads))
    stop_after = args.stop_after_steps
    if args.resume:
        report = resume_base(args.out, settings, workers, device, stop_after)
    elif args.continue_from:
        report = continue_base(args.continue_from, args.out, settings, workers, device, stop_after)
    else:
        report = train_base(args.out, settings, workers, device, stop_after)
    print(json.dumps(report["wall_time"]))
    print(f"wrote {args.out / SD_DIR} and {args.out / VISION_DIR}")
    if not math.isfinite(float(report["final_losses"]["unet"])):  # type: ignore[index]
        raise SystemExit("the UNet loss diverged")
    done = report["unet_steps_done"]
    if done != settings.unet_steps:
        print(
            f"stopped after UNet step {done} of {settings.unet_steps}: "
            "run the same command with --resume to go on",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
