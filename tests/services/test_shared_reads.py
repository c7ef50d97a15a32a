"""Agents' live inboxes share one read when they ask the same at once (services/shared_reads.py),
and still see their own unread marks, Mine, every write and the time passing."""

import threading
from datetime import datetime, timedelta, timezone

import pytest

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.inbox import InboxQuery
from helpdesk.services.shared_reads import FRESH_FOR, SharedReads


def receive(services, email, body="hello"):
    return services.conversations.receive(IncomingMessage(body=body, email=email)).conversation_id


@pytest.fixture
def cat(services):
    agent = services.agents.create("cat@shop.example", "Cat Agent", "correct horse", role="agent", actor=Actor.system())
    return Actor.for_agent(agent)


def test_agents_on_the_same_view_share_one_read_and_keep_their_own_unread_marks(services, ann, cat):
    first = receive(services, "a@example.com")
    second = receive(services, "b@example.com")
    services.conversations.mark_read(first, ann.id)
    reads = services.inbox.shared.reads
    ann_rows = services.inbox.page(InboxQuery(), ann.id, shared=True).rows
    cat_rows = services.inbox.page(InboxQuery(), cat.id, shared=True).rows
    assert services.inbox.shared.reads == reads + 1  # Cat's page came from Ann's read
    assert [r.id for r in ann_rows] == [r.id for r in cat_rows] == [first, second]
    assert [r.unread for r in ann_rows] == [False, True]
    assert [r.unread for r in cat_rows] == [True, True]
    ann_rows[0].tags.append("changed by Ann's screen")  # a session's rows are its own
    assert services.inbox.page(InboxQuery(), cat.id, shared=True).rows[0].tags == []


def test_mine_and_its_count_are_each_agents_own(services, ann, cat):
    hers = receive(services, "a@example.com")
    services.conversations.assign(hers, cat.id, ann)
    assert services.inbox.page(InboxQuery(view="mine"), ann.id, shared=True).rows == []
    assert [r.id for r in services.inbox.page(InboxQuery(view="mine"), cat.id, shared=True).rows] == [hers]
    assert services.inbox.counts(InboxQuery(), ann.id, shared=True)["mine"] == 0
    assert services.inbox.counts(InboxQuery(), cat.id, shared=True) == \
        {"mine": 1, "unassigned": 0, "all": 1, "overdue": 0, "at_risk": 0, "bot": 0, "spam": 0, "mentions": 0}


def test_a_write_after_a_read_is_seen_by_the_next_agent_who_asks(services, ann, cat):
    receive(services, "a@example.com")
    assert len(services.inbox.page(InboxQuery(), ann.id, shared=True).rows) == 1
    assert services.inbox.counts(InboxQuery(), ann.id, shared=True)["all"] == 1
    newer = receive(services, "b@example.com")
    assert newer in [r.id for r in services.inbox.page(InboxQuery(), cat.id, shared=True).rows]
    assert services.inbox.counts(InboxQuery(), cat.id, shared=True)["all"] == 2


def test_a_conversation_turns_overdue_as_the_clock_moves_without_any_write(services, ann, cat, clock):
    services.sla.set_policy("normal", 60, 60, 60 * 24, False, ann)  # a reply within the hour, around the clock
    late = receive(services, "late@example.com")
    assert services.inbox.page(InboxQuery(view="overdue"), ann.id, shared=True).rows == []
    assert services.inbox.counts(InboxQuery(), ann.id, shared=True)["overdue"] == 0
    clock.advance(minutes=61)
    assert [r.id for r in services.inbox.page(InboxQuery(view="overdue"), cat.id, shared=True).rows] == [late]
    assert services.inbox.counts(InboxQuery(), cat.id, shared=True)["overdue"] == 1


class Versions:
    def __init__(self) -> None:
        self.value = 0


def shared_reads(now=lambda: datetime(2026, 3, 2, tzinfo=timezone.utc)):
    versions = Versions()
    return SharedReads(lambda: versions.value, now), versions


def test_who_asks_while_a_read_runs_gets_its_result_without_reading_again():
    shared, _ = shared_reads()
    started, release = threading.Event(), threading.Event()
    answers: list[str] = []

    def slow_read() -> str:
        started.set()
        release.wait(5)
        return "the first read's rows"

    first = threading.Thread(target=lambda: answers.append(shared.get("all", slow_read)))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: answers.append(shared.get("all", lambda: "a second read")))
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert answers == ["the first read's rows"] * 2 and shared.reads == 1


def test_a_read_that_fails_is_not_shared():
    shared, _ = shared_reads()
    started, release = threading.Event(), threading.Event()
    outcome: list[str] = []

    def failing_read() -> str:
        started.set()
        release.wait(5)
        raise RuntimeError("the database went away")

    def first_asker() -> None:
        try:
            shared.get("all", failing_read)
        except RuntimeError as exc:
            outcome.append(str(exc))

    first = threading.Thread(target=first_asker)
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: outcome.append(shared.get("all", lambda: "its own read")))
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert sorted(outcome) == ["its own read", "the database went away"]
    assert shared.get("all", lambda: "read again") == "read again"


def test_a_result_is_not_shared_after_a_write_or_once_it_is_older_than_fresh_for():
    now = [datetime(2026, 3, 2, tzinfo=timezone.utc)]
    shared, versions = shared_reads(lambda: now[0])
    assert shared.get("all", lambda: 1) == 1
    assert shared.get("all", lambda: 2) == 1  # nothing written, a moment later: shared
    versions.value += 1
    assert shared.get("all", lambda: 3) == 3  # something was written since
    now[0] += timedelta(seconds=FRESH_FOR + 0.5)
    assert shared.get("all", lambda: 4) == 4  # the clock moved on (overdue flags)
    assert shared.get("other view", lambda: 5) == 5  # another question
