"""Reports' roll-ups (migration 0013): each local day's facts, so a long period's report adds up
a few hundred stored days instead of reading every message again (services/reports/rollups.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from helpdesk.models.core import _ts


class ReportDay(SQLModel, table=True):
    __tablename__ = "report_day"

    day: str = Field(primary_key=True, max_length=10)  # YYYY-MM-DD in the business calendar's time zone
    facts: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=False))
    computed_at: datetime = _ts()
