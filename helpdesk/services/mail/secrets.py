"""Passwords and tokens (mailboxes, messaging channels): in the operating system's keyring when it has a usable one (Windows
Credential Manager, macOS Keychain, a desktop Secret Service), otherwise encrypted in the
database with a key kept in the data folder (`mail.key`, 0600), so a copied database alone
does not give the passwords away. Never printed, logged or shown back."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)
KEYRING, DATABASE, NONE = "keyring", "database", "none"
SERVICE = "Helpdesk"
KEY_FILE = "mail.key"


class SecretMissing(Exception):
    """A stored password cannot be read back here (another computer's keyring or key file)."""


def _keyring() -> Any:
    """The keyring module when a real backend is there, else None (headless Linux has none)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
            return None
        return keyring
    except Exception:  # no backend library, no D-Bus session …
        return None


class SecretBox:
    def __init__(self, data_dir: Path, install_id: str) -> None:
        self.key_path = data_dir / KEY_FILE
        self.install_id = install_id  # keeps two Helpdesks on one computer apart in the keyring

    def _entry(self, owner: str, which: str) -> str:
        return f"{self.install_id}/{owner}/{which}"  # owner: "mailbox/Support", "channel/Phone"

    def _fernet(self) -> Fernet:
        if not self.key_path.exists():
            self.key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                fd: int | None = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another thread made it first: use that one
                fd = None
            if fd is not None:
                with os.fdopen(fd, "wb") as out:
                    out.write(Fernet.generate_key())
        return Fernet(self.key_path.read_bytes().strip())

    def put(self, owner: str, which: str, password: str) -> tuple[str, str]:
        """Keep a password; returns (where, what the database keeps: a ciphertext or "")."""
        if not password:
            return NONE, ""
        ring = _keyring()
        if ring is not None:
            try:
                ring.set_password(SERVICE, self._entry(owner, which), password)
                return KEYRING, ""
            except Exception as exc:  # a locked or refusing keyring: fall back, say so without the secret
                log.warning("the system keyring refused the password (%s); keeping it encrypted in the database",
                            exc.__class__.__name__)
        return DATABASE, self._fernet().encrypt(password.encode()).decode()

    def get(self, owner: str, which: str, store: str, ciphertext: str, what: str = "") -> str:
        """`what` names the secret for people ("the IMAP password of Support")."""
        what = what or f"the {which} of {owner}"
        if store == NONE:
            return ""
        if store == KEYRING:
            ring = _keyring()
            value = ring.get_password(SERVICE, self._entry(owner, which)) if ring is not None else None
            if value is None:
                raise SecretMissing(f"{what} is not in this computer's keyring; enter it again")
            return str(value)
        try:
            return self._fernet().decrypt(ciphertext.encode()).decode()
        except (InvalidToken, ValueError):
            raise SecretMissing(f"{what} cannot be decrypted with this data folder's {KEY_FILE}; "
                                f"enter it again") from None

    def forget(self, owner: str, which: str, store: str) -> None:
        if store != KEYRING:
            return
        ring = _keyring()
        if ring is not None:
            try:
                ring.delete_password(SERVICE, self._entry(owner, which))
            except Exception as exc:  # already gone, or a locked keyring: the entry is orphaned, not shown
                log.info("the system keyring kept an old entry (%s)", exc.__class__.__name__)


def new_install_id() -> str:
    return secrets.token_hex(8)
