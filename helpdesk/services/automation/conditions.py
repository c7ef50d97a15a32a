"""Whether a rule's conditions hold for one event's facts: all of them, or any."""

from __future__ import annotations

import re
from typing import Any, Callable

from helpdesk.services.automation.facts import Facts

MAX_TEXT = 20_000  # a regular expression never runs over more of a message than this


def holds(conditions: dict[str, Any], facts: Facts) -> bool:
    items = conditions.get("items") or []
    if not items:
        return True
    results = (_one(c, facts) for c in items)
    return all(results) if conditions.get("match", "all") == "all" else any(results)


def _one(c: dict[str, Any], facts: Facts) -> bool:
    field, op, value = c["field"], c["op"], c["value"]
    state = facts.state
    if field == "text":
        return _text(op, value, facts.text)
    if field == "subject":
        return _text(op, value, state.subject or "")
    if field == "business_hours":
        return bool(facts.inside_hours == (value == "inside"))
    if field == "message":
        return bool(facts.first == (value == "first"))
    if field in ("tag", "customer_tag"):
        present = value in (facts.tags if field == "tag" else facts.customer_tags)
        return present if op == "has" else not present
    if field == "customer_domain":
        same = value in facts.customer_domains
    elif field == "assignee":
        same = state.assignee_id is None if value == "nobody" else facts.assignee_email == value
    elif field == "team":
        same = state.team_id is None if value == "none" else facts.team_name == value
    else:
        readings: dict[str, Callable[[], Any]] = {
            "channel": lambda: facts.channel, "mailbox": lambda: facts.mailbox, "choice": lambda: facts.choice,
            "priority": lambda: state.priority, "status": lambda: state.status}
        actual = readings[field]()
        same = (actual or "").lower() == value.lower()
    return same if op == "is" else not same


def _text(op: str, value: str, text: str) -> bool:
    text = text[:MAX_TEXT]
    if op == "matches":
        return re.search(value, text, re.IGNORECASE) is not None
    found = value.casefold() in text.casefold()
    return found if op == "contains" else not found
