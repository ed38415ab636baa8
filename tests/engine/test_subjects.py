"""Subjects in domain tuning: the encoder reads another picture of the same subject.

A dataset that knows who each picture shows (``subjects.json`` in a folder, or
``InMemoryDataset(subjects=...)``) makes every batch carry, per sample, a random other view of
its subject; the encoder reads that view instead of the picture being denoised.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from e4t_server.engine.data import FolderDataset, InMemoryDataset, other_views, random_batches
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.domain_tuning import tune_domain
from e4t_server.engine.images import to_tensor
from e4t_server.engine.tiny import synthetic_image
from e4t_server.engine.training import E4TTrainable, TrainingBatch, denoising_loss

RESOLUTION = 16


def write_images(directory: Path, count: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        synthetic_image(index).save(directory / f"img{index}.png")


def matches_up_to_flip(view: torch.Tensor, image: torch.Tensor) -> bool:
    return torch.equal(view, image) or torch.equal(view, image.flip(-1))


def test_folder_subjects_are_read_and_unlisted_images_have_none(tmp_path: Path) -> None:
    write_images(tmp_path, 3)
    (tmp_path / "subjects.json").write_text(json.dumps({"img0.png": "ann", "img2.png": "ann"}))
    dataset = FolderDataset(tmp_path, resolution=RESOLUTION)
    assert [dataset.subject(i) for i in range(3)] == ["ann", None, "ann"]
    assert other_views(dataset) == [[2], [], [0]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["img0.png"]', "must map image file names"),
        ('{"img9.png": "ann"}', "names images the folder lacks"),
        ('{"img0.png": 7}', "not a non-empty string"),
        ('{"img0.png": ""}', "not a non-empty string"),
    ],
)
def test_a_bad_subjects_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    write_images(tmp_path, 2)
    (tmp_path / "subjects.json").write_text(content)
    with pytest.raises(ValueError, match=message):
        FolderDataset(tmp_path, resolution=RESOLUTION)


def test_in_memory_subjects_need_one_entry_per_image() -> None:
    with pytest.raises(ValueError, match="one subject"):
        InMemoryDataset([synthetic_image(0)], RESOLUTION, subjects=["ann", "bob"])


def test_each_sample_gets_another_view_of_its_subject_or_itself() -> None:
    images = [synthetic_image(seed) for seed in range(5)]
    subjects = ["ann", "ann", "bob", "bob", None]
    dataset = InMemoryDataset(images, RESOLUTION, subjects=subjects)
    tensors = [to_tensor(image, RESOLUTION) for image in images]
    generator = torch.Generator().manual_seed(0)
    batches = random_batches(dataset, 5, generator)
    for _ in range(10):
        batch = next(batches)
        assert batch.encoder_images is not None
        for image, view in zip(batch.images, batch.encoder_images, strict=True):
            index = next(i for i, t in enumerate(tensors) if matches_up_to_flip(image, t))
            partner = {0: 1, 1: 0, 2: 3, 3: 2, 4: 4}[index]
            assert matches_up_to_flip(view, tensors[partner])


def test_without_subjects_batches_have_no_views_and_the_same_random_stream() -> None:
    images = [synthetic_image(seed) for seed in range(4)]
    plain = next(random_batches(InMemoryDataset(images, RESOLUTION), 3, torch.Generator()))
    alone = InMemoryDataset(images, RESOLUTION, subjects=["a", "b", "c", "d"])  # no one twice
    single = next(random_batches(alone, 3, torch.Generator()))
    assert plain.encoder_images is None and single.encoder_images is None
    assert torch.equal(plain.images, single.images)


class _EncoderInputs(E4TTrainable):
    """The real trainable, noting the pictures its encoder reads."""

    def __init__(self, model: DomainModel) -> None:
        super().__init__(model, model.encoder, model.offsets)
        self.read: list[torch.Tensor] = []

    def forward(self, images, noisy_latents, timesteps, input_ids, placeholder_mask, **views):  # type: ignore[no-untyped-def,override]
        self.read.append(views.get("encoder_images", images))
        return super().forward(
            images, noisy_latents, timesteps, input_ids, placeholder_mask, **views
        )


def test_the_encoder_reads_the_other_view(fresh_model: DomainModel) -> None:
    images = torch.stack([to_tensor(synthetic_image(s), 32) for s in range(2)])
    views = torch.stack([to_tensor(synthetic_image(s), 32) for s in (5, 6)])
    trainable = _EncoderInputs(fresh_model)

    def loss(batch: TrainingBatch) -> float:
        terms = denoising_loss(
            trainable,
            fresh_model,
            batch,
            generator=torch.Generator().manual_seed(0),
            regularization=fresh_model.config.domain_regularization,
        )
        return float(terms.denoising)

    with torch.no_grad():  # a non-zero encoder head, so what it reads changes the loss
        trainable.encoder.to_offset.weight.normal_(generator=torch.Generator().manual_seed(1))
    own = loss(TrainingBatch(images))
    other = loss(TrainingBatch(images, encoder_images=views))
    assert torch.equal(trainable.read[0], images) and torch.equal(trainable.read[1], views)
    assert own != other


def test_the_encoder_inputs_come_together(fresh_model: DomainModel) -> None:
    trainable = E4TTrainable(fresh_model, fresh_model.encoder, fresh_model.offsets)
    images = torch.zeros(1, 3, 32, 32)
    with pytest.raises(ValueError, match="together"):
        ids = torch.zeros(1, 77, dtype=torch.long)
        trainable(images, torch.zeros(1, 4, 16, 16), torch.tensor([1]), ids, ids.bool(), images)


def test_domain_tuning_runs_on_data_with_subjects(fresh_model: DomainModel) -> None:
    images = [synthetic_image(seed) for seed in range(4)]
    dataset = InMemoryDataset(images, 32, subjects=["ann", "ann", "bob", "bob"])
    before = {k: v.clone() for k, v in fresh_model.encoder.state_dict().items()}
    losses = tune_domain(fresh_model, dataset, steps=2, batch_size=2, lr=1e-2)
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))
    after = fresh_model.encoder.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
