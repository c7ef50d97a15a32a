"""Teamwork's tables: teams and their members, mentions in notes, macros (migrations 0019-0023).
Business rules live in services/ (teams.py, mentions.py, macros.py), not here."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, Integer
from sqlmodel import Field, SQLModel

from helpdesk.models.core import _ts


class Team(SQLModel, table=True):
    """A part of the shop with its own queue (Workshop, Sales): its members and its lead
    (migration 0019). A conversation belongs to one team or none, and to an agent or none."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, unique=True)
    lead_id: Optional[int] = Field(default=None, foreign_key="agent.id")
    # Its own business hours (BusinessCalendar.to_json) and response targets by priority
    # (migration 0023); None: the shop's. services/sla.py reads them.
    hours: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))
    targets: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"

    team_id: int = Field(foreign_key="team.id", primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", primary_key=True, index=True)


class Mention(SQLModel, table=True):
    """An agent named in an internal note ("@Tom", or a team: each member), until they open the
    conversation or write in it (migration 0020). Its conversation is its message's, so a
    merge takes it along."""

    __table_args__ = (Index("ix_mention_agent_read", "agent_id", "read_at", "id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    agent_id: int = Field(foreign_key="agent.id")
    team_id: Optional[int] = Field(default=None)  # mentioned as a member of this team ("@Workshop")
    by_agent_id: Optional[int] = Field(default=None)  # who wrote the note
    created_at: datetime = _ts()
    read_at: Optional[datetime] = _ts(nullable=True)
    # Mail to an agent who was away and asked for it (migration 0024): due, sent, failed or
    # dropped (read in Helpdesk first); tries and the next try while the mail server is down.
    mail_state: Optional[str] = Field(default=None, max_length=16, index=True)
    mail_tries: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    mail_next_at: Optional[datetime] = _ts(nullable=True)
    mail_error: Optional[str] = Field(default=None, max_length=300)


class Macro(SQLModel, table=True):
    """A named list of actions run in one click on a conversation: a reply, a note, tags,
    priority, team, assignee, status, snooze (migration 0021). Shared with the team, or one
    agent's own (`owner_id`)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    actions: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    owner_id: Optional[int] = Field(default=None, foreign_key="agent.id")  # None: shared
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
