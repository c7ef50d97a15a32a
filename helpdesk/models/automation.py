"""Automation: rules (when, if, then), the events they react to, and what each rule did
(migration 0011). Agents' availability for assignment lives on the agent row."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from helpdesk.models.core import _ts


class AutomationRule(SQLModel, table=True):
    """One rule: a trigger, conditions (all or any), actions, in the team's order."""

    __tablename__ = "automation_rule"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)  # what the command line calls it: out-of-hours
    title: str = Field(max_length=100)  # what people read: Out of hours
    enabled: bool = Field(default=False)
    position: int = Field(default=0)
    trigger: str = Field(max_length=32)  # services/automation/spec.py TRIGGERS
    hours: Optional[float] = Field(default=None)  # the N of "waited N hours"
    conditions: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    actions: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # round-robin's place
    ready_made: bool = Field(default=False)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    runs: int = Field(default=0)
    last_run_at: Optional[datetime] = _ts(nullable=True)
    last_outcome: str = Field(default="", max_length=16)  # done | skipped | failed
    last_detail: str = Field(default="", max_length=500)
    last_error: str = Field(default="", max_length=500)  # set while the rule fails; cleared when it works again
    last_error_at: Optional[datetime] = _ts(nullable=True)


class AutomationEvent(SQLModel, table=True):
    """Something rules may react to, written in the transaction of what happened (a message,
    a reply, a status change, a breach) or by the time scan; its key makes it happen once."""

    __tablename__ = "automation_event"
    __table_args__ = (UniqueConstraint("key", name="uq_automation_event_key"),
                      Index("ix_automation_event_pending", "processed_at", "id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    type: str = Field(max_length=32)
    conversation_id: int
    message_id: Optional[int] = Field(default=None)
    at: datetime = _ts()
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    processed_at: Optional[datetime] = _ts(nullable=True)


class AutomationRun(SQLModel, table=True):
    """What a rule did for one event (its history), at most once per rule and event."""

    __tablename__ = "automation_run"
    __table_args__ = (UniqueConstraint("rule_id", "event_id", name="uq_automation_run_once"),
                      Index("ix_automation_run_rule", "rule_id", "id"),
                      Index("ix_automation_run_replies", "conversation_id", "replied_at"),
                      Index("ix_automation_run_customer_replies", "customer_id", "replied_at"))

    id: Optional[int] = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="automation_rule.id", ondelete="CASCADE")
    event_id: int
    conversation_id: int
    customer_id: Optional[int] = Field(default=None)
    at: datetime = _ts()
    outcome: str = Field(max_length=16)  # done | skipped | failed
    detail: str = Field(default="", max_length=500)
    # Set when the rule sent the customer an automatic reply: the loop guards count these.
    replied_at: Optional[datetime] = _ts(nullable=True)
