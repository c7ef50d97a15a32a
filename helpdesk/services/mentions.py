"""Mentions: "@Tom, can you check the brake pads?" in an internal note asks Tom without moving
the conversation to him. A note names agents by their name ("@Tom Mechanic", or "@Tom" when
only one agent is called so), their email, or a team ("@Workshop": each member). The mention
waits, counted in the agent's Mentions view, until they open the conversation or write in it;
webhooks and the events API hear of it as `note.mention`. An agent who is away when named (set
away, or outside their hours) and has asked for it gets it by mail too, unless they read it in
Helpdesk before the mail leaves."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Connection

from helpdesk import events
from helpdesk.db import Transaction
from helpdesk.models.tables import (AGENTS, CONVERSATIONS, CUSTOMERS, MENTIONS, MESSAGES, TEAM_MEMBERS as MEMBERS,
                                    TEAMS)
from helpdesk.services.automation.assign import is_available
from helpdesk.services.base import Actor, Service, writes
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.deliveries import retry_after
from helpdesk.services.outbox import enqueue

NOTE_MENTION = "note.mention"  # the outbox event (webhooks, /api/v1/events)
# A mention's mail: owed, sent, given up on, or not needed (read in Helpdesk first).
MAIL_DUE, MAIL_SENT, MAIL_FAILED, MAIL_DROPPED = "due", "sent", "failed", "dropped"
MAIL_GIVE_UP_AFTER = 50  # tries, ≈ 12 hours at the 15-minute cap
_AT = re.compile(r"(?<![\w@.])@")  # an @ that starts a word (not the one inside an email address)


@dataclass(frozen=True)
class Named:
    """Who a note names: agents by id, and for each, the team they were named through (or None)."""

    agents: dict[int, int | None]
    teams: list[str]
    people: list[str]  # the agents' names, as the thread and the payload say them


@dataclass(frozen=True)
class MentionView:
    id: int
    conversation_id: int
    message_id: int
    by: str  # who wrote the note
    body: str
    customer: str
    subject: str
    created_at: datetime
    read: bool


def _candidates(conn: Connection) -> list[tuple[str, str, int]]:
    """(what may follow the @, lower case; "agent" or "team"; id), longest first."""
    agents = conn.execute(select(AGENTS.c.id, AGENTS.c.name, AGENTS.c.email).where(AGENTS.c.active.is_(True))).all()
    firsts: dict[str, list[int]] = {}
    for a in agents:
        firsts.setdefault(a.name.split(" ")[0].lower(), []).append(a.id)
    found = [(a.name.lower(), "agent", a.id) for a in agents] + [(a.email.lower(), "agent", a.id) for a in agents]
    found += [(first, "agent", ids[0]) for first, ids in firsts.items() if len(ids) == 1]  # only when unambiguous
    found += [(t.name.lower(), "team", t.id) for t in conn.execute(select(TEAMS.c.id, TEAMS.c.name))]
    return sorted(found, key=lambda c: -len(c[0]))


def named_in(conn: Connection, body: str) -> Named:
    """The agents and teams an @ in `body` names (a team: each of its active members)."""
    text = body.lower()
    candidates = _candidates(conn)
    agents: dict[int, int | None] = {}
    teams: list[tuple[int, str]] = []
    for at in _AT.finditer(text):
        rest = text[at.end():]
        for words, kind, ident in candidates:
            if rest.startswith(words) and not rest[len(words):len(words) + 1].isalnum():
                if kind == "agent":
                    agents[ident] = None
                else:
                    teams.append((ident, words))
                break
    names = dict(conn.execute(select(TEAMS.c.id, TEAMS.c.name)).all())
    for team_id, _ in teams:
        for agent_id in conn.execute(select(MEMBERS.c.agent_id).join(AGENTS, AGENTS.c.id == MEMBERS.c.agent_id)
                                     .where(MEMBERS.c.team_id == team_id, AGENTS.c.active.is_(True))).scalars():
            agents.setdefault(agent_id, team_id)
    people: dict[int, str] = {r.id: r.name for r in conn.execute(
        select(AGENTS.c.id, AGENTS.c.name).where(AGENTS.c.id.in_(list(agents))))} if agents else {}
    return Named(agents, [names[t] for t, _ in teams], [people[a] for a in agents if a in people])


def record(tx: Transaction, conn: Connection, state: Any, message_id: int, body: str, actor: Actor, now: datetime,
           payload: dict[str, Any], hours: BusinessCalendar) -> Named:
    """Inside a note's write: a mention for each agent the note names (not its writer), one
    event for every open session, one `note.mention` for webhooks and the events API; its mail
    owed to each who is away and wants it (`hours`: the shop's, for agents who keep those)."""
    named = named_in(conn, body)
    wanted = {a: t for a, t in named.agents.items() if a != actor.agent_id}
    if not wanted:
        return named
    by_mail = {a.id for a in conn.execute(select(AGENTS).where(AGENTS.c.id.in_(list(wanted)),
                                                               AGENTS.c.mention_mail.is_(True)))
               if not is_available(a, now, hours)}
    conn.execute(insert(MENTIONS), [{"message_id": message_id, "agent_id": agent_id, "team_id": team_id,
                                     "by_agent_id": actor.agent_id, "created_at": now,
                                     "mail_state": MAIL_DUE if agent_id in by_mail else None}
                                    for agent_id, team_id in wanted.items()])
    emails = dict(conn.execute(select(AGENTS.c.id, AGENTS.c.email).where(AGENTS.c.id.in_(list(wanted)))).all())
    enqueue(conn, NOTE_MENTION, state.id, {**payload, "mentioned": [emails[a] for a in wanted if a in emails],
                                            "teams": named.teams}, now)
    tx.emit(events.OUTBOX_ENQUEUED, state.id)
    tx.emit(events.MENTION_CREATED, state.id, agent_ids=sorted(wanted), message_id=message_id, by=actor.name)
    return named


def read_in(tx: Transaction, conn: Connection, agent_id: int, conversation_id: int, now: datetime) -> None:
    """Inside a write: the agent has opened the conversation or written in it."""
    done = conn.execute(update(MENTIONS).where(
        MENTIONS.c.agent_id == agent_id, MENTIONS.c.read_at.is_(None),
        MENTIONS.c.message_id.in_(select(MESSAGES.c.id).where(MESSAGES.c.conversation_id == conversation_id))
    ).values(read_at=now)).rowcount
    if done:
        tx.emit(events.MENTIONS_READ, conversation_id, agent_id=agent_id)


class MentionService(Service):
    # ---- mail to agents who are away ---------------------------------------------------------

    def mail_due(self, limit: int = 20) -> list[int]:
        """Mentions whose mail should leave now (oldest first); those read in Helpdesk meanwhile
        are dropped: the agent has seen it."""
        now = self.now()
        self._drop_read()
        with self.db.read() as s:
            return list(s.execute(select(MENTIONS.c.id).where(
                MENTIONS.c.mail_state == MAIL_DUE, MENTIONS.c.read_at.is_(None),
                or_(MENTIONS.c.mail_next_at.is_(None), MENTIONS.c.mail_next_at <= now))
                .order_by(MENTIONS.c.id).limit(limit)).scalars())

    @writes
    def _drop_read(self) -> None:
        with self.db.write() as tx:
            tx.session.connection().execute(update(MENTIONS).where(
                MENTIONS.c.mail_state == MAIL_DUE, MENTIONS.c.read_at.is_not(None)).values(mail_state=MAIL_DROPPED))

    @writes
    def mail_done(self, mention_id: int, error: str = "", retry: bool = False) -> str:
        """After a try: sent (no error), tried again later with backoff, or failed for good.
        Answers the mention's mail state now."""
        with self.db.write() as tx:
            conn = tx.session.connection()
            values: dict[str, Any]
            tries = int(conn.execute(select(MENTIONS.c.mail_tries).where(MENTIONS.c.id == mention_id)).scalar() or 0)
            if not error:
                state, values = MAIL_SENT, {"mail_error": None}
            elif retry and tries + 1 < MAIL_GIVE_UP_AFTER:
                state, values = MAIL_DUE, {"mail_next_at": self.now() + retry_after(tries + 1)}
            else:
                state, values = MAIL_FAILED, {}
            conn.execute(update(MENTIONS).where(MENTIONS.c.id == mention_id).values(
                mail_state=state, mail_tries=tries + 1, **values, **({"mail_error": error[:300]} if error else {})))
        return state


    def unread_count(self, agent_id: int) -> int:
        with self.db.read() as s:
            return int(s.execute(select(func.count()).select_from(MENTIONS).where(
                MENTIONS.c.agent_id == agent_id, MENTIONS.c.read_at.is_(None))).scalar_one())

    def of_agent(self, agent_id: int, limit: int = 100) -> list[MentionView]:
        """The agent's mentions, unread first, newest first within each."""
        author = AGENTS.alias("author")
        with self.db.read() as s:
            rows = s.execute(
                select(MENTIONS.c.id, MENTIONS.c.message_id, MENTIONS.c.created_at, MENTIONS.c.read_at,
                       MESSAGES.c.conversation_id, MESSAGES.c.body, author.c.name.label("by"),
                       CUSTOMERS.c.name.label("customer"), CUSTOMERS.c.contact, CONVERSATIONS.c.subject)
                .join(MESSAGES, MESSAGES.c.id == MENTIONS.c.message_id)
                .join(CONVERSATIONS, CONVERSATIONS.c.id == MESSAGES.c.conversation_id)
                .join(CUSTOMERS, CUSTOMERS.c.id == CONVERSATIONS.c.customer_id)
                .outerjoin(author, author.c.id == MENTIONS.c.by_agent_id)
                .where(MENTIONS.c.agent_id == agent_id)
                .order_by(MENTIONS.c.read_at.is_not(None), MENTIONS.c.id.desc()).limit(limit)).all()
        return [MentionView(r.id, r.conversation_id, r.message_id, r.by or "A rule", r.body,
                            r.customer or (r.contact or "").split(" ")[0] or "Customer", r.subject or "",
                            r.created_at, r.read_at is not None) for r in rows]
