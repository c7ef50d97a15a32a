"""A thumbnail of an image sent in a conversation, made in a child process (see
services/images.py for the pool around it). The header is read first and an image over the
pixel budget is refused before a byte of it is decoded; JPEGs decode straight at a reduced
scale; the child's address space is capped, so a decoder that runs away fails alone."""

from __future__ import annotations

import io
import sys

MAX_PIXELS = 40_000_000  # counting bit depth: a 16-bit pixel counts as two
MEMORY_CAP = 1 << 30  # the child's address space (Linux): what one decode may take at most
# PNG colour types (IHDR byte 25) -> channels.
PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


class TooLarge(Exception):
    """Over the pixel budget: refused before decoding."""


def cap_memory() -> None:
    """The pool's initializer: this process may not grow past MEMORY_CAP."""
    if sys.platform.startswith("linux"):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def weighed_pixels(head: bytes, image) -> int:
    """Width × height × bytes per sample (at least 1): what decoding will cost, from the header."""
    width, height = image.size
    depth = 8
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 26:  # IHDR: the real bit depth
        depth = head[24]
    elif image.mode.startswith("I;16"):
        depth = 16
    elif image.mode in ("I", "F"):
        depth = 32
    else:
        bits = getattr(image, "tag_v2", {}).get(258) if hasattr(image, "tag_v2") else None  # TIFF BitsPerSample
        if bits:
            depth = max(bits) if isinstance(bits, tuple) else int(bits)
    return width * height * max(1, depth // 8)


def weigh(path: str) -> int:
    """What decoding the image at `path` would cost, from its header alone (nothing decoded);
    raises TooLarge for what Pillow itself refuses, OSError for what is not an image."""
    import warnings

    from PIL import Image

    # Pillow warns past its own limit when it opens a header; the weight below decides instead.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    with open(path, "rb") as raw:
        head = raw.read(32)
    try:
        with Image.open(path) as image:
            return weighed_pixels(head, image)
    except Image.DecompressionBombError as exc:
        raise TooLarge(str(exc)) from None


def make(path: str, size: int) -> bytes:
    """A JPEG at most size × size of the image at `path`; raises TooLarge or the decoder's error."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own guard too (it only warns below twice this)
    with open(path, "rb") as raw:
        head = raw.read(32)
    try:
        image = Image.open(path)
    except Image.DecompressionBombError as exc:  # Pillow's own guard, at twice the budget
        raise TooLarge(str(exc)) from None
    with image:
        weight = weighed_pixels(head, image)
        if weight > MAX_PIXELS:
            raise TooLarge(f"{image.size[0]} × {image.size[1]} pixels ({weight:,} counting bit depth)")
        image.draft("RGB", (size, size))  # JPEG: decoded at 1/2 to 1/8 scale, never whole
        image.thumbnail((size, size))
        small = ImageOps.exif_transpose(image).convert("RGB")
        out = io.BytesIO()
        small.save(out, "JPEG", quality=82)
        return out.getvalue()
