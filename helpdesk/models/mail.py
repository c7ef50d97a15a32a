"""Mailboxes and the record of every mail taken from them (the email channel, migration 0009)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from helpdesk.models.core import _ts


class Mailbox(SQLModel, table=True):
    """One of the shop's mailboxes: fetched over IMAP, replied from over SMTP. URLs are kept
    without their passwords; those live in the OS keyring or encrypted here (services/mail/secrets)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    address: str = Field(max_length=254)
    imap_url: str = Field(max_length=500)
    smtp_url: str = Field(max_length=500)
    folder: str = Field(default="INBOX", max_length=200)
    poll_seconds: int = Field(default=60)
    mark_read: bool = Field(default=False)
    team_id: Optional[int] = Field(default=None)  # its new conversations' team (0019; as conversation.team_id)
    # Where replies are filed so the shop's own mail client shows them: "" the folder the server
    # marks \Sent, a folder's name, or "-" for none.
    sent_folder: str = Field(default="", max_length=200)
    active: bool = Field(default=True)
    secret_store: str = Field(default="none", max_length=16)  # keyring | database | none
    imap_secret: str = Field(default="", max_length=1000)  # encrypted (database store only)
    smtp_secret: str = Field(default="", max_length=1000)
    # Fetch progress: everything up to last_uid in this UIDVALIDITY has been looked at.
    uidvalidity: Optional[int] = Field(default=None, sa_type=BigInteger)
    last_uid: int = Field(default=0, sa_type=BigInteger)
    last_fetch_at: Optional[datetime] = _ts(nullable=True)
    fetch_error: str = Field(default="", max_length=500)
    send_error: str = Field(default="", max_length=500)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class MailRecord(SQLModel, table=True):
    """Every mail Helpdesk has taken from a mailbox (or an imported mbox), once: what became of
    it (a message, a bounce, an automatic mail, unreadable) and its raw bytes in the file store.
    The unique key is what makes fetching idempotent."""

    __tablename__ = "mail_record"
    __table_args__ = (UniqueConstraint("mail_key", name="uq_mail_record_key"),
                      Index("ix_mail_record_message_id_header", "message_id_header"),
                      Index("ix_mail_record_conversation", "conversation_id"),
                      Index("ix_mail_record_message", "message_id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    # None once its mailbox is removed: the record stays, so adding the mailbox again imports nothing twice.
    mailbox_id: Optional[int] = Field(default=None, foreign_key="mailbox.id", ondelete="SET NULL")
    # The Message-ID, or a digest of the bytes when it has none. One record per mail whichever of
    # the shop's mailboxes it reached (a customer writing to two addresses starts one conversation).
    mail_key: str = Field(max_length=255)
    message_id_header: str = Field(default="", max_length=255)
    uid: Optional[int] = Field(default=None, sa_type=BigInteger)
    status: str = Field(max_length=16)  # imported | bounce | automatic | own | unreadable
    conversation_id: Optional[int] = Field(default=None)
    message_id: Optional[int] = Field(default=None)
    sender: str = Field(default="", max_length=254)
    subject: str = Field(default="", max_length=300)
    raw_sha256: str = Field(default="", max_length=64)  # the .eml in the file store
    full_text: str = Field(default="", sa_type=Text)  # the whole text, quotes and signature included
    html: str = Field(default="", sa_type=Text)  # the HTML part, sanitised
    error: str = Field(default="", max_length=500)
    received_at: datetime = _ts()
