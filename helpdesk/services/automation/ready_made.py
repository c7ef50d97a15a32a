"""The four rules a new shop is offered, off until someone turns them on (Settings › Automation,
or `python main.py rules enable NAME`). Their names are the command line's contract."""

from __future__ import annotations

from typing import Any

READY_MADE: list[dict[str, Any]] = [
    {"name": "round-robin", "title": "Round-robin",
     "trigger": "conversation_created",
     "conditions": {"match": "all", "items": [{"field": "assignee", "op": "is", "value": "nobody"}]},
     "actions": [{"type": "assign", "to": "round_robin", "agents": [], "cap": None}]},
    {"name": "out-of-hours", "title": "Out of hours",
     "trigger": "conversation_created",
     "conditions": {"match": "all", "items": [{"field": "business_hours", "op": "is", "value": "outside"}]},
     "actions": [{"type": "reply", "body": "Hi {{customer.first_name}}, thanks for your message. "
                                           "We're closed right now and back {{hours.next_open}}; "
                                           "we'll answer you then. {{promise.reply_by}}"}]},
    {"name": "auto-acknowledge", "title": "Auto-acknowledge",
     "trigger": "conversation_created",
     "conditions": {"match": "all", "items": []},
     "actions": [{"type": "reply", "body": "Thanks, we've got your message. {{promise.hours}} {{promise.reply_by}}"}]},
    {"name": "follow-up", "title": "Follow-up",
     "trigger": "waited_on_customer", "hours": 72,
     "conditions": {"match": "all", "items": []},
     "actions": [{"type": "reply", "body": "Hi {{customer.first_name}}, just checking in: is there anything "
                                           "else we can help with? Simply reply here; if we don't hear from you, "
                                           "we'll close this conversation in a few days."}]},
]
