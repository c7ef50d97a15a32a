"""Words for times and durations, as a person reads them in the inbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from helpdesk.services.errors import ServiceError
from helpdesk.services.sla import DUE_LABELS


def duration(delta: timedelta, to_the_minute: bool = False) -> str:
    """'45 s', '12 min', '2 h', '2 h 5 min', '3 d'. to_the_minute: '<1 min' for under a minute,
    for a live text (redrawn every half minute, and with every refresh of its list: counting
    seconds there showed a stale number, and changed every such row on every refresh)."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return "<1 min" if to_the_minute else f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h" + (f" {minutes} min" if minutes and hours < 3 else "")
    days, hours = divmod(hours, 24)
    return f"{days} d" + (f" {hours} h" if hours and days < 3 else "")


def waiting(since: datetime | None, now: datetime) -> str:
    return f"waiting {duration(now - since, to_the_minute=True)}" if since else ""


def ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return ""
    delta = now - when
    return "just now" if delta < timedelta(minutes=1) else f"{duration(delta)} ago"


def day(when: datetime) -> str:
    """'4 Dec 2026' (without strftime's %-d, which Windows lacks)."""
    return f"{when.day} {when:%b %Y}"


def stamp(when: datetime, now: datetime, tz=None) -> str:
    """'14:05' today, 'Mon 14:05' this week, '3 Mar 14:05' otherwise (local time)."""
    local = when.astimezone(tz)
    local_now = now.astimezone(tz)
    if local.date() == local_now.date():
        return local.strftime("%H:%M")
    if (local_now - local) < timedelta(days=6):
        return local.strftime("%a %H:%M")
    # No %-d: Windows' strftime has none (it raises).
    return f"{local.day} {local:%b %Y %H:%M}" if local.year != local_now.year else f"{local.day} {local:%b %H:%M}"


def due(target: str, due_at: datetime, now: datetime) -> str:
    """'First reply due in 20 min', 'Reply overdue by 1 h 5 min'."""
    label = DUE_LABELS.get(target, target)
    if due_at <= now:
        return f"{label} overdue by {duration(now - due_at, to_the_minute=True)}"
    return f"{label} due in {duration(due_at - now, to_the_minute=True)}"


def explain(exc: ServiceError) -> str:
    """A service's refusal in one sentence for a person."""
    details = "; ".join(f"{k.split('.')[-1]} {v}" for k, v in exc.fields.items())
    text = f"{exc.message}{': ' + details if details else ''}"
    return text[:1].upper() + text[1:]
