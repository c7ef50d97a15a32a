"""What a language model is told: who it writes for, the conversation (public messages; notes only
when the owner allows), the similar solved conversations with the replies that solved them, the
best canned replies, and what to write. Masked when the owner says so."""

from __future__ import annotations

from typing import Any

from helpdesk.services.assist.privacy import mask

MAX_THREAD = 12_000  # characters of the conversation the model sees (the newest, when longer)


def transcript(messages: list[Any], author: Any, notes: bool) -> str:
    lines = []
    for m in messages:
        if m.kind == "event" or (m.kind == "note" and not notes):
            continue
        who = "Customer" if m.direction == "in" else ("Internal note" if m.kind == "note" else f"Team ({author(m)})")
        lines.append(f"{who}: {m.body.strip()}")
    text = "\n\n".join(lines)
    return text[-MAX_THREAD:]


def draft_messages(team: str, thread: str, solved: list[Any], canned: list[Any], masked: bool) -> list[dict[str, Any]]:
    examples = "\n\n".join(f"Past question: {s.question[:600]}\nThe reply that solved it: {s.reply[:1200]}"
                           for s in solved if s.reply) or "(none found)"
    ready = "\n\n".join(f"{c.title}: {c.body[:800]}" for c in canned) or "(none)"
    system = (f"You write replies for the support team of {team}. Write the team's next reply to the customer: "
              "friendly, short, plain text, in the language the customer wrote in. Use the past replies and the "
              "ready answers when they fit; never invent order numbers, dates, prices or promises that are not "
              "in the conversation. Write only the reply, no subject line and no notes to the team.")
    user = (f"The conversation so far:\n\n{thread}\n\n---\nSimilar conversations the team solved before:\n\n"
            f"{examples}\n\n---\nReady answers the team uses:\n\n{ready}")
    return _masked([{"role": "system", "content": system}, {"role": "user", "content": user}], masked)


def summary_messages(team: str, thread: str, masked: bool, handover: str = "") -> list[dict[str, Any]]:
    purpose = (f"It is being handed to another colleague ({handover}): write what they need so that neither "
               "they nor the customer repeat anything" if handover else "Write a summary for a colleague")
    system = (f"You help the support team of {team}. {purpose}: who the customer is, what they want, what has "
              "been said and promised, what is still open. Five short lines at most, plain text, in English "
              "unless the whole conversation is in another language.")
    return _masked([{"role": "system", "content": system},
                    {"role": "user", "content": f"The conversation:\n\n{thread}"}], masked)


def _masked(messages: list[dict[str, Any]], masked: bool) -> list[dict[str, Any]]:
    return [{**m, "content": mask(m["content"])} for m in messages] if masked else messages


def size(messages: list[dict[str, Any]]) -> int:
    return sum(len(m["content"]) for m in messages)
