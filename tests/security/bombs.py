"""Decompression bombs, made here: small files that claim (and, for PNG, really hold) images
of tens or hundreds of millions of pixels, in each format Helpdesk previews."""

from __future__ import annotations

import io
import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, depth: int = 16, colour: int = 2) -> bytes:
    """A real, decodable PNG of width × height (all black): megabytes on disk, gigabytes decoded."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    row = b"\x00" + bytes(width * channels * depth // 8)
    packer = zlib.compressobj(9)
    rows = [packer.compress(row) for _ in range(height)]
    idat = b"".join(rows) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0))
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


def gif(width: int = 65535, height: int = 65535) -> bytes:
    """A GIF whose screen and one image claim 65535 × 65535 pixels."""
    image = Image_bytes("GIF", 8, 8)
    return image[:6] + struct.pack("<HH", width, height) + image[10:].replace(
        struct.pack("<HHHH", 0, 0, 8, 8), struct.pack("<HHHH", 0, 0, width, height), 1)


def jpeg(width: int = 60000, height: int = 60000) -> bytes:
    """A JPEG whose frame header (SOF0) claims width × height."""
    data = bytearray(Image_bytes("JPEG", 8, 8))
    at = data.index(b"\xff\xc0")
    data[at + 5:at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp(width: int = 16384, height: int = 16384) -> bytes:
    """A lossless WebP (VP8L) whose header claims width × height (at most 16384 each)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "WEBP", lossless=True)
    data = bytearray(out.getvalue())
    at = data.index(b"VP8L") + 8
    assert data[at] == 0x2F  # the VP8L signature; then 14 bits width-1, 14 bits height-1, alpha, version
    bits = int.from_bytes(data[at + 1:at + 5], "little")
    bits = (bits & ~((1 << 28) - 1)) | (width - 1) | ((height - 1) << 14)
    data[at + 1:at + 5] = bits.to_bytes(4, "little")
    return bytes(data)


def tiff(width: int = 100000, height: int = 100000) -> bytes:
    """A TIFF whose tags claim width × height (16 bits a sample)."""
    data = Image_bytes("TIFF", 8, 8, mode="I;16")
    return data.replace(struct.pack("<HHII", 256, 4, 1, 8), struct.pack("<HHII", 256, 4, 1, width), 1) \
        .replace(struct.pack("<HHII", 257, 4, 1, 8), struct.pack("<HHII", 257, 4, 1, height), 1)


def Image_bytes(kind: str, width: int, height: int, mode: str = "RGB") -> bytes:  # noqa: N802
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, kind)
    return out.getvalue()
