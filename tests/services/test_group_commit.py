"""Group commit: customer messages that arrive together share one transaction and one commit;
each is acknowledged only after that commit, idempotent and isolated (one bad message fails
alone, not its batch); a commit that fails acknowledges none of them."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import event, func, select

from helpdesk.models import AppSetting, Customer, CustomerIdentifier, Message
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import Conflict, NotFound, ValidationFailed


def stored_messages(services) -> int:
    with services.db.read() as s:
        return s.execute(select(func.count()).select_from(Message)).scalar_one()


class Commits:
    """Counts the write transactions that commit (COMMIT statements on the write engine)."""

    def __init__(self, services) -> None:
        self.count = 0
        self.fail_next = False
        self.engine = services.db.engine

    def __enter__(self) -> "Commits":
        event.listen(self.engine, "commit", self._on_commit)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "commit", self._on_commit)

    def _on_commit(self, conn) -> None:  # type: ignore[no-untyped-def]
        if conn.get_execution_options().get("helpdesk_write"):
            self.count += 1
            if self.fail_next:
                self.fail_next = False
                raise OSError("disk full")


async def arrive_together(services, messages: list[IncomingMessage]) -> list:
    """Queue every message while the writer is busy, as a burst of requests does."""
    gate = threading.Event()
    busy = asyncio.get_running_loop().run_in_executor(services.db._writer, gate.wait)
    calls = [asyncio.ensure_future(services.db.run_write_batched(services.conversations.receive, m))
             for m in messages]
    await asyncio.sleep(0.05)  # every call is queued behind the busy writer
    gate.set()
    await busy
    return await asyncio.gather(*calls, return_exceptions=True)


def test_a_burst_of_messages_is_one_commit_and_every_one_is_stored(services):
    messages = [IncomingMessage(body=f"message {n}", email=f"c{n % 7}@example.com", idempotency_key=f"k{n}")
                for n in range(50)]
    with Commits(services) as commits:
        results = asyncio.run(arrive_together(services, messages))
    assert commits.count == 1
    assert all(not isinstance(r, Exception) for r in results)
    assert len({r.message_id for r in results}) == 50 and stored_messages(services) == 50
    # customers first seen inside the batch are one customer each, later messages joining their thread
    assert len({r.customer_id for r in results}) == 7 and len({r.conversation_id for r in results}) == 7


def test_one_bad_message_fails_alone_and_a_repeated_key_is_a_replay(services):
    messages = [IncomingMessage(body="first", email="ann@example.com", idempotency_key="same"),
                IncomingMessage(body="   ", email="bob@example.com"),  # no text: refused
                IncomingMessage(body="first", email="ann@example.com", idempotency_key="same"),  # a retry
                IncomingMessage(body="changed", email="ann@example.com", idempotency_key="same"),  # key reused
                IncomingMessage(body="fine", email="cat@example.com")]
    events: list = []
    services.events.subscribe(events.append)
    results = asyncio.run(arrive_together(services, messages))
    assert isinstance(results[1], ValidationFailed) and isinstance(results[3], Conflict)
    assert results[2].replayed and results[2].message_id == results[0].message_id
    assert results[4].message_id and stored_messages(services) == 2
    created = [e for e in events if e.type == "message.created"]
    assert sorted(e.data["message_id"] for e in created) == sorted([results[0].message_id, results[4].message_id])


def test_a_message_refused_after_it_began_writing_leaves_nothing_behind(services):
    ann = services.conversations.receive(IncomingMessage(body="hello", email="ann@example.com"))
    # A stranger naming Ann's conversation: refused after the stranger was already made a customer.
    messages = [IncomingMessage(body="mine now", email="mallory@example.com", conversation_id=ann.conversation_id),
                IncomingMessage(body="fine", email="cat@example.com")]
    results = asyncio.run(arrive_together(services, messages))
    assert isinstance(results[0], NotFound) and results[1].message_id
    with services.db.read() as s:
        values = s.execute(select(CustomerIdentifier.value)).scalars().all()
        assert sorted(values) == ["ann@example.com", "cat@example.com"]
        assert s.execute(select(func.count()).select_from(Customer)).scalar_one() == 2
    assert stored_messages(services) == 2


def test_what_a_failed_write_left_pending_in_the_session_is_not_committed(services):
    def half_done() -> None:
        with services.db.write() as tx:
            tx.session.add(AppSetting(key="half", value={"done": False}))
            raise ValueError("gave up")

    def whole() -> None:
        with services.db.write() as tx:
            tx.session.add(AppSetting(key="whole", value={"done": True}))

    async def together() -> list:
        return await asyncio.gather(services.db.run_write_batched(half_done), services.db.run_write_batched(whole),
                                    return_exceptions=True)

    results = asyncio.run(together())
    assert isinstance(results[0], ValueError) and results[1] is None
    with services.db.read() as s:
        assert s.execute(select(AppSetting.key).where(AppSetting.key.in_(["half", "whole"]))).scalars().all() == ["whole"]


def test_a_failed_commit_acknowledges_none_of_its_batch(services):
    messages = [IncomingMessage(body=f"message {n}", email="dan@example.com") for n in range(5)]
    with Commits(services) as commits:
        commits.fail_next = True
        results = asyncio.run(arrive_together(services, messages))
    assert all(isinstance(r, OSError) for r in results)
    assert stored_messages(services) == 0
    again = asyncio.run(arrive_together(services, messages))  # the senders retry: all stored, once
    assert all(not isinstance(r, Exception) for r in again) and stored_messages(services) == 5


def test_a_batch_never_holds_more_than_its_limit(services, monkeypatch):
    monkeypatch.setattr("helpdesk.db.engine.BATCH_LIMIT", 8)
    messages = [IncomingMessage(body=f"m{n}", email="eve@example.com") for n in range(20)]
    with Commits(services) as commits:
        results = asyncio.run(arrive_together(services, messages))
    assert commits.count == 3 and stored_messages(services) == 20
    assert not any(isinstance(r, Exception) for r in results)


def test_a_write_on_its_own_still_commits_by_itself(services):
    with Commits(services) as commits:
        services.conversations.receive(IncomingMessage(body="on its own", email="fay@example.com"))
    assert commits.count == 1


def test_a_write_that_catches_its_own_failed_write_keeps_only_what_it_meant_to(services):
    """A failed inner write that changed rows is undone even when the caller goes on (the batch
    then runs again with a savepoint for each write), and nothing around it is lost or doubled."""

    def recovers() -> str:
        try:
            with services.db.write() as tx:
                tx.session.add(AppSetting(key="lost", value={}))
                tx.session.flush()
                raise ValueError("gave up half way")
        except ValueError:
            pass
        with services.db.write() as tx:
            tx.session.add(AppSetting(key="kept", value={}))
        return "went on"

    async def together() -> list:
        gate = threading.Event()
        busy = asyncio.get_running_loop().run_in_executor(services.db._writer, gate.wait)
        calls = [asyncio.ensure_future(services.db.run_write_batched(services.conversations.receive, m))
                 for m in (IncomingMessage(body="before", email="gil@example.com"),)]
        calls.append(asyncio.ensure_future(services.db.run_write_batched(recovers)))
        calls.append(asyncio.ensure_future(services.db.run_write_batched(
            services.conversations.receive, IncomingMessage(body="after", email="gil@example.com"))))
        while len(services.db._queued) < 3:  # all three wait behind the gate, to go as one group
            await asyncio.sleep(0)
        gate.set()
        await busy
        return await asyncio.gather(*calls, return_exceptions=True)

    with Commits(services) as commits:
        results = asyncio.run(together())
    assert results[1] == "went on" and commits.count == 1
    assert results[0].conversation_id == results[2].conversation_id and stored_messages(services) == 2
    with services.db.read() as s:
        assert s.execute(select(AppSetting.key).where(AppSetting.key.in_(["lost", "kept"]))).scalars().all() == ["kept"]


def test_a_group_commit_that_cannot_begin_answers_every_message_and_the_next_one_stores(services, monkeypatch):
    from helpdesk.db import engine

    real, failures = engine._Batch.__init__, [OSError("disk I/O error")]

    def begin(self, *args):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        real(self, *args)

    monkeypatch.setattr(engine._Batch, "__init__", begin)
    messages = [IncomingMessage(body=f"m{n}", email="fay@example.com") for n in range(3)]
    results = asyncio.run(asyncio.wait_for(arrive_together(services, messages), 10))  # answered, not left waiting
    assert all(isinstance(r, OSError) for r in results) and stored_messages(services) == 0
    again = asyncio.run(arrive_together(services, messages))
    assert all(not isinstance(r, Exception) for r in again) and stored_messages(services) == 3
