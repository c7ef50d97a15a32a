"""The workspace's controller, without a browser: selection, rows, drafts, search, live
events and sending, on a ManualClock and a real database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from helpdesk import events
from helpdesk.services.conversations import IncomingMessage
from helpdesk.events import PRESENCE_CHANGED, SLA_BREACHED
from helpdesk.ui.workspace.controller import WorkspaceController, snooze_presets


class Backend:
    """What the UI context does: reads in a worker thread, writes on the writer thread."""

    def __init__(self, db) -> None:  # type: ignore[no-untyped-def]
        self.db = db

    async def read(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def write(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        return await self.db.run_write(fn, *args, **kwargs)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def ws(services, ann, monotonic) -> WorkspaceController:
    return WorkspaceController(services, ann, Backend(services.db), "page-1", monotonic)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def customer_writes(services, email: str, body: str, **kw) -> int:
    return services.conversations.receive(IncomingMessage(body=body, email=email, **kw)).conversation_id


def test_the_inbox_lists_the_longest_waiting_first_with_counts(ws, services, clock, ann):
    first = customer_writes(services, "early@example.com", "First")
    clock.advance(minutes=10)
    second = customer_writes(services, "late@example.com", "Second")
    services.conversations.assign(second, ann.id, ann)
    run(ws.load_inbox())
    assert [r.id for r in ws.rows] == [first, second]
    assert ws.counts["all"] == 2 and ws.counts["mine"] == 1 and ws.counts["unassigned"] == 1
    assert ws.window_title() == "Helpdesk (1 unassigned)"
    run(ws.set_view("mine"))
    assert [r.id for r in ws.rows] == [second]
    run(ws.set_filters("resolved", None, None))
    assert ws.rows == []


def test_opening_a_conversation_reads_it_and_remembers_where_the_agent_was(ws, services, clock, ann):
    cid = customer_writes(services, "carol@example.com", "Where is my parcel?")
    services.drafts.save(ann.id, cid, "Half a reply", None)
    run(ws.load_inbox())
    assert ws.rows[0].unread
    opened = run(ws.open(cid))
    assert opened.switched and opened.draft == "Half a reply"
    assert opened.detail.messages[-1].body == "Where is my parcel?"
    assert not ws.rows[0].unread  # the row stops looking unread at once
    run(ws.after_open(opened))
    assert services.drafts.location(ann.id) == cid
    run(ws.load_inbox())
    assert not ws.rows[0].unread  # and stays read
    again = run(ws.open(cid))
    assert not again.switched and again.draft is None  # a re-read keeps what is in the reply box


def test_a_slow_open_overtaken_by_another_click_is_dropped(ws, services):
    first = customer_writes(services, "a@example.com", "A")
    second = customer_writes(services, "b@example.com", "B")

    async def both():  # type: ignore[no-untyped-def]
        return await asyncio.gather(ws.open(first), ws.open(second))

    older, newer = run(both())
    assert older is None and newer is not None and ws.selected_id == second


def test_live_events_for_the_open_conversation_refresh_the_thread(ws, services, ann):
    cid = customer_writes(services, "carol@example.com", "Hi")
    other = customer_writes(services, "dan@example.com", "Hello")
    run(ws.open(cid))
    refresh = ws.merge([events.Event(events.MESSAGE_CREATED, other)])
    assert refresh.inbox and not refresh.thread
    refresh = ws.merge([events.Event(events.MESSAGE_CREATED, cid), events.Event(PRESENCE_CHANGED, cid)])
    assert refresh.inbox and refresh.thread
    assert ws.merge([events.Event(PRESENCE_CHANGED, cid)]).presence
    breach = events.Event(SLA_BREACHED, cid, {"target": "first_response"})
    assert ws.merge([breach]).breaches == [breach]


def test_a_draft_from_the_agents_other_device_arrives_unless_they_are_typing_here(ws, services, ann, monotonic):
    cid = customer_writes(services, "carol@example.com", "Hi")
    run(ws.open(cid))
    saved = events.Event(events.DRAFT_SAVED, cid, {"agent_id": ann.id, "body": "typed on the laptop"})
    assert ws.merge([saved]).remote_draft == "typed on the laptop"
    ws.typed()
    monotonic.now += 1.0
    assert ws.merge([saved]).remote_draft is None  # typing here wins
    monotonic.now += 1.5
    assert ws.merge([saved]).remote_draft == "typed on the laptop"
    someone_else = events.Event(events.DRAFT_SAVED, cid, {"agent_id": ann.id + 1, "body": "theirs"})
    assert ws.merge([someone_else]).remote_draft is None


def test_a_reply_started_before_the_customer_wrote_again_asks_first(ws, services, clock):
    cid = customer_writes(services, "carol@example.com", "Is it in stock?")
    run(ws.open(cid))
    ws.typed()  # the agent starts typing, having seen the first message
    clock.advance(minutes=2)
    customer_writes(services, "carol@example.com", "Never mind, found it", conversation_id=cid)
    outcome = run(ws.send("It is!", "pending"))
    assert not outcome.sent and outcome.unseen == 1
    assert services.conversations.get_row(cid).status == "open"  # nothing was sent
    outcome = run(ws.send("Great, enjoy!", "resolved", confirmed=True))
    assert outcome.sent and outcome.words == "Sent and resolved"
    assert services.conversations.get_row(cid).status == "resolved"


def test_sending_nothing_or_a_refused_reply_explains_itself(ws, services, clock):
    cid = customer_writes(services, "carol@example.com", "Hi")
    run(ws.open(cid))
    assert run(ws.send("   ", "pending")).words == "Write something first."
    refused = run(ws.send("x" * 100_001, "pending"))
    assert not refused.sent and "at most 100000 characters" in refused.words
    assert run(ws.send("Noted internally", "note")).words == "Note added"


def test_search_replaces_the_list_until_closed(ws, services):
    customer_writes(services, "carol@example.com", "My sprocket is bent")
    run(ws.search("sprocket"))
    assert [h.customer_name for h in ws.hits] == ["carol@example.com"]
    assert not ws.merge([events.Event(events.MESSAGE_CREATED, 99)]).inbox  # results stay put
    ws.clear_search()
    assert ws.searching is None and ws.merge([events.Event(events.MESSAGE_CREATED, 99)]).inbox


def test_a_search_closed_while_it_ran_leaves_no_results_behind(ws, services):
    """Escape pressed (or a new search begun) before the results came back: the late results
    must not take the list over again."""
    customer_writes(services, "carol@example.com", "My sprocket is bent")

    async def scenario() -> None:
        first = asyncio.create_task(ws.search("sprocket"))
        await asyncio.sleep(0)  # the search is reading
        ws.clear_search()
        await first
        assert ws.searching is None and ws.hits == []
        slow = asyncio.create_task(ws.search("sprocket"))
        await asyncio.sleep(0)
        await ws.search("nothing-like-this")
        await slow
        assert ws.searching == "nothing-like-this" and ws.hits == []

    run(scenario())


def test_snooze_presets_are_in_the_agents_time_zone():
    zone = ZoneInfo("Europe/Berlin")
    thursday_evening = datetime(2026, 3, 5, 21, 30, tzinfo=timezone.utc)  # 22:30 in Berlin
    presets = dict(snooze_presets(thursday_evening, zone))
    assert presets["For 1 hour"] == thursday_evening + timedelta(hours=1)
    assert presets["Until tomorrow 9:00"] == datetime(2026, 3, 6, 9, 0, tzinfo=zone)
    assert presets["Until Monday 9:00"] == datetime(2026, 3, 9, 9, 0, tzinfo=zone)


def test_moving_through_the_list_stops_at_its_ends(ws, services, clock):
    ids = []
    for i in range(3):
        ids.append(customer_writes(services, f"c{i}@example.com", "Hi"))
        clock.advance(minutes=1)
    run(ws.load_inbox())
    assert ws.neighbour(1) == ids[0]  # nothing open: the first
    run(ws.open(ids[2]))
    assert ws.neighbour(1) == ids[2] and ws.neighbour(-1) == ids[1]


def test_live_refreshes_read_the_tag_choices_when_a_tag_changed_or_half_a_minute_passed(ws, services, ann) -> None:
    """The tag filter's choices are not read on every live refresh (they change seldom), but a
    tag someone just added is offered at once."""
    async def scenario() -> None:
        conversation_id = customer_writes(services, "tagged@example.com", "My brake squeaks")
        await ws.load_inbox()
        assert ws.tags == []
        tags = services.conversations.add_tag(conversation_id, "warranty", ann)
        await ws.load_inbox(keep=True)
        assert ws.tags == []  # nothing said a tag changed, and it was read a moment ago
        ws.merge([events.Event(events.CONVERSATION_UPDATED, conversation_id, {"tags": tags})])
        await ws.load_inbox(keep=True)
        assert ws.tags == ["warranty"]
        services.conversations.add_tag(conversation_id, "bike", ann)
        ws.monotonic.now += 31  # type: ignore[attr-defined]
        await ws.load_inbox(keep=True)
        assert ws.tags == ["bike", "warranty"]

    asyncio.run(scenario())


def test_live_refreshes_read_rows_and_leave_the_counts_for_later_and_a_view_change_keeps_them(ws, services, monotonic):
    """Rows first: a live refresh reads only rows and marks the counts (dearer than a page of
    rows at a million messages) stale, due a second after they were last read."""
    async def scenario() -> None:
        customer_writes(services, "one@example.com", "First")
        await ws.load_inbox()
        assert ws.counts["all"] == 1 and not ws.counts_stale
        customer_writes(services, "two@example.com", "Second")
        await ws.load_inbox(keep=True)
        assert len(ws.rows) == 2  # the new row is there at once
        assert ws.counts["all"] == 1 and ws.counts_stale and ws.counts_wait() == 1.0
        monotonic.now += 0.4
        assert ws.counts_wait() == pytest.approx(0.6)
        await ws.load_counts()
        assert ws.counts["all"] == 2 and not ws.counts_stale
        customer_writes(services, "three@example.com", "Third")
        await ws.set_view("unassigned")  # the counts do not depend on the view
        assert len(ws.rows) == 3 and ws.counts["all"] == 2 and not ws.counts_stale
        await ws.load_inbox(keep=True)
        assert ws.counts["all"] == 2 and ws.counts_stale and ws.counts_wait() == 1.0
        monotonic.now += 1.0
        assert ws.counts_wait() == 0
        await ws.load_counts()
        assert ws.counts["all"] == 3 and not ws.counts_stale

    run(scenario())


def test_a_follow_up_to_an_open_conversation_leaves_the_view_counts_alone_other_changes_do_not(ws, services, ann):
    """Fifty agents' sessions each count every view again after a change that may move a
    conversation between views; after a customer's follow-up to an open conversation nothing
    can have moved, and counting is skipped (bench/sessions.py)."""
    published: list[events.Event] = []
    services.db.bus.subscribe(published.append)

    def refresh_after(change) -> bool:  # type: ignore[no-untyped-def]
        published.clear()
        change()
        return ws.merge(list(published)).counts

    cid = 0

    def first() -> None:
        nonlocal cid
        cid = customer_writes(services, "carol@example.com", "Is the blue one in stock?")

    assert refresh_after(first)  # a new conversation: All and Unassigned grow
    before = services.inbox.counts(ws.query, ann.agent_id)
    assert not refresh_after(lambda: customer_writes(services, "carol@example.com", "Size M, please",
                                                     conversation_id=cid))
    assert services.inbox.counts(ws.query, ann.agent_id) == before  # and indeed nothing moved
    assert refresh_after(lambda: services.conversations.reply(cid, ann, "Checking for you", then="open"))  # taken: Mine
    assert refresh_after(lambda: services.conversations.reply(cid, ann, "It is in stock", then="pending"))
    assert refresh_after(lambda: customer_writes(services, "carol@example.com", "Great", conversation_id=cid))  # open again
    assert ws.merge([events.Event(SLA_BREACHED, cid, {"target": "first_response"})]).counts  # Overdue grows
