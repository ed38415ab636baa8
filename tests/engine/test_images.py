"""Image decoding: every bad input gets its typed error; orientation and modes are normalized."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from e4t_server.engine.errors import ImageTooLargeError, InvalidImageError
from e4t_server.engine.images import load_image, to_tensor


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width``×``height`` with a valid CRC and no real pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = b"IDAT" + zlib.compress(b"\x00" * 16)
    body += struct.pack(">I", len(idat) - 4) + idat + struct.pack(">I", zlib.crc32(idat))
    return b"\x89PNG\r\n\x1a\n" + body


def test_empty_bytes() -> None:
    with pytest.raises(InvalidImageError, match="empty"):
        load_image(b"")


def test_undecodable_bytes() -> None:
    with pytest.raises(InvalidImageError):
        load_image(b"definitely not an image" * 10)


def test_truncated_image() -> None:
    data = encode(Image.new("RGB", (64, 64), "red"), "JPEG")
    with pytest.raises(InvalidImageError):
        load_image(data[: len(data) // 3])


def test_over_byte_limit() -> None:
    data = encode(Image.new("RGB", (16, 16), "red"))
    with pytest.raises(ImageTooLargeError, match="byte"):
        load_image(data, max_bytes=len(data) - 1)
    assert load_image(data, max_bytes=len(data)).size == (16, 16)


@pytest.mark.parametrize(
    "side",
    [
        9_000,  # under PIL's own bomb limit: caught by the engine's header check
        100_000,  # far over PIL's limit: PIL's guard fires first, mapped to the same error
    ],
)
def test_pixel_cap_judged_from_header(side: int) -> None:
    with pytest.raises(ImageTooLargeError, match="pixel"):
        load_image(png_header_claiming(side, side))


def test_real_image_over_small_pixel_cap() -> None:
    data = encode(Image.new("RGB", (40, 30), "blue"))
    with pytest.raises(ImageTooLargeError):
        load_image(data, max_pixels=40 * 30 - 1)
    assert load_image(data, max_pixels=40 * 30).size == (40, 30)


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (40, 20), "white")
    image.paste((255, 0, 0), (0, 0, 10, 20))  # red stripe on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    loaded = load_image(encode(image, "JPEG", exif=exif.tobytes(), quality=95))
    assert loaded.size == (20, 40)
    top_row = np.asarray(loaded)[2]
    assert top_row[15, 0] > 200 and top_row[15, 1] < 60  # the stripe is now at the top


def test_rgba_is_composited_on_white() -> None:
    image = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    image.putpixel((0, 0), (255, 0, 0, 255))
    loaded = load_image(encode(image))
    assert loaded.mode == "RGB"
    assert loaded.getpixel((5, 5)) == (255, 255, 255)
    assert loaded.getpixel((0, 0)) == (255, 0, 0)


@pytest.mark.parametrize("mode", ["L", "P", "1", "CMYK"])
def test_other_modes_become_rgb(mode: str) -> None:
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    loaded = load_image(encode(Image.new("RGB", (8, 6), (90, 90, 90)).convert(mode), fmt))
    assert loaded.mode == "RGB" and loaded.size == (8, 6)


def test_to_tensor_crops_resizes_and_scales() -> None:
    image = Image.new("RGB", (60, 30), (255, 255, 255))
    image.paste((0, 0, 0), (0, 0, 15, 30))  # black band cropped away by the centre crop
    tensor = to_tensor(image, 16)
    assert tensor.shape == (3, 16, 16)
    assert float(tensor.min()) == pytest.approx(1.0) and float(tensor.max()) == pytest.approx(1.0)
    assert float(to_tensor(Image.new("RGB", (4, 4)), 4).min()) == -1.0
