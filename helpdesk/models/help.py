"""The help center's tables (migration 0025): articles, and the counts its reports read (views,
votes, conversations avoided, searches). Business rules live in services/help/."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Column, Date, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from helpdesk.models.core import _ts

DRAFT, PUBLISHED = "draft", "published"
MAX_TITLE = 200


class Article(SQLModel, table=True):
    """One answer, written in Markdown, in one language; found by its slug within its language."""

    __table_args__ = (UniqueConstraint("language", "slug", name="uq_article_language_slug"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(max_length=MAX_TITLE)
    slug: str = Field(max_length=120)
    body: str = Field(default="")  # Markdown
    category: str = Field(default="", max_length=60)  # "": General
    language: str = Field(default="en", max_length=16)
    status: str = Field(default=DRAFT, max_length=16)
    author_id: Optional[int] = Field(default=None, foreign_key="agent.id")
    # The conversation it was saved from ("Save as article"), if any.
    source_conversation_id: Optional[int] = Field(default=None)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    published_at: Optional[datetime] = _ts(nullable=True)


class HelpCount(SQLModel, table=True):
    """How often something happened to an article on a day: view, helped, not_helped, suggested,
    deflected (a visitor said it answered them and wrote nothing)."""

    __tablename__ = "help_count"

    day: date = Field(sa_column=Column(Date, primary_key=True))
    article_id: int = Field(sa_column=Column(Integer, primary_key=True))
    kind: str = Field(max_length=16, primary_key=True)
    count: int = Field(default=0)


class HelpSearch(SQLModel, table=True):
    """What visitors searched for on a day (folded, cut to 100 characters) and whether anything
    was found: the searches with no result are what customers look for and do not find."""

    __tablename__ = "help_search"
    __table_args__ = (Index("ix_help_search_found", "found", "day"),)

    day: date = Field(sa_column=Column(Date, primary_key=True))
    query: str = Field(max_length=100, primary_key=True)
    found: int = Field(default=0)  # results the last such search had
    count: int = Field(default=0)


class ArticleImage(SQLModel, table=True):
    """A picture an agent put in an article (migration 0026): its bytes in the file store, kept
    there while this row is. Served at /help/_images/<sha256>.<ext> while a published article
    shows it ("_": no category slug starts so)."""

    __tablename__ = "article_image"

    sha256: str = Field(primary_key=True, max_length=64)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=60)
    size: int = Field(default=0)
    added_by: Optional[int] = Field(default=None, foreign_key="agent.id")
    created_at: datetime = _ts()
