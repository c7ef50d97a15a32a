"""Configured messaging channels (an SMS phone, Telegram, Twilio) and the record of what
each delivered to us, once (migration 0010)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from helpdesk.models.core import _ts


class Channel(SQLModel, table=True):
    """One configured channel: its kind (sms-gateway | telegram | twilio), its settings
    (no secrets), its secrets (OS keyring or encrypted here), and how it is doing."""

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    name: str = Field(max_length=100, unique=True)
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    secret_store: str = Field(default="none", max_length=16)  # keyring | database | none
    secret: str = Field(default="", max_length=2000)  # encrypted JSON of the secrets (database store)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # e.g. Telegram's offset
    active: bool = Field(default=True)
    last_contact_at: Optional[datetime] = _ts(nullable=True)
    last_error: str = Field(default="", max_length=500)
    last_webhook_at: Optional[datetime] = _ts(nullable=True)  # the far end reached us (the phone's texts)
    team_id: Optional[int] = Field(default=None)  # its new conversations' team (0019; as conversation.team_id)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ChannelRecord(SQLModel, table=True):
    """Every event a channel delivered to us (an SMS, a Telegram update, a Twilio message),
    once: the unique key (the channel's own id for it) is what makes a replayed webhook, a
    restart or a crash between fetching and committing harmless."""

    __tablename__ = "channel_record"
    __table_args__ = (UniqueConstraint("key", name="uq_channel_record_key"),
                      Index("ix_channel_record_message", "message_id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    channel_id: Optional[int] = Field(default=None, foreign_key="channel.id", ondelete="SET NULL")
    key: str = Field(max_length=255)  # "<kind>:<the channel's id for the event>"
    status: str = Field(max_length=16)  # imported | status | ignored
    message_id: Optional[int] = Field(default=None)
    received_at: datetime = _ts()
