"""Whether a piece of Flet is the code a replacement in ui/ was written against."""

from __future__ import annotations

import hashlib
import inspect
from typing import Any

from flet.version import flet_version

WRITTEN_FOR = "0.82.2"  # the Flet the digests below were taken from (pyproject.toml pins it)


def is_known(code: Any, digest: str) -> bool:
    """True when `code`'s source hashes to `digest` (the start of its sha256); in a packaged build,
    which keeps no sources, when Flet is the pinned version the digest was taken from."""
    try:
        source = inspect.getsource(code)
    except (OSError, TypeError):
        return flet_version == WRITTEN_FOR
    return hashlib.sha256(source.encode()).hexdigest()[:16] == digest
