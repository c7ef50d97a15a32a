"""One IMAP connection (IMAPClient): log in, open the folder, list UIDs after the last one
taken, fetch mails without marking them read (BODY.PEEK), wait with IDLE."""

from __future__ import annotations

import logging
import ssl
import threading
import time
from datetime import datetime, timezone

from imapclient import IMAPClient
from imapclient.imapclient import SENT
from imapclient.exceptions import IMAPClientError, LoginError

from helpdesk.channels.email.errors import MailServerError, explain, login_refused
from helpdesk.services.mail.urls import SSL, STARTTLS, MailUrl

TIMEOUT = 30
IDLE_RENEW = 25 * 60  # servers end an IDLE after 30 minutes (RFC 2177)

log = logging.getLogger(__name__)


class ImapSession:
    def __init__(self, url: MailUrl, timeout: float = TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout
        self.client: IMAPClient | None = None

    def open(self) -> "ImapSession":
        url = self.url
        try:
            context = ssl.create_default_context()
            client = IMAPClient(url.host, port=url.port, ssl=url.security == SSL, ssl_context=context,
                                timeout=self.timeout)
            if url.security == STARTTLS:
                client.starttls(context)
            try:
                client.login(url.username, url.password)
            except LoginError:
                raise login_refused(url) from None
            self.client = client
        except MailServerError:
            raise
        except (IMAPClientError, OSError) as exc:
            raise MailServerError(explain(exc, url)) from None
        return self

    def select(self, folder: str) -> int:
        """Open the folder; returns its UIDVALIDITY."""
        try:
            info = self._c.select_folder(folder, readonly=False)
        except IMAPClientError as exc:
            raise MailServerError(f"the IMAP folder {folder!r} cannot be opened for {self.url.username}: "
                                  f"{_words(exc)}") from None
        return int(info[b"UIDVALIDITY"])

    def uids_after(self, last_uid: int) -> list[int]:
        # "n:*" always names the newest mail even when its UID is below n (RFC 3501): filter.
        return sorted(u for u in self._c.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)

    def fetch(self, uids: list[int]) -> dict[int, tuple[bytes, datetime | None]]:
        data = self._c.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"])
        out = {}
        for uid, item in data.items():
            when = item.get(b"INTERNALDATE")
            if when is not None and when.tzinfo is None:
                when = when.astimezone(timezone.utc)
            out[uid] = (item.get(b"BODY[]", b""), when)
        return out

    def file_copy(self, wanted: str, raw: bytes, message_id: str, when: datetime) -> str:
        """A sent mail filed in the Sent folder (`wanted`, else the one the server marks \\Sent,
        else one of the usual names), read, once: a copy already there with this Message-ID is
        left alone, so a retry after a crash files nothing twice. Returns the folder."""
        client = self._c
        try:
            folder = wanted or client.find_special_folder(SENT)
        except IMAPClientError as exc:
            raise MailServerError(f"the IMAP folders cannot be listed: {_words(exc)}") from None
        if not folder:
            raise MailServerError("the mail server marks no folder as Sent: name one in the mailbox's settings",
                                  permanent=True)
        try:
            client.select_folder(folder, readonly=True)
        except IMAPClientError as exc:
            raise MailServerError(f"the Sent folder {folder!r} cannot be opened: {_words(exc)}", permanent=True) from None
        try:
            if client.search(["HEADER", "Message-ID", message_id]):
                return folder
            client.append(folder, raw, flags=(b"\\Seen",), msg_time=when)
        except IMAPClientError as exc:
            raise MailServerError(f"the reply could not be filed in {folder!r}: {_words(exc)}") from None
        return folder

    def mark_read(self, uids: list[int]) -> None:
        self._c.add_flags(uids, [b"\\Seen"])

    @property
    def has_idle(self) -> bool:
        return self._c.has_capability("IDLE")

    def wait(self, stop: threading.Event, wake: threading.Event, seconds: float,
             idling: threading.Event | None = None) -> None:
        """Until the server says something changed (IDLE), `seconds` pass, or we are told to stop.
        `idling` is set while IDLE is on: a mail that lands then is reported at once."""
        deadline = time.monotonic() + min(seconds, IDLE_RENEW)
        client = self._c
        if _arrived(client):  # news that came with the last command's answer
            return
        # IDLE reports only what changes after it begins (Dovecot does not look at the folder
        # then): a mail that landed while the last batch was being stored would wait a whole
        # poll. NOOP makes the server look now; what is left is the round trip to IDLE.
        client.noop()
        if _arrived(client):
            return
        client.idle()
        try:
            if idling is not None:
                idling.set()
            if _arrived(client):  # news some servers send as IDLE begins
                return
            while not stop.is_set() and not wake.is_set() and time.monotonic() < deadline:
                responses = client.idle_check(timeout=1)
                if any(r[1] in (b"EXISTS", b"RECENT") for r in responses if isinstance(r, tuple) and len(r) > 1):
                    return
        finally:
            if idling is not None:
                idling.clear()
            client.idle_done()

    def noop(self) -> None:
        self._c.noop()

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except Exception:
                try:
                    self.client.shutdown()
                except Exception as exc:  # the connection is gone already: nothing left to close
                    log.debug("IMAP shutdown after a failed logout: %s", exc.__class__.__name__)
            self.client = None

    @property
    def _c(self) -> IMAPClient:
        if self.client is None:
            raise MailServerError("not connected")
        return self.client


def _arrived(client: IMAPClient) -> bool:
    """Untagged EXISTS/RECENT that imaplib kept aside rather than handing to idle_check."""
    kept = client._imap.untagged_responses
    return bool(kept.pop("EXISTS", None)) | bool(kept.pop("RECENT", None))


def _words(exc: BaseException) -> str:
    text = str(exc)
    return text.split("]", 1)[-1].strip(" '\"") if "]" in text else text


def check_imap(url: MailUrl, folder: str) -> str:
    """"" when logging in and opening the folder work; else the reason in one line."""
    session = ImapSession(url, timeout=15)
    try:
        session.open().select(folder)
        return ""
    except MailServerError as exc:
        return exc.reason
    except Exception as exc:
        return explain(exc, url)
    finally:
        session.close()
