"""Domain image datasets and the seeded augmentations used for tuning."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import torch
import torch.nn.functional as F
from PIL import Image

from e4t_server.engine.config import CONCEPT_MARKER
from e4t_server.engine.images import load_image, mask_to_tensor, to_tensor
from e4t_server.engine.training import TrainingBatch

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
MASKS_SUBDIR = "masks"


class ImageDataset(Protocol):
    """Indexable domain images as ``(image (3, H, W) in [-1, 1], mask (1, H, W) or None)``,
    each with an optional caption (see :func:`check_caption`)."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None]: ...

    def caption(self, index: int) -> str | None: ...


def check_caption(caption: str, where: str) -> str:
    """A training caption describes the picture's context around the concept, so it must hold
    the ``{concept}`` marker (e.g. "a sketch of {concept}, blue background"): the encoder learns
    to carry what the caption does not say."""
    if CONCEPT_MARKER not in caption:
        raise ValueError(f"caption of {where} lacks {CONCEPT_MARKER}: {caption[:80]!r}")
    return caption


class FolderDataset:
    """Images in a folder; optional loss masks in ``<folder>/masks/<same stem>.png`` and optional
    captions in ``<folder>/<same stem>.txt``.

    Either every image has a mask or none has (a batch cannot mix masked and unmasked samples);
    images without a caption file are trained with the domain's prompt templates.
    """

    def __init__(self, directory: Path | str, resolution: int) -> None:
        directory = Path(directory)
        self.paths = sorted(
            p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not self.paths:
            raise ValueError(f"no images in {directory}")
        masks = directory / MASKS_SUBDIR
        self.mask_paths = [masks / f"{p.stem}.png" for p in self.paths]
        present = [m.is_file() for m in self.mask_paths]
        if any(present) and not all(present):
            raise ValueError(f"some images in {directory} have masks and some do not")
        self.has_masks = all(present)
        self.resolution = resolution
        self.captions = [_read_caption(p.with_suffix(".txt")) for p in self.paths]

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        image = to_tensor(load_image(self.paths[index].read_bytes()), self.resolution)
        if not self.has_masks:
            return image, None
        with Image.open(self.mask_paths[index]) as mask:
            return image, mask_to_tensor(mask, self.resolution)

    def caption(self, index: int) -> str | None:
        return self.captions[index]


def _read_caption(path: Path) -> str | None:
    if not path.is_file():
        return None
    return check_caption(path.read_text(encoding="utf-8").strip(), str(path))


class InMemoryDataset:
    """Domain images (and optional masks and captions) already decoded, e.g. in a notebook."""

    def __init__(
        self,
        images: Sequence[Image.Image],
        resolution: int,
        masks: Sequence[Image.Image] | None = None,
        captions: Sequence[str] | None = None,
    ) -> None:
        if masks is not None and len(masks) != len(images):
            raise ValueError("give one mask per image")
        if captions is not None and len(captions) != len(images):
            raise ValueError("give one caption per image")
        self.images = [to_tensor(image, resolution) for image in images]
        self.masks = None if masks is None else [mask_to_tensor(m, resolution) for m in masks]
        self.captions = (
            None
            if captions is None
            else [check_caption(c, f"image {i}") for i, c in enumerate(captions)]
        )

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.images[index], None if self.masks is None else self.masks[index]

    def caption(self, index: int) -> str | None:
        return None if self.captions is None else self.captions[index]


def random_flip(tensors: list[torch.Tensor], generator: torch.Generator) -> list[torch.Tensor]:
    """Flip all of ``tensors`` (an image and its mask) horizontally with probability ½."""
    if bool(torch.rand((), generator=generator) < 0.5):
        return [t.flip(-1) for t in tensors]
    return tensors


def random_resized_crop(
    tensors: list[torch.Tensor],
    generator: torch.Generator,
    *,
    scale: tuple[float, float] = (0.7, 1.0),
) -> list[torch.Tensor]:
    """The same random square crop (``scale`` of the side) of each tensor, resized back."""
    side = tensors[0].shape[-1]
    fraction = scale[0] + (scale[1] - scale[0]) * float(torch.rand((), generator=generator))
    crop = max(1, round(side * fraction))
    top = int(torch.randint(side - crop + 1, (), generator=generator))
    left = int(torch.randint(side - crop + 1, (), generator=generator))
    return [
        F.interpolate(
            t[None, :, top : top + crop, left : left + crop],
            size=(side, side),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )[0]
        for t in tensors
    ]


def random_batches(
    dataset: ImageDataset, batch_size: int, generator: torch.Generator
) -> Iterator[TrainingBatch]:
    """Endless batches of distinct random samples, randomly flipped, drawn from ``generator``."""
    size = min(batch_size, len(dataset))
    while True:
        indices = torch.randperm(len(dataset), generator=generator)[:size].tolist()
        images, masks = [], []
        for index in indices:
            image, mask = dataset[index]
            flipped = random_flip([image] if mask is None else [image, mask], generator)
            images.append(flipped[0])
            if mask is not None:
                masks.append(flipped[1])
        captions = tuple(dataset.caption(index) for index in indices)
        yield TrainingBatch(
            torch.stack(images),
            torch.stack(masks) if masks else None,
            captions if any(c is not None for c in captions) else None,
        )
