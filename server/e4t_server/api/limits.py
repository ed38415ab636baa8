"""Request limits (docs/api.md, "Limits") checked in the gateway before anything is written."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from e4t_server.api.errors import invalid_field

MAX_MESSAGE_BYTES = 32 * 2**20
MAX_IMAGE_BYTES = 10 * 2**20
# Judged from the image header, before any pixel is decoded: a decompression bomb never expands.
MAX_IMAGE_PIXELS = 25_000_000
ACCEPTED_IMAGE_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})
TUNING_STEPS = (5, 15)
DEFAULT_TUNING_STEPS = 10
PROMPT_CHARS = 1000
INFERENCE_STEPS = (1, 100)
DEFAULT_INFERENCE_STEPS = 30
GUIDANCE_SCALE = (0.0, 20.0)
DEFAULT_GUIDANCE_SCALE = 7.5
IMAGES_PER_CALL = (1, 4)
IMAGE_SIDE = (64, 1024)
DISPLAY_NAME_CHARS = 200
DESCRIPTION_CHARS = 2000
WAIT_TIMEOUT_SECONDS = (30.0, 60.0)
CANARY_PERCENT = (1, 99)
UPLOAD_CHUNK_BYTES = 2**20
MAX_ARCHIVE_BYTES = 4 * 2**30
CONCEPT_MARKER = "{concept}"


def check_image(data: bytes, field: str = "image") -> str:
    """The image's format (PNG, JPEG or WEBP) if it is acceptable, else INVALID_ARGUMENT."""
    if not data:
        raise invalid_field(field, "the image is empty", "IMAGE_UNREADABLE")
    if len(data) > MAX_IMAGE_BYTES:
        raise invalid_field(
            field, f"the image is {len(data)} bytes, over {MAX_IMAGE_BYTES}", "IMAGE_TOO_LARGE"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format, (width, height) = image.format, image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise invalid_field(
                        field,
                        f"the image has {width}x{height} pixels, over {MAX_IMAGE_PIXELS}",
                        "IMAGE_TOO_LARGE",
                    )
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise invalid_field(field, "the image is too large to decode", "IMAGE_TOO_LARGE") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise invalid_field(
            field, "the bytes are not a readable image", "IMAGE_UNREADABLE"
        ) from None
    if image_format not in ACCEPTED_IMAGE_FORMATS or width == 0 or height == 0:
        raise invalid_field(field, "the image must be PNG, JPEG or WebP", "IMAGE_UNREADABLE")
    return str(image_format)


def in_range(value: float, bounds: tuple[float, float], field: str) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise invalid_field(field, f"must be between {low} and {high}, got {value}")


def max_length(value: str, limit: int, field: str) -> None:
    if len(value) > limit:
        raise invalid_field(field, f"must be at most {limit} characters")


def required(value: str, field: str) -> None:
    if not value:
        raise invalid_field(field, "is required")


def check_page_size(page_size: int) -> None:
    if page_size < 0:
        raise invalid_field("page_size", f"must not be negative, got {page_size}")
