"""Texts as phones count them, and the words that opt a customer out of texts.

GSM 03.38's default alphabet takes 7 bits a character (160 in one SMS, 153 a part when
split, the extension table's characters ^{}[]~|\\€ counting twice); one character outside
it sends the whole text as UCS-2 (70, or 67 a part)."""

from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = set("^{}\\[~]|€\f")
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "opt-out"}
START_WORDS = {"start", "unstop", "subscribe"}


@dataclass(frozen=True)
class SmsSize:
    characters: int
    segments: int
    encoding: str  # GSM-7 | UCS-2
    per_segment: int

    def words(self) -> str:
        parts = f"{self.segments} SMS" if self.segments != 1 else "1 SMS"
        note = "" if self.encoding == "GSM-7" else " (special characters: 70 a text)"
        return f"{self.characters} characters · {parts}{note}"


def sms_size(text: str) -> SmsSize:
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)  # UTF-16 code units
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // multi)
    return SmsSize(len(text), max(1, segments) if text else 0, encoding, single if segments <= 1 else multi)


def keyword(text: str) -> str | None:
    """"stop" or "start" when the whole text is one of those words (as carriers read them)."""
    word = text.strip().strip(".!").lower()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return None
