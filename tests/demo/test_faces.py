"""The procedural face domain: determinism, distinct identities, masks and captions."""

import numpy as np
import pytest

from e4t_server.demo.faces import (
    BACKGROUNDS,
    CATEGORICAL_FACTORS,
    LIGHTINGS,
    STYLES,
    IdentityFactors,
    NuisanceFactors,
    caption,
    class_caption,
    identity_from_seed,
    nuisance_from_seed,
    render,
)


def test_same_seed_gives_identical_pixels() -> None:
    first_image, first_mask = render(identity_from_seed(3), nuisance_from_seed(5))
    second_image, second_mask = render(identity_from_seed(3), nuisance_from_seed(5))
    assert np.array_equal(np.asarray(first_image), np.asarray(second_image))
    assert np.array_equal(np.asarray(first_mask), np.asarray(second_mask))
    assert first_image.size == (64, 64) and first_image.mode == "RGB" and first_mask.mode == "L"


def test_distinct_identities_give_different_images() -> None:
    nuisance = nuisance_from_seed(0, style="photo")
    images = [
        np.asarray(render(identity_from_seed(seed), nuisance)[0], np.float32) for seed in range(6)
    ]
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            assert np.abs(images[i] - images[j]).mean() > 2.0


def test_seeds_give_thousands_of_different_identities() -> None:
    identities = {identity_from_seed(seed) for seed in range(3000)}
    categorical = {tuple(i.categorical_indices().values()) for i in identities}
    assert len(identities) == 3000
    # Even ignoring every continuous factor almost all identities differ.
    assert len(categorical) > 2800


def test_every_categorical_value_occurs() -> None:
    identities = [identity_from_seed(seed) for seed in range(600)]
    for name, values in CATEGORICAL_FACTORS.items():
        assert {getattr(identity, name) for identity in identities} == set(values)


@pytest.mark.parametrize("style", STYLES)
def test_mask_covers_the_face_and_not_the_background(style: str) -> None:
    nuisance = nuisance_from_seed(1, style=style, background="blue")
    image, mask = render(identity_from_seed(7), nuisance, size=64)
    pixels, coverage = np.asarray(image, np.float32), np.asarray(mask)
    assert coverage[32, 32] == 255  # the face centre
    assert coverage[:4].max() == 0 and coverage[:, :4].max() == 0  # the top-left backdrop
    backdrop = coverage == 0
    assert 0.3 < backdrop.mean() < 0.85
    distance = np.abs(pixels[backdrop] - np.asarray(BACKGROUNDS["blue"], np.float32)).max(axis=1)
    assert np.median(distance) < 3.0


def test_size_is_respected() -> None:
    image, mask = render(identity_from_seed(1), nuisance_from_seed(1), size=32)
    assert image.size == mask.size == (32, 32)
    with pytest.raises(ValueError, match="size"):
        render(identity_from_seed(1), nuisance_from_seed(1), size=8)


@pytest.mark.parametrize("style", STYLES)
def test_caption_names_the_requested_context(style: str) -> None:
    nuisance = nuisance_from_seed(2, style=style, background="purple", lighting="warm")
    text = caption(nuisance)
    assert "{concept}" in text and "purple background" in text and "warm lighting" in text
    assert style.split("-")[0] in text
    plain = class_caption(nuisance)
    assert "a face" in plain and "{concept}" not in plain and "purple background" in plain


def test_fixed_context_factors_are_used() -> None:
    for background in BACKGROUNDS:
        for lighting in LIGHTINGS:
            nuisance = nuisance_from_seed(9, background=background, lighting=lighting)
            assert (nuisance.background, nuisance.lighting) == (background, lighting)


def test_factors_round_trip_and_are_validated() -> None:
    identity = identity_from_seed(11)
    assert IdentityFactors.from_dict(identity.to_dict()) == identity
    nuisance = nuisance_from_seed(11)
    assert NuisanceFactors.from_dict(nuisance.to_dict()) == nuisance
    with pytest.raises(ValueError, match="hair_style"):
        IdentityFactors.from_dict({**identity.to_dict(), "hair_style": "mullet"})
    with pytest.raises(ValueError, match="skin_tone"):
        IdentityFactors.from_dict({**identity.to_dict(), "skin_tone": 1.5})
    with pytest.raises(ValueError, match="background"):
        NuisanceFactors.from_dict({**nuisance.to_dict(), "background": "teal"})
