"""Turning pictures into the float tensors the demo metrics take, and training-time augmentation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ImageBatch = Sequence[Image.Image] | np.ndarray | torch.Tensor
"""PIL images, a uint8 (N, H, W, 3) array, or a float (N, 3, H, W) tensor in [-1, 1]."""


def to_tensor(images: ImageBatch, size: int) -> torch.Tensor:
    """A float (N, 3, size, size) tensor in [-1, 1] (the range diffusion pipelines use too)."""
    if isinstance(images, torch.Tensor):
        batch = images.float()
        if batch.ndim != 4 or batch.shape[1] != 3:
            raise ValueError(f"expected a (N, 3, H, W) tensor, got shape {tuple(batch.shape)}")
    else:
        if isinstance(images, np.ndarray):
            array = images
        else:
            array = np.stack(
                [
                    np.asarray(
                        image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
                        if image.size != (size, size)
                        else image.convert("RGB")
                    )
                    for image in images
                ]
            )
        if array.ndim != 4 or array.shape[-1] != 3:
            raise ValueError(f"expected a (N, H, W, 3) array, got shape {array.shape}")
        # np.array copies: PIL-backed arrays are read-only, which torch warns about.
        batch = torch.from_numpy(np.array(array)).permute(0, 3, 1, 2).float()
        batch = batch / 127.5 - 1.0
    if batch.shape[-2:] != (size, size):
        batch = F.interpolate(batch, size=(size, size), mode="bilinear", antialias=True)
    return batch


def to_pictures(batch: torch.Tensor) -> list[Image.Image]:
    """PIL images of a float (N, 3, H, W) batch in [-1, 1] (what a VAE decodes): the inverse
    of :func:`to_tensor`, clamped and rounded to 8 bits."""
    pixels = ((batch.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1)
    return [Image.fromarray(image) for image in pixels.numpy()]


def picture_grid(rows: Sequence[Sequence[Image.Image]], cell: int = 96) -> Image.Image:
    """One picture of ``rows`` side by side, each enlarged to ``cell`` pixels (nearest
    neighbour, so small generations stay sharp-edged); short rows leave white space."""
    width = max(len(row) for row in rows)
    grid = Image.new("RGB", (cell * width, cell * len(rows)), "white")
    for y, row in enumerate(rows):
        for x, picture in enumerate(row):
            enlarged = picture.convert("RGB").resize((cell, cell), Image.Resampling.NEAREST)
            grid.paste(enlarged, (x * cell, y * cell))
    return grid


def augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Flip, blur and noise a [-1, 1] batch, so metrics also read soft, noisy generated images.

    None of these change identity or context: faces are left-right symmetric in every factor.
    """
    n = batch.shape[0]
    flip = torch.rand(n, generator=generator) < 0.5
    batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
    blur = torch.rand(n, generator=generator) < 0.3
    if blur.any():
        size = batch.shape[-1]
        soft = F.interpolate(
            F.avg_pool2d(batch, 2), size=(size, size), mode="bilinear", align_corners=False
        )
        batch = torch.where(blur[:, None, None, None], soft, batch)
    noise_std = torch.rand(n, 1, 1, 1, generator=generator) * 0.08
    noise = torch.randn(batch.shape, generator=generator)
    return batch + noise * noise_std
