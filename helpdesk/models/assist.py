"""Assist's records (migration 0012): which canned reply an agent picked where (the ranking learns
from it), and every use of a language model (who, when, which conversation, how much was sent)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from helpdesk.models.core import _ts


class CannedUse(SQLModel, table=True):
    __tablename__ = "canned_use"
    __table_args__ = (Index("ix_canned_use_conversation", "conversation_id"),
                      Index("ix_canned_use_canned", "canned_id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    canned_id: int = Field(foreign_key="canned_reply.id", ondelete="CASCADE")
    conversation_id: int
    agent_id: Optional[int] = Field(default=None)
    at: datetime = _ts()


class AssistUse(SQLModel, table=True):
    __tablename__ = "assist_use"
    __table_args__ = (Index("ix_assist_use_at", "at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = _ts()
    kind: str = Field(max_length=16)  # draft | summary | handover | test
    agent_id: Optional[int] = Field(default=None)
    token_id: Optional[int] = Field(default=None)  # a bot through the API
    conversation_id: Optional[int] = Field(default=None)
    model: str = Field(default="", max_length=200)
    chars_sent: int = Field(default=0)
    chars_received: int = Field(default=0)
    outcome: str = Field(default="", max_length=200)  # ok | cancelled | the error, in words
