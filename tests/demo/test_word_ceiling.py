"""The one-word ceiling: which pictures each word is optimized on, and that only the word moves."""

from __future__ import annotations

import torch

from e4t_server.demo.baselines import optimize_word
from e4t_server.demo.dataset import split_seeds
from e4t_server.demo.scenes import input_photo
from e4t_server.demo.word_ceiling import VIEWS, input_photo_dataset, people, person_pictures
from e4t_server.engine.data import InMemoryDataset
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.images import to_tensor
from e4t_server.engine.tiny import build_tiny_components, synthetic_image, tiny_domain_config

SEED = 900_003


def test_the_photo_variants_train_on_the_input_photo_itself() -> None:
    photo = to_tensor(input_photo(SEED), 32)
    informed = input_photo_dataset(SEED, informed=True)
    plain = input_photo_dataset(SEED, informed=False)
    assert len(informed) == len(plain) == 1
    assert torch.equal(informed[0][0], photo) and torch.equal(plain[0][0], photo)
    mask = informed[0][1]
    assert mask is not None and 0 < float(mask.mean()) < 1  # the person, not the backdrop
    assert plain[0][1] is None and plain.caption(0) is None
    caption = informed.caption(0)
    assert caption is not None and caption.startswith("a photo of {concept}")


def test_the_person_is_shown_in_other_pictures_with_their_contexts_named() -> None:
    pictures = person_pictures(SEED)
    photo = to_tensor(input_photo(SEED), 32)
    assert len(pictures) == VIEWS
    assert not any(torch.equal(pictures[i][0], photo) for i in range(VIEWS))
    captions = {pictures.caption(i) for i in range(VIEWS)}
    assert len(captions) > 1 and all(c is not None and "{concept}" in c for c in captions)
    assert all(pictures[i][1] is not None for i in range(VIEWS))


def test_optimizing_a_word_moves_the_embedding_and_leaves_the_unet_as_it_is() -> None:
    model = DomainModel.from_components(build_tiny_components(), tiny_domain_config())
    images = [synthetic_image(seed) for seed in range(3)]
    dataset = InMemoryDataset(images, 32, captions=["a photo of {concept}"] * 3)
    artifact = optimize_word(model, dataset, steps=3, lr=5e-2, batch_size=2)
    assert not torch.equal(artifact.embedding, model.class_word_embedding.to(artifact.embedding))
    assert all(
        not bool(t.any()) for name, t in artifact.offsets.items() if name.endswith("lora_B.weight")
    )
    assert artifact.metadata.steps == 3 and len(artifact.metadata.loss_curve) == 3


def test_people_come_from_validation_or_the_evaluations_held_out_split() -> None:
    assert people("validation", 2) == split_seeds("train", 2, start=900_000)
    assert people("validation", 2, first=3) == split_seeds("train", 2, start=900_003)
    assert people("heldout", 3, first=1) == split_seeds("heldout", 4)[1:]
