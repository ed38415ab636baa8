"""The dataset writer and its identity splits."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from e4t_server.demo.dataset import (
    SPLITS,
    read_metadata,
    render_samples,
    split_seeds,
    write_dataset,
)
from e4t_server.demo.faces import IdentityFactors, NuisanceFactors, caption, render


def test_split_ranges_never_overlap() -> None:
    ranges = list(SPLITS.values())
    for i in range(len(ranges)):
        for j in range(i + 1, len(ranges)):
            assert set(ranges[i][:1000]).isdisjoint(ranges[j][:1000])
            assert ranges[i].stop <= ranges[j].start or ranges[j].stop <= ranges[i].start
    assert set(split_seeds("train", 50)).isdisjoint(split_seeds("heldout", 50))
    with pytest.raises(ValueError, match="unknown split"):
        split_seeds("test", 3)


def test_write_dataset_files_and_metadata(tmp_path: Path) -> None:
    metadata = write_dataset(
        tmp_path / "train", identities=3, images_per_identity=2, seed=4, size=32
    )
    held_out = write_dataset(
        tmp_path / "heldout", identities=3, images_per_identity=2, seed=4, size=32, split="heldout"
    )
    records = read_metadata(metadata)
    assert len(records) == 6
    assert len({r["identity_id"] for r in records}) == 3
    for record in records:
        image = Image.open(metadata.parent / str(record["file"]))
        mask = Image.open(metadata.parent / str(record["mask"]))
        assert image.size == mask.size == (32, 32) and mask.mode == "L"
        nuisance = NuisanceFactors.from_dict(record["nuisance"])  # type: ignore[arg-type]
        identity = IdentityFactors.from_dict(record["factors"])  # type: ignore[arg-type]
        assert record["caption"] == caption(nuisance)
        assert "a face" in str(record["class_caption"])
        # The stored factors reproduce the stored picture exactly.
        assert np.array_equal(np.asarray(image), np.asarray(render(identity, nuisance, 32)[0]))
    train_ids = {r["identity_seed"] for r in records}
    held_out_ids = {r["identity_seed"] for r in read_metadata(held_out)}
    assert train_ids.isdisjoint(held_out_ids)


def test_pictures_of_one_identity_vary_in_context() -> None:
    samples = render_samples([5], images_per_identity=6, seed=0, size=32)
    assert samples.images.shape == (6, 32, 32, 3) and samples.masks.shape == (6, 32, 32)
    assert len({n.background for n in samples.nuisances}) > 1
    assert len(set(samples.identities)) == 1
