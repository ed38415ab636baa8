"""Descriptions in domain tuning: the encoder's word is taught to act like words for the subject.

A dataset may describe each picture's subject in words (``descriptions.json`` in a folder, or
``InMemoryDataset(descriptions=...)``). With ``description_weight`` > 0 the loss adds the
distance between the trainable's prediction and a teacher's: the UNet without offsets, prompted
with the description where the concept goes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from e4t_server.engine.data import FolderDataset, InMemoryDataset, random_batches
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.domain_tuning import tune_domain
from e4t_server.engine.images import to_tensor
from e4t_server.engine.tiny import synthetic_image
from e4t_server.engine.training import (
    E4TTrainable,
    LossTerms,
    TrainingBatch,
    denoising_loss,
    description_teacher,
)

RESOLUTION = 32
CAPTION = "a photo of {concept}, blue background"


def test_folder_descriptions_are_read_and_a_bad_table_is_refused(tmp_path: Path) -> None:
    for index in range(2):
        synthetic_image(index).save(tmp_path / f"img{index}.png")
    (tmp_path / "descriptions.json").write_text(json.dumps({"img1.png": "a face with glasses"}))
    dataset = FolderDataset(tmp_path, resolution=RESOLUTION)
    assert [dataset.description(i) for i in range(2)] == [None, "a face with glasses"]
    (tmp_path / "descriptions.json").write_text(json.dumps({"img1.png": ""}))
    with pytest.raises(ValueError, match="description of"):
        FolderDataset(tmp_path, resolution=RESOLUTION)


def test_in_memory_descriptions_need_one_entry_per_image() -> None:
    with pytest.raises(ValueError, match="one description"):
        InMemoryDataset([synthetic_image(0)], RESOLUTION, descriptions=["a", "b"])


def test_batches_carry_each_samples_own_description() -> None:
    images = [synthetic_image(seed) for seed in range(4)]
    words = ["a face with red hair", None, "a face with glasses", "a bald face"]
    dataset = InMemoryDataset(images, RESOLUTION, descriptions=words)
    tensors = [to_tensor(image, RESOLUTION) for image in images]
    batches = random_batches(dataset, 3, torch.Generator().manual_seed(0))
    for _ in range(5):
        batch = next(batches)
        assert batch.descriptions is not None
        for image, description in zip(batch.images, batch.descriptions, strict=True):
            index = next(
                i
                for i, t in enumerate(tensors)
                if torch.equal(image, t) or torch.equal(image, t.flip(-1))
            )
            assert description == words[index]
    plain = next(random_batches(InMemoryDataset(images, RESOLUTION), 3, torch.Generator()))
    assert plain.descriptions is None


def _loss(model: DomainModel, batch: TrainingBatch, weight: float) -> LossTerms:
    return denoising_loss(
        E4TTrainable(model, model.encoder, model.offsets),
        model,
        batch,
        generator=torch.Generator().manual_seed(0),
        regularization=model.config.domain_regularization,
        description_weight=weight,
    )


def _batch(descriptions: tuple[str | None, ...] | None) -> TrainingBatch:
    images = torch.stack([to_tensor(synthetic_image(s), RESOLUTION) for s in range(2)])
    return TrainingBatch(images, captions=(CAPTION, CAPTION), descriptions=descriptions)


def test_the_description_term_is_added_with_its_weight(fresh_model: DomainModel) -> None:
    described = _batch(("a face with red hair", "a face with glasses"))
    off, on = _loss(fresh_model, described, 0.0), _loss(fresh_model, described, 2.0)
    assert float(off.description) == 0.0
    assert float(on.description) > 0.0
    assert torch.equal(on.denoising, off.denoising)  # the same random draws
    assert torch.allclose(on.total, off.total + 2.0 * on.description)
    assert float(_loss(fresh_model, _batch(None), 2.0).description) == 0.0


def test_the_description_term_teaches_the_encoder(fresh_model: DomainModel) -> None:
    batch = _batch(("a face with red hair", "a bald face"))

    def encoder_gradient(weight: float) -> torch.Tensor:
        fresh_model.encoder.zero_grad()
        _loss(fresh_model, batch, weight).total.backward()
        gradient = fresh_model.encoder.to_offset.weight.grad
        assert gradient is not None
        return gradient.clone()

    assert not torch.allclose(encoder_gradient(1.0), encoder_gradient(0.0))


def test_the_teacher_ignores_offsets_and_reads_the_words(fresh_model: DomainModel) -> None:
    latents = torch.randn(2, 4, 16, 16, generator=torch.Generator().manual_seed(0))
    timesteps = torch.tensor([500, 700])
    texts = [CAPTION, CAPTION]

    def teacher(descriptions: tuple[str | None, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        return description_teacher(fresh_model, latents, timesteps, texts, descriptions)

    red, present = teacher(("a face with red hair", None))
    assert present.tolist() == [1.0, 0.0]
    with torch.no_grad():
        for pair in fresh_model.offsets.low_rank_offsets():
            pair.lora_B.normal_(generator=torch.Generator().manual_seed(1))
    with fresh_model.hooks.activated(fresh_model.offsets):
        again, _ = teacher(("a face with red hair", None))
    assert torch.equal(red, again)
    bald, _ = teacher(("a bald face", None))
    assert not torch.equal(red[0], bald[0]) and torch.equal(red[1], bald[1])


def test_domain_tuning_with_descriptions_trains_and_refuses_a_negative_weight(
    fresh_model: DomainModel,
) -> None:
    images = [synthetic_image(seed) for seed in range(4)]
    words = ["a face with red hair", "a bald face", None, "a face with glasses"]
    dataset = InMemoryDataset(images, RESOLUTION, captions=[CAPTION] * 4, descriptions=words)
    with pytest.raises(ValueError, match="description_weight"):
        tune_domain(fresh_model, dataset, steps=1, description_weight=-1.0)
    before = {k: v.clone() for k, v in fresh_model.encoder.state_dict().items()}
    losses = tune_domain(
        fresh_model, dataset, steps=2, batch_size=2, lr=1e-2, description_weight=1.0
    )
    assert len(losses) == 2 and all(loss > 0 for loss in losses)
    after = fresh_model.encoder.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
