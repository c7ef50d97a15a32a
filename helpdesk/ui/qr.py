"""QR codes as PNG bytes for ft.Image (segno): an address to open, an authenticator's secret."""

from __future__ import annotations

import io

import segno


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()
