"""`mailbox import NAME PATH`: a shop moving from a plain mailbox brings its history. An
mbox file or a Maildir folder is read oldest mail first (so answers find what they
answer), each mail taken as history: dated by its Date header, in resolved conversations,
our own sent mail as the shop's replies. Idempotent like fetching: the same archive twice
imports nothing the second time."""

from __future__ import annotations

import mailbox as stdlib_mailbox
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Callable

from helpdesk.channels.email.parse import parse_mail
from helpdesk.services.errors import ServiceError

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ID = re.compile(r"<[^<>\s]{1,250}>")


class ArchiveError(Exception):
    pass


@dataclass
class ImportSummary:
    imported: int = 0
    already: int = 0
    skipped: int = 0
    unreadable: int = 0
    conversations: int = 0


def open_archive(path: Path):
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise ArchiveError(f"{path} is a folder but not a Maildir (it has no cur/ or new/)")
        return stdlib_mailbox.Maildir(str(path), factory=None, create=False)
    if not path.is_file():
        raise ArchiveError(f"{path} does not exist")
    with path.open("rb") as f:
        head = f.read(5)
    if head and head != b"From ":
        raise ArchiveError(f"{path} is not an mbox file (it should start with a 'From ' line)")
    return stdlib_mailbox.mbox(str(path), factory=None, create=False)


def _glance(raw: bytes) -> tuple[datetime, str]:
    """A mail's date and Message-ID from its headers alone (quick: no body, no decoding)."""
    headers = BytesHeaderParser().parsebytes(raw.split(b"\n\n", 1)[0])
    found = _ID.search(str(headers.get("Message-ID", "")))
    try:
        value = parsedate_to_datetime(str(headers.get("Date", "")))
        when = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    except Exception:
        when = EPOCH
    return when, found.group(0)[:255] if found else ""


def import_archive(services, box, path: Path,
                   progress: Callable[[int, int], None] = lambda done, total: None) -> ImportSummary:
    archive = open_archive(path)
    try:
        glances = {key: _glance(archive.get_bytes(key)) for key in archive.keys()}
        # Oldest first, so answers find what they answer; mails already taken are skipped unread.
        dated = sorted(glances, key=lambda k: glances[k][0])
        seen = services.mail.intake.seen_keys([mid for _, mid in glances.values() if mid])
        summary = ImportSummary()
        conversations: set[int] = set()
        intake = services.mail.intake
        for done, key in enumerate(dated, 1):
            if glances[key][1] in seen:
                summary.already += 1
                progress(done, len(dated))
                continue
            raw = archive.get_bytes(key)
            try:
                mail = parse_mail(raw)
            except Exception as exc:
                intake.unreadable(box.id, raw, None, f"could not be read: {exc}")
                summary.unreadable += 1
                progress(done, len(dated))
                continue
            try:
                taken = intake.take(box.id, mail, None, history=True)
            except (ServiceError, ValueError, LookupError) as exc:
                intake.unreadable(box.id, raw, None, f"could not be imported: {exc}")
                summary.unreadable += 1
                progress(done, len(dated))
                continue
            if taken.status == "duplicate":
                summary.already += 1
            elif taken.message_id is not None:
                summary.imported += 1
                conversations.add(taken.conversation_id)
            else:
                summary.skipped += 1
            progress(done, len(dated))
        summary.conversations = len(conversations)
        return summary
    finally:
        archive.close()
