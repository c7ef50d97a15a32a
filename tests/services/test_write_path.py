"""One write path, enforced: every write runs on the database's writer thread, and a
blocking database call on the server's event loop is refused, not silently slow."""

from __future__ import annotations

import asyncio
import inspect
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from helpdesk.db.engine import WrongThread
from helpdesk.services.conversations import IncomingMessage


def test_a_write_outside_the_writer_thread_is_refused(services):
    with pytest.raises(WrongThread):
        with services.db.write():
            pass


def test_service_writes_run_on_the_writer_whoever_calls_them(services, ann):
    seen: list[str] = []
    real = services.db.write

    def spy():  # type: ignore[no-untyped-def]
        seen.append(threading.current_thread().name)
        return real()

    services.db.write = spy  # type: ignore[method-assign]
    try:
        cid = services.conversations.receive(IncomingMessage(body="Hi", email="a@example.com")).conversation_id
        with ThreadPoolExecutor(2) as pool:  # from other threads too (API pool, jobs, channel workers)
            list(pool.map(lambda i: services.conversations.add_tag(cid, f"tag{i}", ann), range(6)))
        services.conversations.reply(cid, ann, "Hello")
        services.sla.scan()
    finally:
        services.db.write = real  # type: ignore[method-assign]
    assert seen and all(name.startswith("helpdesk-writer") for name in seen), seen


def test_blocking_the_servers_event_loop_is_refused(app, services):
    async def on_the_server_loop() -> None:
        app.db.serves_on(asyncio.get_running_loop())
        with pytest.raises(WrongThread):
            services.conversations.receive(IncomingMessage(body="Hi", email="a@example.com"))
        with pytest.raises(WrongThread):
            services.inbox.counts  # noqa: B018
            services.agents.count()
        # What handlers do instead: reads in a thread, writes on the writer.
        await app.db.run_read(services.agents.count)
        await app.db.run_write(services.conversations.receive, IncomingMessage(body="Hi", email="a@example.com"))

    asyncio.run(on_the_server_loop())


def test_tags_added_at_the_same_moment_are_all_kept(services, ann):
    """add_tag reads the tags inside its write: concurrent taggers never lose each other's tag."""
    cid = services.conversations.receive(IncomingMessage(body="Hi", email="a@example.com")).conversation_id
    names = [f"label-{i}" for i in range(12)]
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda n: services.conversations.add_tag(cid, n, ann), names))
    assert sorted(services.conversations.tags_of(cid)) == sorted(names)


def test_every_public_service_method_is_a_read_or_a_marked_write(services):
    """A method that opens a write transaction itself must carry @writes (or delegate to one):
    read the source rather than trust a habit."""
    unmarked = []
    for name in dir(services):
        service = getattr(services, name)
        for attr, method in inspect.getmembers(type(service), inspect.isfunction):
            try:
                source = inspect.getsource(method)
            except (OSError, TypeError):  # generated (dataclass) methods have no source
                continue
            if "self.db.write()" in source and not getattr(getattr(service, attr), "writes", False):
                unmarked.append(f"{type(service).__name__}.{attr}")
    assert unmarked == []
