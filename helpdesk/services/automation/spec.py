"""What a rule may say, and the checks that keep a rule (from the UI, the command line or an
imported file) to it. The names here are the documented export format (docs/automation.md):
a rule written by one shop's Helpdesk imports into another's.

    {"name": "out-of-hours", "title": "Out of hours", "enabled": false,
     "trigger": "conversation_created", "hours": null,
     "conditions": {"match": "all", "items": [{"field": "business_hours", "op": "is", "value": "outside"}]},
     "actions": [{"type": "reply", "body": "Thanks …"}]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from helpdesk.models import PRIORITIES, STATUSES
from helpdesk.services.conversations.choices import check_choices
from helpdesk.services.errors import ValidationFailed

# When a rule runs. The waited ones need `hours`; they run from the scheduler, catching up after
# the PC was off; the rest run right after what happened is committed.
TRIGGERS = {
    "conversation_created": "a conversation is created",
    "customer_message": "a customer message arrives",
    "agent_replied": "an agent replies",
    "payment_paid": "a payment arrives",
    "status_changed": "the status changes",
    "sla_at_risk": "a response target is at risk",
    "sla_breached": "a response target is missed",
    "waited_on_customer": "it has waited N hours on the customer",
    "waited_on_team": "it has waited N hours on the team",
}
TIMED = ("waited_on_customer", "waited_on_team", "sla_at_risk")
WAITED = ("waited_on_customer", "waited_on_team")

# field -> (the operators it takes, the values it takes: None for free text)
CONDITIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "channel": (("is", "is_not"), None),
    "mailbox": (("is", "is_not"), None),
    "text": (("contains", "not_contains", "matches"), None),
    "subject": (("contains", "not_contains", "matches"), None),
    "customer_domain": (("is", "is_not"), None),
    "customer_tag": (("has", "has_not"), None),
    "priority": (("is", "is_not"), PRIORITIES),
    "tag": (("has", "has_not"), None),
    "assignee": (("is", "is_not"), None),  # an agent's email, or "nobody"
    "team": (("is", "is_not"), None),  # a team's name, or "none"
    "status": (("is", "is_not"), STATUSES),
    "business_hours": (("is",), ("inside", "outside")),
    "message": (("is",), ("first", "follow_up")),
    "choice": (("is", "is_not"), None),  # the answer a customer tapped or typed ("Talk to a person")
}
CONDITION_LABELS = {"channel": "Channel", "mailbox": "Mailbox", "text": "Message text", "subject": "Subject",
                    "customer_domain": "Customer's email domain", "customer_tag": "Customer tag", "priority": "Priority",
                    "tag": "Tag", "assignee": "Assignee", "team": "Team", "status": "Status", "business_hours": "Business hours",
                    "message": "Message", "choice": "Customer's choice"}
OP_LABELS = {"is": "is", "is_not": "is not", "contains": "contains", "not_contains": "does not contain",
             "matches": "matches", "has": "has", "has_not": "has not"}

ACTIONS = {
    # to: round_robin | least_busy | an agent's email; agents: [emails] ([] = everyone); cap; team: a team's
    # name (moved to its queue first, and chosen among its members)
    "assign": "assign",
    "priority": "set priority",  # value
    "add_tags": "add tags",  # tags
    "remove_tags": "remove tags",  # tags
    "reply": "send an automatic reply",  # canned (a canned reply's title) or body, with variables; choices
    "reply_article": "reply with a help article",  # article (a published one's title; none: the best match for
    # the customer's words); body (words before the link, with variables; optional)
    "note": "add a note",  # body, with variables
    "snooze": "snooze",  # hours, or until: next_opening
    "resolve": "resolve",
    "webhook": "send a webhook",  # to webhooks subscribed to rule.fired
    "notify": "notify agents",  # body
}
ASSIGN_MODES = ("round_robin", "least_busy")
MAX_RULES = 200
MAX_ITEMS = 20
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass
class RuleSpec:
    """A checked rule, as stored and exported."""

    name: str
    title: str
    trigger: str
    hours: float | None = None
    match: str = "all"
    conditions: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    enabled: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "enabled": self.enabled, "trigger": self.trigger,
                "hours": self.hours, "conditions": {"match": self.match, "items": self.conditions},
                "actions": self.actions}


def slug(title: str) -> str:
    """The command line's name for a rule titled `title`: 'Out of hours' -> 'out-of-hours'."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", title.lower())).strip("-")[:64] or "rule"


