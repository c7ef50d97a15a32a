"""Makes the small media files the tests play (tests/media): a 3.2-second voice note as
Telegram and WhatsApp send them (Opus in Ogg, mono, 48 kHz) and a 1.5-second MP4 video (H.264,
as phones record). Run once by hand with PyAV (`pip install av==18.1.0`), which carries FFmpeg with
libopus and libx264; the tests use the files and need no encoder. The tone and size are chosen
so the files stay a few kilobytes."""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy

OUT = Path(__file__).resolve().parent.parent / "tests" / "media"
RATE = 48000


def tone(seconds: float, hertz: float = 440.0) -> numpy.ndarray:
    t = numpy.arange(int(seconds * RATE)) / RATE
    return (0.3 * numpy.sin(2 * math.pi * hertz * t)).astype(numpy.float32)


def add_audio(container, samples: numpy.ndarray) -> None:  # type: ignore[no-untyped-def]
    stream = container.add_stream("libopus", rate=RATE, layout="mono")
    stream.bit_rate = 12000
    for start in range(0, len(samples), 960):
        chunk = samples[start:start + 960]
        if len(chunk) < 960:
            chunk = numpy.pad(chunk, (0, 960 - len(chunk)))
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def voice() -> None:
    with av.open(str(OUT / "voice.ogg"), "w", format="ogg") as container:
        add_audio(container, tone(3.2))


def video() -> None:
    with av.open(str(OUT / "clip.mp4"), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt, stream.bit_rate = 64, 48, "yuv420p", 50000
        for i in range(15):
            image = numpy.full((48, 64, 3), (i * 16) % 255, dtype=numpy.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    voice()
    video()
    sys.exit(0)
