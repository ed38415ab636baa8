"""Decoding untrusted image bytes safely, and turning images into model tensors."""

from __future__ import annotations

import io
import warnings

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from e4t_server.engine.errors import ImageTooLargeError, InvalidImageError

DEFAULT_MAX_BYTES = 20 * 2**20
DEFAULT_MAX_PIXELS = 40_000_000


def load_image(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Image.Image:
    """Decode ``data`` into an upright RGB image.

    Any format PIL reads is accepted; EXIF orientation is applied, transparency is composited on
    white, grayscale and palette images become RGB; animated images yield their first frame.

    Raises:
        InvalidImageError: ``data`` is empty or not a decodable image.
        ImageTooLargeError: ``data`` is over ``max_bytes`` or the image over ``max_pixels``
            (judged from the header, before any pixel is decoded).
    """
    if not data:
        raise InvalidImageError("the image is empty (0 bytes)")
    if len(data) > max_bytes:
        raise ImageTooLargeError(f"the image is {len(data)} bytes, over the {max_bytes}-byte limit")
    try:
        # PIL's own decompression-bomb guard stays on as a second line; it raises as an error here.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size  # from the header only; no pixels decoded yet
            if width * height > max_pixels:
                raise ImageTooLargeError(
                    f"the image is {width}x{height} = {width * height} pixels, "
                    f"over the {max_pixels}-pixel cap"
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageTooLargeError(f"the image is too large to decode safely: {error}") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise InvalidImageError(f"the bytes are not a decodable image: {error}") from error
    if width == 0 or height == 0:
        raise InvalidImageError("the image has no pixels")
    return _to_upright_rgb(image)


def _to_upright_rgb(image: Image.Image) -> Image.Image:
    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("RGBA", "LA") or (upright.mode == "P" and "transparency" in upright.info):
        rgba = upright.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return upright.convert("RGB")


def center_crop_square(image: Image.Image) -> Image.Image:
    """The largest centred square of ``image``."""
    side = min(image.size)
    left = (image.width - side) // 2
    top = (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def to_tensor(image: Image.Image, resolution: int) -> torch.Tensor:
    """Centre-crop, resize to ``resolution``², scale to a ``(3, H, W)`` tensor in [-1, 1]."""
    square = center_crop_square(image.convert("RGB"))
    resized = square.resize((resolution, resolution), Image.Resampling.BICUBIC)
    array = np.asarray(resized, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


def mask_to_tensor(mask: Image.Image, resolution: int) -> torch.Tensor:
    """A loss mask as a ``(1, H, W)`` float tensor in [0, 1], cropped like :func:`to_tensor`."""
    square = center_crop_square(mask.convert("L"))
    resized = square.resize((resolution, resolution), Image.Resampling.BILINEAR)
    array = np.asarray(resized, dtype=np.float32) / 255.0
    return torch.from_numpy(array)[None]
