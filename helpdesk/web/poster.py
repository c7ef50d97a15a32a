"""The counter posters: scan-to-chat (a QR code of the /chat address) and scan-for-answers (of
/help), with the team's name and the address written out, as a PNG to print (A4 at 150 dpi). No font files needed: Pillow's
own scalable default font."""

from __future__ import annotations

import io
import textwrap

import segno
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1240, 1754


def poster_png(url: str, team: str, offline: bool = True, help_center: bool = False) -> bytes:
    page = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(page)

    def centred(text: str, y: int, size: int, fill: str = "#1d2330") -> int:
        font = ImageFont.load_default(size=size)
        for line in textwrap.wrap(text, width=max(10, int(WIDTH / (size * 0.55)))):
            box = draw.textbbox((0, 0), line, font=font)
            draw.text(((WIDTH - (box[2] - box[0])) / 2, y), line, font=font, fill=fill)
            y += int(size * 1.3)
        return y

    y = centred((f"Answers from {team}" if help_center else f"Chat with {team}")[:80], 130, 84)
    if help_center:
        reach = " On our Wi-Fi it works even without mobile data." if offline else ""
        words = f"Scan with your phone's camera: answers to what customers ask us most, and a way to write to us.{reach}"
    else:
        reach = "On our Wi-Fi it works even without mobile data; " if offline else ""
        words = f"Scan with your phone's camera and write to us. {reach}We answer here, and you can come back to it later."
    y = centred(words, y + 30, 36, "#4f5869")
    qr = io.BytesIO()
    segno.make(url, error="m").save(qr, kind="png", scale=22, border=2)
    code = Image.open(io.BytesIO(qr.getvalue())).convert("RGB")
    side = min(code.width, WIDTH - 200)
    code = code.resize((side, side), Image.NEAREST)
    page.paste(code, ((WIDTH - side) // 2, y + 40))
    centred(url, y + 80 + side, 30, "#2457c5")
    out = io.BytesIO()
    page.save(out, "PNG", optimize=True)
    return out.getvalue()
