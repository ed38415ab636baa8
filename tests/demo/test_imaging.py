"""Pictures to tensors and back: the metrics and the VAE probes read both ways."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from e4t_server.demo.imaging import to_pictures, to_tensor


def test_pixels_survive_a_tensor_round_trip_exactly() -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    batch = to_tensor(pixels, 8)
    assert batch.shape == (3, 3, 8, 8)
    assert batch.min() >= -1 and batch.max() <= 1
    assert np.array_equal(np.stack([np.asarray(p) for p in to_pictures(batch)]), pixels)


def test_decoded_values_outside_the_range_are_clamped() -> None:
    batch = torch.tensor([-3.0, -1.0, 0.0, 1.0, 3.0]).reshape(1, 1, 1, 5).expand(1, 3, 1, 5)
    (picture,) = to_pictures(batch)
    assert np.asarray(picture)[0, :, 0].tolist() == [0, 0, 128, 255, 255]


def test_a_batch_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="expected"):
        to_tensor(np.zeros((2, 8, 8), dtype=np.uint8), 8)
