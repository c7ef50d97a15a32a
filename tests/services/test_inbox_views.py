"""Every inbox view under every status filter: the number beside a view is the rows it lists,
with bots' conversations counted in the Bot view only; and on SQLite each view's page reads
conversations through the index that gives its order (a wrong choice sorted every
conversation: 300-450 ms a page at a million messages, see docs/performance.md)."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.inbox import STATUS_FILTERS, VIEWS, InboxQuery


def receive(services, email: str) -> int:
    return services.conversations.receive(IncomingMessage(body="hello", email=email)).conversation_id


def listed(services, query: InboxQuery, agent_id: int) -> list[int]:
    ids, cursor = [], None
    while True:
        page = services.inbox.page(query, agent_id, cursor=cursor, limit=2)
        ids += [r.id for r in page.rows]
        cursor = page.cursor
        if cursor is None:
            return ids


@pytest.fixture
def shop(services, clock, ann, bob):
    """Team and bot conversations in every status, held by Ann, Bob or nobody."""
    team = [receive(services, f"t{i}@example.com") for i in range(8)]
    services.tokens.create("Order bot", actor=Actor.system(), scopes=["read", "reply"], first_responder="api")
    bots = [receive(services, f"b{i}@example.com") for i in range(4)]
    assert services.conversations.get_row(bots[0]).bot_token_id is not None
    for cid, holder in zip(team[:5] + bots[:2], (ann, ann, bob, ann, bob, bob, ann)):
        services.conversations.assign(cid, holder.id, ann)
    later = clock.now() + timedelta(days=1)
    for cid, status in ((team[1], "pending"), (team[2], "resolved"), (team[3], "snoozed"), (team[6], "resolved"),
                        (bots[1], "resolved")):
        services.conversations.set_status(cid, status, ann, snooze_until=later if status == "snoozed" else None)
    return team, bots


def test_the_number_beside_each_view_is_the_rows_it_lists(services, ann, bob, shop):
    team, bots = shop
    for status in STATUS_FILTERS:
        for agent in (ann, bob):
            query = InboxQuery(status=status)
            lists = {view: listed(services, InboxQuery(view=view, status=status), agent.id) for view in VIEWS}
            expected = {view: len(ids) for view, ids in lists.items()}
            assert services.inbox.counts(query, agent.id) == expected, (status, agent.name)
            # The live inbox's: the team's and every agent's Mine in one read, shared.
            assert services.inbox.counts(query, agent.id, shared=True) == expected, (status, agent.name)
            assert not set(lists["all"]) & set(bots)
    assert sorted(listed(services, InboxQuery(view="all", status="any"), ann.id)) == sorted(team)
    assert sorted(listed(services, InboxQuery(view="bot"), ann.id)) == sorted(set(bots) - {bots[1]})
    assert services.inbox.counts(InboxQuery(status="open"), ann.id) == {
        "mine": 1, "unassigned": 2, "all": 4, "overdue": 0, "at_risk": 0, "bot": 3, "spam": 0, "mentions": 0}


EXPECTED_INDEX = {  # the index each page's read of conversations walks, in the page's order
    **{(view, "open"): "ix_conversation_status_waiting" for view in ("mine", "unassigned", "all")},
    **{(view, status): "ix_conversation_assignee_status_last"
       for view in ("mine", "unassigned") for status in ("pending", "snoozed", "resolved")},
    **{(view, "any"): "ix_conversation_assignee_last" for view in ("mine", "unassigned")},
    **{("all", status): "ix_conversation_status_last" for status in ("pending", "snoozed", "resolved")},
    ("all", "any"): "ix_conversation_last",
    ("overdue", "open"): "ix_conversation_status_waiting",
    ("at_risk", "open"): "ix_conversation_status_waiting",
    ("bot", "open"): "ix_conversation_bot_waiting",
}


def conversation_plans(app, run) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(statement, how SQLite reads the conversation table in it) for each statement `run` executes."""
    statements: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(app.db.engine, "before_cursor_execute", grab)
    try:
        run()
    finally:
        event.remove(app.db.engine, "before_cursor_execute", grab)
    plans = []
    with app.db.engine.connect() as conn:
        for statement, parameters in statements:
            if "FROM conversation" in statement:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                plans += [(statement, r[3]) for r in rows if " conversation " in f"{r[3]} "]
    return plans


def test_each_views_page_walks_the_index_of_its_order_and_counts_read_no_table(app, services, ann, shop):
    if app.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plans (PostgreSQL plans from its statistics)")
    for (view, status), index in EXPECTED_INDEX.items():
        plans = conversation_plans(app, lambda: services.inbox.page(InboxQuery(view=view, status=status), ann.id))
        assert plans and all(re.search(rf"USING (COVERING )?INDEX {index}( |$)", plan) for _, plan in plans), \
            (view, status, plans)
    for status, shared in itertools.product(STATUS_FILTERS, (False, True)):
        services.inbox.shared.forget()
        plans = conversation_plans(app, lambda: services.inbox.counts(InboxQuery(status=status), ann.id, shared))
        assert all(" USING " in plan for _, plan in plans), (status, plans)  # no count reads the whole table
        # "Not a bot's" is counted as all less the bots', and the bots' are found by their own indexes.
        bots = [plan for statement, plan in plans if "bot_token_id IS NOT NULL" in statement]
        assert bots and all("_bot_" in plan for plan in bots), (status, bots)


def test_a_shared_page_finds_every_agents_read_marks_by_key(app, services, ann, shop):
    if app.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plans (PostgreSQL plans from its statistics)")
    statements: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    services.inbox.shared.forget()
    event.listen(app.db.engine, "before_cursor_execute", grab)
    try:
        services.inbox.page(InboxQuery(status="any"), ann.id, shared=True)
    finally:
        event.remove(app.db.engine, "before_cursor_execute", grab)
    with app.db.engine.connect() as conn:
        plans = [row[3] for statement, parameters in statements if "FROM conversation_read" in statement
                 for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                 if "conversation_read" in row[3]]
    assert plans and all(plan.startswith("SEARCH conversation_read USING") for plan in plans), plans


def test_every_column_a_view_filters_on_is_one_a_follow_up_says_it_kept(services):
    """A conversation.updated event marked views_kept (conversations/status.py) lets every agent's
    screen skip counting the views again: that is right only while VIEW_COLUMNS names every
    column the views' conditions read, besides the status and the SLA deadlines (a new deadline
    is always in the future)."""
    from sqlalchemy.sql import visitors

    from helpdesk.models.tables import CONVERSATIONS
    from helpdesk.services.conversations.status import VIEW_COLUMNS
    from helpdesk.services.sla import DUE_COLUMNS

    read: set[str] = set()
    for view, status in itertools.product(VIEWS, STATUS_FILTERS):
        query = InboxQuery(view=view, status=status, tag="vip", priority="high", team_id=1)
        for condition in services.inbox._filters(query, 1):
            read |= {c.name for c in visitors.iterate(condition)
                     if getattr(c, "table", None) is CONVERSATIONS and hasattr(c, "name")}
    assert read - {"id", "status", *DUE_COLUMNS} <= VIEW_COLUMNS
    assert {"assignee_id", "bot_token_id", "priority", "team_id"} <= read  # the test sees what it checks
