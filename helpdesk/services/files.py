"""Files sent with messages: a content-addressed store in the data folder, safe names,
types sniffed from the bytes (never taken from the sender), limits, thumbnails, and signed
expiring links for places that cannot send a bearer token (the UI, the customer page,
webhooks, mail).

The store keeps each distinct file once, under files/ab/cd/<sha256>, written to a temporary
file while its hash is computed and moved into place when complete, so nothing holds a whole
upload in memory and a crash leaves no half file under a real name."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator
from urllib.parse import quote

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from helpdesk.models import AppSetting, Attachment
from helpdesk.models.tables import ARTICLE_IMAGES, ATTACHMENTS as ATTACHMENT, MAIL_RECORDS as MAIL
from helpdesk.services.images import ImageDecoder
from helpdesk.services.base import Service, new_id, same_secret, stored_id, writes
from helpdesk.services.errors import NotFound, PayloadTooLarge, ValidationFailed
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

CHUNK = 1024 * 1024
MAX_FILES = 20  # per message
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}  # safe to show in a page
THUMB_TYPES = INLINE_TYPES - {"image/gif"}
THUMB_SIZE = 320
LINK_KEY = "file_link_key"
LINK_LIFETIME = timedelta(days=7)
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(raw: str | None) -> str:
    """The name as given, minus what could hurt: folders (../../x), control and invisible
    characters (NUL, right-to-left overrides that make evil.exe look like evil.txt), names
    Windows reserves; at most 200 characters, keeping the extension."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = " ".join(name.split()).strip(" .")
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    if len(name) > 200:
        stem, ext = os.path.splitext(name)
        ext = ext[:20]
        name = stem[:200 - len(ext)] + ext
    return name or "file"


def sniff(head: bytes, filename: str) -> str:
    """The content type the bytes say, whatever the sender claimed."""
    ext = os.path.splitext(filename.lower())[1]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                ".odt": "application/vnd.oasis.opendocument.text"}.get(ext, "application/zip")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1"):
            return "image/heic"
        return "audio/mp4" if brand in (b"M4A ", b"M4B ") else "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head.startswith(b"OggS"):
        return "audio/ogg"  # Telegram's and WhatsApp's voice notes: Opus in Ogg
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"  # Matroska/WebM (a browser's recording)
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac"  # ADTS
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if b"\x00" in head:
        return "application/octet-stream"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "application/octet-stream"
        text = head[:exc.start].decode("utf-8")
    start = text.lstrip("\ufeff \t\r\n").lower()[:1024]
    if start.startswith(("<!doctype html", "<html", "<head", "<body", "<script", "<iframe")) or "<html" in start:
        return "text/html"
    if "<svg" in start:
        return "image/svg+xml"
    if start.startswith("<?xml"):
        return "application/xml"
    return {".csv": "text/csv", ".json": "application/json"}.get(ext, "text/plain")


MEDIA_TYPES = {"audio/ogg", "audio/mpeg", "audio/mp4", "audio/wav", "audio/aac", "audio/flac", "video/mp4",
               "video/webm", "video/quicktime"}  # played in a page (<audio>, <video>), never run


def play_length_ms(path: Path, content_type: str) -> int | None:
    """How long a voice note or video plays, from its headers (mutagen); None when it does not say."""
    if content_type not in MEDIA_TYPES:
        return None
    import mutagen

    try:
        found = mutagen.File(path)
        length = found.info.length if found is not None else 0
    except Exception:  # noqa: BLE001  (a damaged or unknown file simply has no length shown)
        return None
    return int(length * 1000) if length and 0 < length < 10 ** 7 else None


@dataclass(frozen=True)
class StagedFile:
    """A file in the store, not yet attached to a message."""

    filename: str
    content_type: str
    size: int
    sha256: str
    duration_ms: int | None = None  # how long a voice note or video plays


@dataclass(frozen=True)
class FileLimits:
    per_file: int
    per_message: int

    def check_total(self, files: list[StagedFile]) -> None:
        if len(files) > MAX_FILES:
            raise ValidationFailed("too many files", {"attachments": f"at most {MAX_FILES} files a message"})
        total = sum(f.size for f in files)
        if total > self.per_message:
            raise PayloadTooLarge(f"the files together are {mb(total)}; a message may carry at most "
                                  f"{mb(self.per_message)}")


def private_dirs(folder: Path, root: Path) -> None:
    """Create `folder` and every level between it and `root` owner-only (mkdir's `parents`
    would make the levels between with the default mode, 0755)."""
    missing = []
    while folder != root and not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for level in reversed(missing):
        level.mkdir(mode=0o700, exist_ok=True)


def mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, size // 1000)} KB"


