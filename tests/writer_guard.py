"""Slow work that must never hold the one writer thread every agent and customer waits on
(docs/architecture.md, "The writer writes"): conftest.py wraps argon2, the keyring and network
connections with `off_the_writer`, and fails any test that caught one of them there."""

from __future__ import annotations

import threading

from keyring.backend import KeyringBackend

from helpdesk.db.engine import WRITER_THREAD

SLOW_ON_WRITER: list[str] = []


def off_the_writer(what: str) -> None:
    """Notes `what` if it runs on a writer thread."""
    if threading.current_thread().name.startswith(WRITER_THREAD):
        SLOW_ON_WRITER.append(what)


class MemoryKeyring(KeyringBackend):
    """Stands in for the OS keyring (Windows Credential Manager, macOS Keychain)."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):  # type: ignore[no-untyped-def]
        off_the_writer("keyring read")
        return self.saved.get((service, username))

    def set_password(self, service, username, password):  # type: ignore[no-untyped-def]
        off_the_writer("keyring write")
        self.saved[(service, username)] = password

    def delete_password(self, service, username):  # type: ignore[no-untyped-def]
        off_the_writer("keyring delete")
        self.saved.pop((service, username), None)
