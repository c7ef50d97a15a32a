"""The inbox list's updates, as bytes a browser would receive (a Flet session with no
browser behind it): a refresh sends what changed on screen and not the rows that did not."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import flet as ft

from helpdesk.models import OPEN
from helpdesk.services.inbox import InboxRow
from helpdesk.services.sla import Due
from helpdesk.ui.workspace.inbox_list import InboxList
from tests.ui.flet_wire import offline_page

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)


def row(i: int, preview: str = "Where is my parcel?", **changes: object) -> InboxRow:
    fields: dict = dict(id=i, customer_name=f"Customer {i:03d}", title=f"Order {i} has not arrived", preview=preview,
                        status=OPEN, priority="normal", waiting_since=NOW - timedelta(minutes=i),
                        last_message_at=NOW - timedelta(minutes=i), assignee_name="Bea", tags=["shipping"], unread=False)
    fields.update(changes)
    return InboxRow(**fields)


async def _listed(rows: list[InboxRow]) -> tuple[ft.Page, object, InboxList]:
    page, wire = offline_page()
    inbox = InboxList(page, None, None)  # type: ignore[arg-type]
    inbox.show(rows, None, NOW, False, "all", False)
    page.add(inbox.view)
    return page, wire, inbox


def test_a_new_message_sends_its_row_and_the_new_order_not_the_other_rows() -> None:
    async def scenario() -> None:
        rows = [row(i) for i in range(1, 31)]
        page, wire, inbox = await _listed(rows)
        assert b"Customer 017" in wire.sent_since(0)  # everything went out once, when listed
        mark = len(wire.sent)
        moved = row(17, "Any news? It is my daughter's birthday", unread=True)
        changed = inbox.show([moved] + [r for r in rows if r.id != 17], None, NOW, False, "all", False)
        assert changed == [inbox.rows[17].control]
        page.update(inbox.view, *changed)
        sent = wire.sent_since(mark)
        assert "my daughter's birthday".encode() in sent
        assert b"Customer 005" not in sent and b"Order 5 has" not in sent  # unchanged rows are not sent again
        assert inbox.view.controls[0] is inbox.rows[17].control  # moved to the top, the same control

    asyncio.run(scenario())


def test_a_refresh_with_nothing_new_changes_no_row() -> None:
    async def scenario() -> None:
        rows = [row(i) for i in range(1, 11)]
        _, _, inbox = await _listed(rows)
        assert inbox.show([row(i) for i in range(1, 11)], None, NOW, False, "all", False) == []

    asyncio.run(scenario())


def test_time_passing_updates_only_rows_whose_words_change() -> None:
    async def scenario() -> None:
        rows = [row(1, waiting_since=NOW - timedelta(minutes=3)),
                row(2, waiting_since=NOW - timedelta(days=3), last_message_at=NOW - timedelta(days=3))]
        page, wire, inbox = await _listed(rows)
        first = inbox.rows[1].corner_text.value
        changed = inbox.tick(NOW + timedelta(minutes=5))  # 3 min → 8 min; 3 days is still 3 days
        assert changed == [inbox.rows[1].control]
        assert inbox.rows[1].corner_text.value != first
        mark = len(wire.sent)
        page.update(*changed)
        assert inbox.rows[1].corner_text.value.encode() in wire.sent_since(mark)

    asyncio.run(scenario())


def test_an_overdue_row_shows_the_alarm_and_the_highlight_follows_the_open_one() -> None:
    async def scenario() -> None:
        overdue = row(1, due=Due("first_response", NOW - timedelta(minutes=10), True, True))
        page, wire, inbox = await _listed([overdue, row(2)])
        assert inbox.rows[1].corner_icon.visible and inbox.rows[1].corner_icon.icon == ft.Icons.ALARM
        assert inbox.rows[1].corner_text.color == ft.Colors.ERROR
        changed = inbox.select(2)
        assert changed == [inbox.rows[2].control]
        assert inbox.rows[2].control.bgcolor == ft.Colors.SECONDARY_CONTAINER
        assert inbox.select(1) == [inbox.rows[1].control, inbox.rows[2].control]  # one lit, one dimmed

    asyncio.run(scenario())


def test_a_customer_who_just_wrote_waits_under_a_minute_and_their_row_holds_still_meanwhile() -> None:
    """Seconds in a list redrawn every half minute were stale, and changed every fresh row on
    every refresh (for every agent signed in): the inbox counts whole minutes."""
    async def scenario() -> None:
        fresh = row(1, waiting_since=NOW - timedelta(seconds=5), last_message_at=NOW - timedelta(seconds=5))
        due_soon = row(2, due=Due("first_response", NOW + timedelta(seconds=40), True, False))
        _, _, inbox = await _listed([fresh, due_soon])
        assert inbox.rows[1].corner_text.value == "waiting <1 min"
        assert inbox.rows[2].corner_text.value == "First reply due in <1 min"
        assert inbox.show([fresh, due_soon], None, NOW + timedelta(seconds=30), False, "all", False) == []
        assert inbox.tick(NOW + timedelta(seconds=30)) == []
        assert inbox.tick(NOW + timedelta(seconds=70)) == [inbox.rows[1].control, inbox.rows[2].control]
        assert inbox.rows[1].corner_text.value == "waiting 1 min"
        assert inbox.rows[2].corner_text.value == "First reply overdue by <1 min"

    asyncio.run(scenario())
