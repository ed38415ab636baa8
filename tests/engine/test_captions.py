"""Per-image captions in domain tuning: read from `<stem>.txt`, validated, used as the prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from e4t_server.engine.data import FolderDataset, InMemoryDataset, random_batches
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.domain_tuning import tune_domain
from e4t_server.engine.tiny import synthetic_image
from e4t_server.engine.training import sample_prompts


def write_images(directory: Path, count: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        synthetic_image(index).save(directory / f"img{index}.png")


def test_folder_captions_are_read_per_image_and_missing_ones_are_none(tmp_path: Path) -> None:
    write_images(tmp_path, 3)
    (tmp_path / "img0.txt").write_text("a sketch of {concept}, red background\n")
    dataset = FolderDataset(tmp_path, resolution=16)
    assert dataset.caption(0) == "a sketch of {concept}, red background"
    assert dataset.caption(1) is None and dataset.caption(2) is None


def test_a_caption_without_the_concept_marker_is_refused(tmp_path: Path) -> None:
    write_images(tmp_path, 1)
    (tmp_path / "img0.txt").write_text("a sketch of a face")
    with pytest.raises(ValueError, match=r"img0\.txt lacks"):
        FolderDataset(tmp_path, resolution=16)
    with pytest.raises(ValueError, match="image 0 lacks"):
        InMemoryDataset([synthetic_image(0)], 16, captions=["a face"])
    with pytest.raises(ValueError, match="one caption per image"):
        InMemoryDataset([synthetic_image(0)], 16, captions=[])


def test_batches_carry_captions_only_when_the_dataset_has_some() -> None:
    images = [synthetic_image(seed) for seed in range(4)]
    captions = [f"a photo of {{concept}}, number {i}" for i in range(4)]
    generator = torch.Generator().manual_seed(0)
    batch = next(random_batches(InMemoryDataset(images, 16, captions=captions), 2, generator))
    assert batch.captions is not None and len(batch.captions) == 2
    assert all(c in captions for c in batch.captions if c is not None)
    plain = next(random_batches(InMemoryDataset(images, 16), 2, generator))
    assert plain.captions is None


def test_captions_replace_templates_without_shifting_the_random_stream(
    domain_model: DomainModel,
) -> None:
    tokenizer = domain_model.prompt_encoder
    placeholder = domain_model.config.placeholder_token
    captioned = sample_prompts(
        domain_model,
        2,
        torch.Generator().manual_seed(3),
        ("a sketch of {concept}", None),
    )
    templated = sample_prompts(domain_model, 2, torch.Generator().manual_seed(3))
    expected = tokenizer.tokenize([f"a sketch of {placeholder}"])
    assert torch.equal(captioned.input_ids[0], expected.input_ids[0])
    assert torch.equal(captioned.input_ids[1], templated.input_ids[1])  # None → the template
    assert bool(captioned.placeholder_mask[0].any())


def test_domain_tuning_runs_on_captioned_data(fresh_model: DomainModel) -> None:
    images = [synthetic_image(seed) for seed in range(4)]
    captions = ["a photo of {concept} on the beach"] * 4
    losses = tune_domain(
        fresh_model, InMemoryDataset(images, 32, captions=captions), steps=2, batch_size=2
    )
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))
