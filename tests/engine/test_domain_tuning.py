"""Domain tuning: the loss falls on a small dataset; checkpoint + resume equals a straight run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from e4t_server.engine.data import FolderDataset, InMemoryDataset
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.domain_tuning import tune_domain
from e4t_server.engine.images import to_tensor
from e4t_server.engine.tiny import build_tiny_components, synthetic_image, tiny_domain_config
from e4t_server.engine.training import (
    E4TTrainable,
    TrainingBatch,
    denoising_loss,
    masked_mean,
)


def dataset(count: int = 8) -> InMemoryDataset:
    return InMemoryDataset([synthetic_image(seed) for seed in range(count)], resolution=32)


def trainable_tensors(model: DomainModel) -> dict[str, torch.Tensor]:
    tensors = {f"encoder.{k}": v.clone() for k, v in model.encoder.state_dict().items()}
    tensors.update({k: v.clone() for k, v in model.offsets.lora_state_dict().items()})
    return tensors


def test_domain_tuning_lowers_the_loss(fresh_model: DomainModel) -> None:
    fingerprint = fresh_model.fingerprint()
    seen: list[tuple[int, int, float]] = []
    losses = tune_domain(
        fresh_model,
        dataset(),
        steps=16,
        batch_size=4,
        lr=1e-2,
        seed=0,
        progress=lambda step, total, loss: seen.append((step, total, loss)),
    )
    assert len(losses) == 16 and all(np.isfinite(losses))
    assert np.mean(losses[-4:]) < np.mean(losses[:4]) - 0.05
    assert [s[0] for s in seen] == list(range(1, 17)) and seen[0][1] == 16
    assert [s[2] for s in seen] == losses
    assert fresh_model.fingerprint() != fingerprint  # the domain tensors were tuned in place
    assert float(fresh_model.offsets.l2().detach()) > 0


def test_checkpoint_and_resume_equals_a_straight_run(tmp_path: Path) -> None:
    def model() -> DomainModel:
        return DomainModel.from_components(build_tiny_components(), tiny_domain_config())

    straight = model()
    straight_losses = tune_domain(straight, dataset(4), steps=4, batch_size=2, lr=1e-2, seed=5)

    checkpoints = tmp_path / "checkpoints"
    first = model()
    tune_domain(
        first, dataset(4), steps=2, batch_size=2, lr=1e-2, seed=5, checkpoint_dir=checkpoints
    )
    assert (checkpoints / "step-00000002").is_dir()
    resumed = model()  # a new process would start from fresh weights and the checkpoint
    resumed_losses = tune_domain(
        resumed,
        dataset(4),
        steps=4,
        batch_size=2,
        lr=1e-2,
        seed=5,
        checkpoint_dir=checkpoints,
        checkpoint_every=1,
    )
    assert resumed_losses == straight_losses
    expected, actual = trainable_tensors(straight), trainable_tensors(resumed)
    assert all(torch.equal(expected[k], actual[k]) for k in expected)
    assert sorted(p.name for p in checkpoints.iterdir()) == [
        "step-00000002",
        "step-00000003",
        "step-00000004",
    ]


def test_folder_dataset_reads_images_and_masks(tmp_path: Path) -> None:
    for seed in range(2):
        synthetic_image(seed).save(tmp_path / f"img{seed}.png")
    (tmp_path / "notes.txt").write_text("ignored")
    plain = FolderDataset(tmp_path, resolution=16)
    image, mask = plain[0]
    assert len(plain) == 2 and image.shape == (3, 16, 16) and mask is None
    (tmp_path / "masks").mkdir()
    for seed in range(2):
        synthetic_image(seed).convert("L").save(tmp_path / "masks" / f"img{seed}.png")
    image, mask = FolderDataset(tmp_path, resolution=16)[1]
    assert mask is not None and mask.shape == (1, 16, 16)
    assert float(mask.min()) >= 0.0 and float(mask.max()) <= 1.0


def test_masked_loss_runs(fresh_model: DomainModel) -> None:
    images = [synthetic_image(seed) for seed in range(2)]
    masks = [image.convert("L") for image in images]
    losses = tune_domain(
        fresh_model,
        InMemoryDataset(images, resolution=32, masks=masks),
        steps=1,
        batch_size=2,
        seed=0,
    )
    assert len(losses) == 1 and np.isfinite(losses[0])


def test_the_masked_mean_counts_only_the_masked_pixels_of_every_channel() -> None:
    values = torch.zeros(1, 2, 2, 2)
    values[:, :, 0, 0] = 4.0  # the one masked pixel, in both channels
    values[:, :, 1, 1] = 100.0  # outside the mask: must not count
    mask = torch.zeros(1, 1, 2, 2)
    mask[:, :, 0, 0] = 1.0
    assert float(masked_mean(values, mask)) == pytest.approx(4.0)
    assert float(masked_mean(values, torch.zeros_like(mask))) == 0.0  # not NaN


class _RecordingTrainable(E4TTrainable):
    """The real trainable, noting the timesteps each step trains on."""

    def __init__(self, model: DomainModel) -> None:
        super().__init__(model, model.encoder, model.offsets)
        self.timesteps: list[int] = []

    def forward(self, images, noisy_latents, timesteps, input_ids, placeholder_mask, **views):  # type: ignore[no-untyped-def,override]
        self.timesteps += timesteps.tolist()
        return super().forward(
            images, noisy_latents, timesteps, input_ids, placeholder_mask, **views
        )


def test_a_timestep_range_limits_the_training_timesteps(fresh_model: DomainModel) -> None:
    batch = TrainingBatch(torch.stack([to_tensor(synthetic_image(s), 32) for s in range(4)]))
    trainable = _RecordingTrainable(fresh_model)
    generator = torch.Generator().manual_seed(0)

    def step(timestep_range: tuple[int, int]) -> None:
        denoising_loss(
            trainable,
            fresh_model,
            batch,
            generator=generator,
            regularization=fresh_model.config.domain_regularization,
            timestep_range=timestep_range,
        )

    for _ in range(8):
        step((400, 410))
    assert len(trainable.timesteps) == 32 and set(trainable.timesteps) <= set(range(400, 410))
    for bad in ((500, 500), (-1, 10), (0, 100_000)):
        with pytest.raises(ValueError, match="timestep_range"):
            step(bad)


def test_tune_domain_refuses_a_bad_timestep_range_before_training(
    fresh_model: DomainModel, tmp_path: Path
) -> None:
    fingerprint = fresh_model.fingerprint()
    with pytest.raises(ValueError, match="timestep_range"):
        tune_domain(
            fresh_model,
            dataset(2),
            steps=2,
            batch_size=2,
            checkpoint_dir=tmp_path / "checkpoints",
            checkpoint_every=1,
            timestep_range=(900, 1001),
        )
    assert fresh_model.fingerprint() == fingerprint
    assert not (tmp_path / "checkpoints").exists()
