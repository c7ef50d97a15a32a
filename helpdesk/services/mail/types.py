"""What the email channel hands the mail services (a parsed incoming mail) and what it gets
back to send (an outgoing mail). Plain data: the channel fills and reads these, the
services decide what they mean."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class MailFile:
    filename: str
    data: bytes
    content_id: str = ""  # an inline image's cid, referenced from the HTML


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification (RFC 3464) about a mail we sent."""

    original_message_id: str
    recipient: str
    reason: str


@dataclass
class MailIn:
    raw: bytes
    message_id: str = ""  # "<id@host>", or "" when the mail has none
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_address: str = ""
    from_name: str = ""
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    text: str = ""  # what the thread shows: the new words, without quoted history or signature
    full_text: str = ""  # all of it
    html: str = ""  # the HTML part, sanitised
    files: list[MailFile] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # the ones loop guards read, lower-case names
    bounce: Bounce | None = None

    @property
    def customer_address(self) -> str:
        """Where an answer goes: Reply-To over From."""
        return self.reply_to or self.from_address

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers, nearest first."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid and mid not in seen:
                seen.append(mid)
        return seen


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content_type: str
    path: Path


@dataclass
class OutgoingMail:
    mailbox_id: int
    from_address: str
    from_name: str
    to: list[str]
    subject: str
    message_id: str
    text: str
    html: str
    cc: list[str] = field(default_factory=list)
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    files: list[OutgoingFile] = field(default_factory=list)
    automatic: bool = False  # sent by Helpdesk on its own (Auto-Submitted: auto-generated)
    inline: list[tuple[str, bytes]] = field(default_factory=list)  # (Content-ID, PNG) the HTML shows (a QR code)
