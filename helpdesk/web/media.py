"""What a customer surface shows for a voice note, a video, a shared location or contact."""

from __future__ import annotations

from urllib.parse import urlencode

from helpdesk.services.files import MEDIA_TYPES


def media_kind(content_type: str) -> str:
    """"audio" or "video" for what a page can play, else ""."""
    return content_type.partition("/")[0] if content_type in MEDIA_TYPES else ""


def play_length(duration_ms: int | None) -> str:
    """0:42, 1:05:09 (none when the file did not say)."""
    if not duration_ms:
        return ""
    seconds = max(1, round(duration_ms / 1000))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def map_link(latitude: float, longitude: float) -> str:
    """OpenStreetMap at the point: any phone or browser opens it, no key needed."""
    return "https://www.openstreetmap.org/?" + urlencode({"mlat": f"{latitude:.6f}", "mlon": f"{longitude:.6f}"}) + \
        f"#map=17/{latitude:.6f}/{longitude:.6f}"


def shared_card(meta: dict) -> tuple[str, str]:
    """(words, map link) for a shared location or contact; ("", "") for anything else."""
    if isinstance(meta.get("location"), dict):
        place = meta["location"]
        try:
            lat, lon = float(place["latitude"]), float(place["longitude"])
        except (KeyError, TypeError, ValueError):
            return "", ""
        title = str(place.get("title") or "Shared location")
        return f"📍 {title} ({lat:.5f}, {lon:.5f})", map_link(lat, lon)
    if isinstance(meta.get("contact"), dict):
        person = meta["contact"]
        return f"👤 {person.get('name') or 'Contact'}: {person.get('phone') or ''}".rstrip(": "), ""
    return "", ""