def check_rule(data: Any, where: str = "") -> RuleSpec:
    """A rule from its JSON form, or ValidationFailed naming each problem (prefixed by `where`,
    e.g. 'rules[2].' for an import)."""
    problems: dict[str, str] = {}
    if not isinstance(data, dict):
        raise ValidationFailed("the rule was not saved", {where.rstrip(".") or "rule": "must be an object"})

    def bad(name: str, why: str) -> None:
        problems[f"{where}{name}"] = why

    title = " ".join(str(data.get("title") or "").split())
    if not 0 < len(title) <= 100:
        bad("title", "must be 1 to 100 characters")
    name = str(data.get("name") or slug(title)).strip().lower()
    if not _NAME.match(name):
        bad("name", "must be lower-case letters, digits and dashes, like out-of-hours")
    trigger = data.get("trigger")
    if trigger not in TRIGGERS:
        bad("trigger", "must be one of " + ", ".join(TRIGGERS))
    hours = data.get("hours")
    if trigger in WAITED:
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= 24 * 365:
            bad("hours", "must be a number of hours from 0.1 to 8760")
        else:
            hours = round(float(hours), 2)
            if hours < 0.1:
                bad("hours", "must be a number of hours from 0.1 to 8760")
    else:
        hours = None
    raw_conditions = data.get("conditions") or {}
    if isinstance(raw_conditions, list):  # a bare list means "all of these"
        raw_conditions = {"match": "all", "items": raw_conditions}
    match = raw_conditions.get("match", "all") if isinstance(raw_conditions, dict) else "all"
    if match not in ("all", "any"):
        bad("conditions.match", "must be all or any")
    items = raw_conditions.get("items", []) if isinstance(raw_conditions, dict) else None
    conditions = []
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        bad("conditions.items", f"must be a list of at most {MAX_ITEMS} conditions")
        items = []
    for i, item in enumerate(items):
        clean = _check_condition(item, f"conditions.items[{i}]", bad)
        if clean:
            conditions.append(clean)
    actions_in = data.get("actions")
    actions = []
    if not isinstance(actions_in, list) or not 0 < len(actions_in) <= MAX_ITEMS:
        bad("actions", f"must be a list of 1 to {MAX_ITEMS} actions")
        actions_in = []
    for i, item in enumerate(actions_in):
        clean = _check_action(item, f"actions[{i}]", bad)
        if clean:
            actions.append(clean)
    enabled = data.get("enabled", False)
    if not isinstance(enabled, bool):
        bad("enabled", "must be true or false")
    if problems:
        raise ValidationFailed("the rule was not saved", problems)
    return RuleSpec(name, title, str(trigger), hours, match, conditions, actions, enabled)


