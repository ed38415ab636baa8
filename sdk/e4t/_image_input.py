"""Reads a concept image given as a path, bytes, a binary file object or a PIL image."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

ImageInput = Any
"""`str | os.PathLike | bytes | bytearray | memoryview | BinaryIO | PIL.Image.Image`."""


@runtime_checkable
class _Readable(Protocol):
    def read(self) -> bytes: ...


def _is_pil_image(image: object) -> bool:
    # Checked by module name so that Pillow stays optional and is never imported here.
    return type(image).__module__.startswith("PIL.") and hasattr(image, "save")


def image_bytes(image: ImageInput) -> bytes:
    """The encoded image bytes to send (PIL images are encoded as PNG).

    Raises:
        TypeError: `image` is none of the accepted kinds.
    """
    if isinstance(image, bytes | bytearray | memoryview):
        return bytes(image)
    if isinstance(image, str | os.PathLike):
        return Path(image).read_bytes()
    if _is_pil_image(image):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()
    if isinstance(image, _Readable):
        data = image.read()
        if isinstance(data, bytes):
            return data
    raise TypeError(
        "image must be a path, bytes, a binary file object or a PIL image, "
        f"not {type(image).__name__}"
    )
