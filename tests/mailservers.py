"""Real mail servers for the email tests, private to the test run and on loopback:
Dovecot (Debian's dovecot-imapd) started in a temp folder, any user with password
"secret", each user its own Maildir; aiosmtpd as the SMTP server, keeping what it is
given, stoppable and startable on the same port (an outage and a recovery).
docs/architecture.md ("Tests") says which tests use them."""

from __future__ import annotations

import grp
import imaplib
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

from tests.helpers import free_port

PASSWORD = "secret"


def dovecot_available() -> bool:
    return shutil.which("dovecot") is not None and shutil.which("doveadm") is not None


class Dovecot:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
        self.port = free_port()
        self.config = self.root / "dovecot.conf"

    def start(self) -> "Dovecot":
        self.root.chmod(0o755)
        mail = self.root / "mail"
        mail.mkdir()
        user = pwd.getpwnam("dovecot")
        shutil.chown(mail, user.pw_uid, grp.getgrnam("dovecot").gr_gid)
        self.config.write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{self.root}/mail/%u
namespace inbox {{
  inbox = yes
  # Named as a German server names it: only the special-use flag says it is the Sent folder.
  mailbox Gesendet {{
    special_use = \\Sent
    auto = create
  }}
}}
default_internal_user = dovecot
default_login_user = dovenull
default_internal_group = dovecot
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={user.pw_uid} gid={user.pw_gid} home={self.root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
first_valid_uid = 100
""")
        # It daemonises: its children would hold captured pipes open, so nothing is captured.
        subprocess.run(["dovecot", "-c", str(self.config)], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"Dovecot did not start: {self.log()}")

    def stop(self) -> None:
        subprocess.run(["doveadm", "-c", str(self.config), "stop"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text()[-2000:] if path.exists() else ""

    def url(self, user: str, password: str = PASSWORD) -> str:
        return f"imap://{user}:{password}@127.0.0.1:{self.port}"

    def client(self, user: str) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port)
        imap.login(user, PASSWORD)
        return imap

    def append(self, user: str, raw: bytes, folder: str = "INBOX", date: float | None = None) -> None:
        """A mail arrives in the user's folder (date: its INTERNALDATE, seconds since the epoch)."""
        imap = self.client(user)
        try:
            imap.append(folder, None, imaplib.Time2Internaldate(date) if date else None, raw)
        finally:
            imap.logout()

    def set_unread(self, user: str) -> None:
        """Another mail client marks everything unread."""
        imap = self.client(user)
        try:
            imap.select("INBOX")
            imap.store("1:*", "-FLAGS", "\\Seen")
        finally:
            imap.logout()

    def messages(self, user: str, folder: str) -> list:  # type: ignore[type-arg]
        """Every mail in one of the user's folders, parsed."""
        imap = self.client(user)
        try:
            _, count = imap.select(f'"{folder}"', readonly=True)
            if int(count[0]) == 0:
                return []
            _, data = imap.fetch("1:*", "(BODY.PEEK[])")
            return [message_from_bytes(d[1], policy=policy.default) for d in data if isinstance(d, tuple)]
        finally:
            imap.logout()

    def flags(self, user: str) -> list[bytes]:
        imap = self.client(user)
        try:
            imap.select("INBOX")
            _, data = imap.fetch("1:*", "(FLAGS)")
            return [d for d in data if d]
        finally:
            imap.logout()


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self):  # type: ignore[no-untyped-def]
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class SmtpSink:
    """aiosmtpd on a fixed loopback port; `refuse` makes it answer RCPT with that reply."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    refuse: str | None = None
    controller: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "SmtpSink":
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
                if sink.refuse:
                    return sink.refuse
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                with sink.lock:
                    sink.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()  # type: ignore[attr-defined]
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()  # type: ignore[attr-defined]
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} mails, the SMTP server got {len(self.received)}")


def wait_until(condition, timeout: float = 15.0, what: str = "the condition"):  # type: ignore[no-untyped-def]
    """Poll a condition a real server makes true (IMAP IDLE, a worker's loop)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