class FileService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        super().__init__(db, clock, settings)
        self.root = settings.data_dir / "files"
        self.limits = FileLimits(settings.max_file_mb * 1_000_000, settings.max_message_mb * 1_000_000)
        self._key: bytes | None = None
        self.images = ImageDecoder()  # thumbnails: one at a time, in a child process, within budget
        self._in_flight: dict[str, int] = {}  # staged and not yet attached or discarded, by sha256
        self._flight_lock = threading.Lock()

    # ---- storing ------------------------------------------------------------------------

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def stage(self, chunks: Iterable[bytes], filename: str | None) -> StagedFile:
        """Stream a file into the store (refused past the per-file limit, nothing kept then)."""
        name = safe_filename(filename)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest, size, head = hashlib.sha256(), 0, b""
        fd, temp = tempfile.mkstemp(dir=self.root, prefix=".upload-")  # 0600, in the store's own folder
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > self.limits.per_file:
                        raise PayloadTooLarge(f"{name} is over {mb(self.limits.per_file)}, the most a file may be")
                    if len(head) < 4096:
                        head += chunk[:4096 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            final = self.path_of(sha)
            if final.exists():  # the same bytes are already here: keep one copy
                os.unlink(temp)
            else:
                private_dirs(final.parent, self.root)
                os.replace(temp, final)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        with self._flight_lock:
            self._in_flight[sha] = self._in_flight.get(sha, 0) + 1
        kind = sniff(head, name)
        return StagedFile(name, kind, size, sha, play_length_ms(self.path_of(sha), kind))

    def landed(self, files: Iterable[StagedFile]) -> None:
        """Staged files now belong to a committed message."""
        with self._flight_lock:
            for f in files:
                left = self._in_flight.get(f.sha256, 0) - 1
                if left > 0:
                    self._in_flight[f.sha256] = left
                else:
                    self._in_flight.pop(f.sha256, None)

    def discard(self, files: Iterable[StagedFile]) -> None:
        """Staged files of a refused request: deleted at once, unless a message has the same
        bytes or another request is staging them right now."""
        files = list(files)
        self.landed(files)
        for f in files:
            with self._flight_lock:
                busy = f.sha256 in self._in_flight
            if busy:
                continue
            with self.db.read() as s:
                kept = s.execute(select(ATTACHMENT.c.id).where(ATTACHMENT.c.sha256 == f.sha256).limit(1)).first()
            if kept is None:
                self.path_of(f.sha256).unlink(missing_ok=True)

    def stage_bytes(self, data: bytes, filename: str | None) -> StagedFile:
        return self.stage((data[i:i + CHUNK] for i in range(0, len(data), CHUNK)) if data else [b""], filename)

    def stage_base64(self, text: str, filename: str | None) -> StagedFile:
        """Decode base64 (the JSON intake's `data`) a slice at a time into the store."""
        clean = "".join(text.split())
        step = 4 * (CHUNK // 3)

        def pieces() -> Iterator[bytes]:
            for i in range(0, len(clean), step):
                try:
                    yield base64.b64decode(clean[i:i + step], validate=True)
                except ValueError:
                    raise ValidationFailed("a file's data is not base64",
                                           {"attachments.data": "must be base64"}) from None

        return self.stage(pieces(), filename)

    def stage_file(self, source: BinaryIO, filename: str | None) -> StagedFile:
        return self.stage(iter(lambda: source.read(CHUNK), b""), filename)

    def attach(self, conn: Connection, message_id: int, files: list[StagedFile] | tuple[StagedFile, ...],
               now: datetime) -> list[Attachment]:
        """Attachment rows for a message, in the caller's write transaction."""
        self.landed(files)
        made = []
        for f in files:
            row = Attachment(message_id=message_id, filename=f.filename, content_type=f.content_type, size=f.size,
                             sha256=f.sha256, created_at=now, duration_ms=f.duration_ms)
            row.id = new_id(conn.execute(insert(ATTACHMENT).values(**row.model_dump(exclude={"id"}))))
            made.append(row)
        return made

    def described(self, attachments: list[Attachment], base_url: str) -> list[dict[str, Any]]:
        """What webhooks and mail carry about files: metadata and a signed link that works without a token."""
        return [{"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
                 "sha256": a.sha256, "url": base_url + self.signed_path(a),
                 **({"duration_ms": a.duration_ms} if a.duration_ms else {})} for a in attachments]

    # ---- reading --------------------------------------------------------------------------

    def get(self, attachment_id: int) -> Attachment:
        with self.db.read() as s:
            found = s.get(Attachment, attachment_id)
        if found is None or not self.path_of(found.sha256).exists():
            raise NotFound(f"file {attachment_id} not found")
        return found

    def of_messages(self, message_ids: list[int]) -> dict[int, list[Attachment]]:
        if not message_ids:
            return {}
        with self.db.read() as s:
            rows = s.execute(select(Attachment).where(ATTACHMENT.c.message_id.in_(message_ids))
                             .order_by(ATTACHMENT.c.id)).scalars().all()
        out: dict[int, list[Attachment]] = {}
        for row in rows:
            out.setdefault(row.message_id, []).append(row)
        return out

    def thumbnail(self, attachment: Attachment) -> Path | None:
        """A small JPEG of an image (made once, kept beside the store), or None for other files and
        for images over the decoding budget; raises images.Busy when too many wait for the decoder."""
        if attachment.content_type not in THUMB_TYPES:
            return None
        thumb = self.root / "thumbs" / f"{attachment.sha256}-{THUMB_SIZE}.jpg"
        refused = thumb.with_suffix(".none")  # remembered: a refused image is not decoded again
        if thumb.exists():
            return thumb
        if refused.exists():
            return None
        made = self.images.thumbnail(self.path_of(attachment.sha256), THUMB_SIZE)
        thumb.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(dir=thumb.parent, suffix=".jpg")
        with os.fdopen(fd, "wb") as out:
            out.write(made or b"")
        os.replace(temp, thumb if made else refused)
        return thumb if made else None

    # ---- signed links ------------------------------------------------------------------------

    def _link_key(self) -> bytes:
        if self._key is None:
            with self.db.read() as s:
                setting = s.get(AppSetting, LINK_KEY)
            if setting is None or not setting.value:
                raise RuntimeError("no key for file links: HelpdeskApp.start() makes it (ensure_link_key)")
            self._key = bytes.fromhex(setting.value["key"])
        return self._key

    @writes
    def ensure_link_key(self) -> bytes:
        """Make (or load) the key that signs file links, at start: links are made inside other
        writes, which must not open a second one, and in UI handlers on the event loop."""
        with self.db.write() as tx:
            setting = tx.session.get(AppSetting, LINK_KEY)
            if setting is None or not setting.value:  # shared through the database by every process
                setting = AppSetting(key=LINK_KEY, value={"key": secrets.token_hex(32)})
                tx.session.add(setting)
            key: str = (setting.value or {})["key"]
            self._key = bytes.fromhex(key)
            return self._key

    def proof(self, purpose: str, text: str) -> str:
        """HMAC of `text` under a key derived from this install's own (never the file-link key
        itself): an answer carrying it came from a Helpdesk on this database."""
        key = hmac.new(self._link_key(), purpose.encode(), hashlib.sha256).digest()
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()

    def _signature(self, subject: int | str, expires: int, variant: str) -> str:
        message = f"{subject}.{expires}.{variant}".encode()
        return hmac.new(self._link_key(), message, hashlib.sha256).hexdigest()[:32]

    def signed_path(self, attachment: Attachment, variant: str = "file", lifetime: timedelta = LINK_LIFETIME) -> str:
        """/files/<id>/<name>?e=<expiry>&v=<file|thumb>&s=<HMAC over id, expiry and variant>."""
        expires = int((self.now() + lifetime).timestamp())
        attachment_id = stored_id(attachment)
        return (f"/files/{attachment_id}/{quote(attachment.filename)}?e={expires}&v={variant}"
                f"&s={self._signature(attachment_id, expires, variant)}")

    def check_link(self, attachment_id: int, expires: str, variant: str, signature: str) -> bool:
        return self._check(attachment_id, expires, variant, signature, ("file", "thumb"))

    def signed_mail_path(self, record_id: int, variant: str, lifetime: timedelta = LINK_LIFETIME) -> str:
        """A received mail as it came: the .eml (variant eml) or its sanitised HTML (html)."""
        expires = int((self.now() + lifetime).timestamp())
        name = "message.eml" if variant == "eml" else "message.html"
        return f"/files/mail/{record_id}/{name}?e={expires}&v={variant}&s={self._signature(f'm{record_id}', expires, variant)}"

    def check_mail_link(self, record_id: int, expires: str, variant: str, signature: str) -> bool:
        return self._check(f"m{record_id}", expires, variant, signature, ("eml", "html"))

    def _check(self, subject: int | str, expires: str, variant: str, signature: str, variants: tuple[Any, ...]) -> bool:
        try:
            when = int(expires)
        except ValueError:
            return False
        if variant not in variants or when < self.now().timestamp():
            return False
        return same_secret(self._signature(subject, when, variant), signature)

    # ---- housekeeping -------------------------------------------------------------------------

    def collect_garbage(self, older_than: timedelta = timedelta(days=1)) -> int:
        """Delete stored files no message, received mail or help article refers to (uploads never sent), a day after they came.
        Their age is the file system's (when the bytes were written), not the app clock's."""
        if not self.root.exists():
            return 0
        cutoff = time.time() - older_than.total_seconds()
        with self.db.read() as s:
            used = set(s.execute(select(ATTACHMENT.c.sha256).distinct()).scalars())
            used |= set(s.execute(select(MAIL.c.raw_sha256).distinct()).scalars())  # received mails as they came
            used |= set(s.execute(select(ARTICLE_IMAGES.c.sha256)).scalars())  # pictures in help articles
        removed = 0
        for path in self.root.glob("??/??/*"):
            if path.name not in used and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