def _check_condition(item: Any, at: str, bad: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        bad(at, "must be an object with field, op and value")
        return None
    name, op, value = item.get("field"), item.get("op"), item.get("value")
    if name not in CONDITIONS:
        bad(f"{at}.field", "must be one of " + ", ".join(CONDITIONS))
        return None
    ops, values = CONDITIONS[name]
    if op not in ops:
        bad(f"{at}.op", f"{name} takes " + " or ".join(ops))
        return None
    value = " ".join(str(value if value is not None else "").split())
    if not 0 < len(value) <= 200:
        bad(f"{at}.value", "must be 1 to 200 characters")
        return None
    if values is not None and value not in values:
        bad(f"{at}.value", "must be one of " + ", ".join(values))
        return None
    if op == "matches":
        try:
            re.compile(value)
        except re.error as exc:
            bad(f"{at}.value", f"is not a regular expression: {exc}")
            return None
    elif name in ("channel", "mailbox", "customer_domain", "customer_tag", "tag", "assignee", "team"):
        value = " ".join(value.split()).lower() if name == "team" else value.lower()
    if name == "assignee" and value != "nobody" and not _EMAIL.match(value):
        bad(f"{at}.value", "must be an agent's email or nobody")
        return None
    return {"field": name, "op": op, "value": value}


def _check_action(item: Any, at: str, bad: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict) or item.get("type") not in ACTIONS:
        bad(f"{at}.type", "must be one of " + ", ".join(ACTIONS))
        return None
    kind = item["type"]
    if kind == "assign":
        to = str(item.get("to") or "").strip().lower()
        agents = item.get("agents") or []
        cap = item.get("cap")
        if to not in ASSIGN_MODES and not _EMAIL.match(to):
            bad(f"{at}.to", "must be round_robin, least_busy or an agent's email")
        if not isinstance(agents, list) or not all(isinstance(a, str) and _EMAIL.match(a.strip()) for a in agents):
            bad(f"{at}.agents", "must be a list of agents' emails (empty: every agent)")
            agents = []
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or not 0 < cap <= 10_000):
            bad(f"{at}.cap", "must be a number of open conversations from 1 to 10000, or null")
        team = item.get("team")
        if team is not None and (not isinstance(team, str) or not 0 < len(" ".join(team.split())) <= 60):
            bad(f"{at}.team", "must be a team's name, or null")
            team = None
        return {"type": kind, "to": to, "agents": sorted({a.strip().lower() for a in agents}), "cap": cap,
                **({"team": " ".join(team.split())} if team else {})}
    if kind == "priority":
        if item.get("value") not in PRIORITIES:
            bad(f"{at}.value", "must be urgent, high, normal or low")
        return {"type": kind, "value": item.get("value")}
    if kind in ("add_tags", "remove_tags"):
        from helpdesk.services.conversations.triage import clean_tags

        tags = item.get("tags")
        if isinstance(tags, str):
            tags = [t for t in tags.split(",")]
        try:
            tags = clean_tags(tags) if isinstance(tags, list) and all(isinstance(t, str) for t in tags) else None
        except ValidationFailed:
            tags = None
        if not tags:
            bad(f"{at}.tags", "must name at least one tag (letters, digits, spaces or - / . &)")
        return {"type": kind, "tags": tags or []}
    if kind in ("reply", "note", "notify"):
        body = str(item.get("body") or "").strip()
        canned = " ".join(str(item.get("canned") or "").split())
        offered: dict[str, Any] = {}
        if kind == "reply" and item.get("choices"):  # answers the customer can tap, as an agent's reply has
            problems: dict[str, str] = {}
            offered = {"choices": check_choices(problems, item["choices"])}
            for problem in problems.values():
                bad(f"{at}.choices", problem)
        if kind == "reply" and canned:
            return {"type": kind, "canned": canned[:100], **offered}
        if not 0 < len(body) <= 5000:
            bad(f"{at}.body", "must be 1 to 5000 characters" + (" (or name a canned reply)" if kind == "reply" else ""))
        return {"type": kind, "body": body, **offered}
    if kind == "reply_article":
        article = " ".join(str(item.get("article") or "").split())
        body = str(item.get("body") or "").strip()
        if len(article) > 200:
            bad(f"{at}.article", "must be an article's title (at most 200 characters), or empty for the best match")
        if len(body) > 5000:
            bad(f"{at}.body", "must be at most 5000 characters")
        return {"type": kind, **({"article": article} if article else {}), **({"body": body} if body else {})}
    if kind == "snooze":
        until, hours = item.get("until"), item.get("hours")
        if until == "next_opening":
            return {"type": kind, "until": until}
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= 24 * 365:
            bad(f"{at}.hours", "must be a number of hours up to 8760, or until next_opening")
        return {"type": kind, "hours": hours}
    return {"type": kind}


def describe(spec: RuleSpec) -> str:
    """One line for people: 'When a conversation is created, if business hours is outside: send an automatic reply'."""
    when = TRIGGERS[spec.trigger].replace("N hours", f"{spec.hours:g} hours" if spec.hours else "N hours")
    ifs = (" and " if spec.match == "all" else " or ").join(
        f"{CONDITION_LABELS[c['field']].lower()} {OP_LABELS[c['op']]} {c['value']}" for c in spec.conditions)
    thens = ", ".join(_action_words(a) for a in spec.actions)
    return f"When {when}" + (f", if {ifs}" if ifs else "") + f": {thens}"


def _action_words(action: dict[str, Any]) -> str:
    kind = action["type"]
    if kind == "assign":
        to = {"round_robin": "round-robin", "least_busy": "the least busy agent"}.get(action["to"], action["to"])
        within = f"move to {action['team']} and " if action.get("team") else ""
        return f"{within}assign to {to}" + (" in it" if within and action["to"] in ASSIGN_MODES else "") + \
            (f" (at most {action['cap']} open each)" if action.get("cap") else "")
    if kind == "priority":
        return f"set priority {action['value']}"
    if kind in ("add_tags", "remove_tags"):
        return f"{ACTIONS[kind]} {', '.join(action['tags'])}"
    if kind == "reply" and action.get("canned"):
        return f"reply with '{action['canned']}'"
    if kind == "reply_article":
        return f"reply with the help article '{action['article']}'" if action.get("article") else \
            "reply with the help article that best answers the customer"
    if kind == "snooze":
        return "snooze until the next opening" if action.get("until") else f"snooze {action['hours']:g} hours"
    return ACTIONS[kind]
