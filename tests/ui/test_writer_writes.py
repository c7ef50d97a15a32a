"""What an admin does in Settings runs its slow parts off the one writer thread: creating an agent
hashes the password (argon2, ~0.1 s by design) and adding a mailbox puts its passwords in the
keyring (seconds, on a locked one) on a worker, while the writer only writes. Every other test
is watched too (tests/writer_guard.py); these show the UI path itself."""

from __future__ import annotations

import asyncio
import threading

import keyring

from helpdesk.db.engine import WRITER_THREAD
from helpdesk.services import agents
from helpdesk.services.mail.mailboxes import MailboxInput
from helpdesk.ui.context import UiContext
from tests.ui.flet_wire import offline_page
from tests.writer_guard import MemoryKeyring


async def _as_admin(app, ann, action, *args, **kwargs):  # type: ignore[no-untyped-def]
    page, _wire = offline_page()

    async def navigate(_where: str) -> None: ...

    ctx = UiContext(page, app.services, app.settings, app.services.agents.get(ann.id), "test", navigate)
    return await ctx.attempt(action, *args, **kwargs)


def test_a_new_agents_password_is_hashed_off_the_writer(app, ann, monkeypatch):
    threads: list[str] = []
    real = agents._hasher.hash

    def hash_and_note(password, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return real(password, **kwargs)

    monkeypatch.setattr(agents._hasher, "hash", hash_and_note)
    made = asyncio.run(_as_admin(app, ann, app.services.agents.create, "tom@shop.example", "Tom", "long enough pw",
                                 actor=ann))
    assert made is not None and app.services.agents.authenticate("tom@shop.example", "long enough pw")
    assert threads and not any(name.startswith(WRITER_THREAD) for name in threads)


def test_a_mailboxs_passwords_go_to_the_keyring_off_the_writer(app, ann):
    threads: list[str] = []

    class Watched(MemoryKeyring):
        def set_password(self, service, username, password):  # type: ignore[no-untyped-def]
            threads.append(threading.current_thread().name)
            super().set_password(service, username, password)

    ring, previous = Watched(), keyring.get_keyring()
    keyring.set_keyring(ring)
    try:
        made = asyncio.run(_as_admin(app, ann, app.services.mail.mailboxes.add, MailboxInput(
            name="Sales", address="sales@shop.example", imap="imaps://sales:hunter2@imap.example.com",
            smtp="smtps://sales:hunter2@smtp.example.com"), ann))
    finally:
        keyring.set_keyring(previous)
    assert made is not None and made[0].secret_store == "keyring"
    assert sorted(ring.saved.values()) == ["hunter2", "hunter2"]
    assert len(threads) == 2 and not any(name.startswith(WRITER_THREAD) for name in threads)
