"""Domain image datasets and the seeded augmentations used for tuning."""

from __future__ import annotations

import json
from collections import defaultdict
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
SUBJECTS_FILE = "subjects.json"
DESCRIPTIONS_FILE = "descriptions.json"


class ImageDataset(Protocol):
    """Indexable domain images as ``(image (3, H, W) in [-1, 1], mask (1, H, W) or None)``,
    each with an optional caption (see :func:`check_caption`) and an optional subject: who the
    picture shows. Pictures with the same subject are views the encoder may read for each other
    (see :func:`random_batches`). A picture may also have a description of its subject in words
    (``"a face with curly red hair"``), which a domain tuning can teach the encoder to match
    (see :func:`~e4t_server.engine.training.denoising_loss`)."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None]: ...

    def caption(self, index: int) -> str | None: ...

    def subject(self, index: int) -> str | None: ...

    def description(self, index: int) -> str | None: ...


def check_caption(caption: str, where: str) -> str:
    """A training caption describes the picture's context around the concept, so it must hold
    the ``{concept}`` marker (e.g. "a sketch of {concept}, blue background"): the encoder learns
    to carry what the caption does not say."""
    if CONCEPT_MARKER not in caption:
        raise ValueError(f"caption of {where} lacks {CONCEPT_MARKER}: {caption[:80]!r}")
    return caption


class FolderDataset:
    """Images in a folder; optional loss masks in ``<folder>/masks/<same stem>.png``, optional
    captions in ``<folder>/<same stem>.txt`` and optional subjects in ``<folder>/subjects.json``
    (``{"<image file name>": "<subject>"}``, e.g. a person's id) and optional descriptions of
    the pictures' subjects in ``<folder>/descriptions.json`` (``{"<image file name>": "<words>"}``).

    Either every image has a mask or none has (a batch cannot mix masked and unmasked samples);
    images without a caption file are trained with the domain's prompt templates, and images
    without a subject are read by the encoder themselves.
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
        names = [p.name for p in self.paths]
        self.subjects = _read_name_table(directory / SUBJECTS_FILE, names, "subject")
        self.descriptions = _read_name_table(directory / DESCRIPTIONS_FILE, names, "description")

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

    def subject(self, index: int) -> str | None:
        return self.subjects[index]

    def description(self, index: int) -> str | None:
        return self.descriptions[index]


def _read_caption(path: Path) -> str | None:
    if not path.is_file():
        return None
    return check_caption(path.read_text(encoding="utf-8").strip(), str(path))


def _read_name_table(path: Path, names: Sequence[str], what: str) -> list[str | None]:
    """Each image's entry (its ``what``) from a JSON table of image file names; a name the
    folder lacks, or an entry that is not a non-empty string, is refused (a typo would silently
    drop it)."""
    if not path.is_file():
        return [None] * len(names)
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(table, dict):
        raise ValueError(f"{path} must map image file names to {what}s")
    unknown = sorted(set(table) - set(names))
    if unknown:
        raise ValueError(f"{path} names images the folder lacks: {unknown[:5]}")
    bad = sorted(k for k, v in table.items() if not isinstance(v, str) or not v)
    if bad:
        raise ValueError(f"{path}: the {what} of {bad[:5]} is not a non-empty string")
    return [table.get(name) for name in names]


class InMemoryDataset:
    """Domain images (and optional masks, captions, subjects and descriptions) already decoded,
    e.g. in a notebook."""

    def __init__(
        self,
        images: Sequence[Image.Image],
        resolution: int,
        masks: Sequence[Image.Image] | None = None,
        captions: Sequence[str] | None = None,
        subjects: Sequence[str | None] | None = None,
        descriptions: Sequence[str | None] | None = None,
    ) -> None:
        if masks is not None and len(masks) != len(images):
            raise ValueError("give one mask per image")
        if captions is not None and len(captions) != len(images):
            raise ValueError("give one caption per image")
        if subjects is not None and len(subjects) != len(images):
            raise ValueError("give one subject (or None) per image")
        if descriptions is not None and len(descriptions) != len(images):
            raise ValueError("give one description (or None) per image")
        self.images = [to_tensor(image, resolution) for image in images]
        self.masks = None if masks is None else [mask_to_tensor(m, resolution) for m in masks]
        self.captions = (
            None
            if captions is None
            else [check_caption(c, f"image {i}") for i, c in enumerate(captions)]
        )
        self.subjects = list(subjects) if subjects is not None else [None] * len(images)
        self.descriptions = list(descriptions) if descriptions is not None else [None] * len(images)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.images[index], None if self.masks is None else self.masks[index]

    def caption(self, index: int) -> str | None:
        return None if self.captions is None else self.captions[index]

    def subject(self, index: int) -> str | None:
        return self.subjects[index]

    def description(self, index: int) -> str | None:
        return self.descriptions[index]


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


def other_views(dataset: ImageDataset) -> list[list[int]]:
    """For each picture, the indices of the other pictures of its subject (empty without one)."""
    subjects = [dataset.subject(index) for index in range(len(dataset))]
    by_subject: dict[str, list[int]] = defaultdict(list)
    for index, subject in enumerate(subjects):
        if subject is not None:
            by_subject[subject].append(index)
    return [
        [] if subject is None else [i for i in by_subject[subject] if i != index]
        for index, subject in enumerate(subjects)
    ]


def random_batches(
    dataset: ImageDataset, batch_size: int, generator: torch.Generator
) -> Iterator[TrainingBatch]:
    """Endless batches of distinct random samples, randomly flipped, drawn from ``generator``.

    When some picture of the dataset has another picture of its subject, every batch also holds
    ``encoder_images``: for each sample a random other view of its subject (flipped on its own),
    or the sample itself where there is none."""
    size = min(batch_size, len(dataset))
    views = other_views(dataset)
    with_views = any(views)
    while True:
        indices = torch.randperm(len(dataset), generator=generator)[:size].tolist()
        images, masks, encoder_images = [], [], []
        for index in indices:
            image, mask = dataset[index]
            flipped = random_flip([image] if mask is None else [image, mask], generator)
            images.append(flipped[0])
            if mask is not None:
                masks.append(flipped[1])
            if with_views:
                encoder_images.append(_random_view(dataset, views[index], flipped[0], generator))
        captions = tuple(dataset.caption(index) for index in indices)
        descriptions = tuple(dataset.description(index) for index in indices)
        yield TrainingBatch(
            torch.stack(images),
            torch.stack(masks) if masks else None,
            captions if any(c is not None for c in captions) else None,
            torch.stack(encoder_images) if with_views else None,
            descriptions if any(d is not None for d in descriptions) else None,
        )


def _random_view(
    dataset: ImageDataset, others: list[int], image: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    if not others:
        return image
    pick = others[int(torch.randint(len(others), (), generator=generator))]
    return random_flip([dataset[pick][0]], generator)[0]
