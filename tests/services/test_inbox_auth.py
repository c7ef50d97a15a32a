from datetime import timedelta

import pytest

from helpdesk.services.auth import MAX_FAILURES, SignInFailed
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import Forbidden
from helpdesk.services.inbox import InboxQuery


def receive(services, email, body="hello", **kw):
    return services.conversations.receive(IncomingMessage(body=body, email=email, **kw))


def test_open_conversations_come_longest_waiting_first_across_pages(services, clock, ann):
    ids = []
    for i in range(7):
        ids.append(receive(services, f"w{i}@example.com").conversation_id)
        clock.advance(minutes=10)
    # the oldest one is answered: it leaves the open view
    services.conversations.reply(ids[0], ann, "done", then="pending")
    rows, cursor = [], None
    while True:
        page = services.inbox.page(InboxQuery(status="open"), ann.id, cursor=cursor, limit=2)
        rows += page.rows
        cursor = page.cursor
        if cursor is None:
            break
    assert [r.id for r in rows] == ids[1:]
    assert rows[0].waiting_since < rows[-1].waiting_since


def test_views_and_counts(services, ann, bob):
    mine = receive(services, "m@example.com").conversation_id
    theirs = receive(services, "t@example.com").conversation_id
    receive(services, "u@example.com")
    services.conversations.assign(mine, ann.id, ann)
    services.conversations.assign(theirs, bob.id, ann)
    counts = services.inbox.counts(InboxQuery(status="open"), ann.id)
    assert counts == {"mine": 1, "unassigned": 1, "all": 3, "overdue": 0, "at_risk": 0, "bot": 0, "spam": 0, "mentions": 0}
    assert [r.id for r in services.inbox.page(InboxQuery(view="mine"), ann.id).rows] == [mine]
    row = services.inbox.page(InboxQuery(view="mine"), ann.id).rows[0]
    assert row.assignee_name == "Ann Agent" and row.customer_name == "m@example.com"


def test_unread_mark_clears_when_read_and_returns_with_a_new_message(services, ann):
    cid = receive(services, "r@example.com").conversation_id
    assert services.inbox.page(InboxQuery(), ann.id).rows[0].unread
    services.conversations.mark_read(cid, ann.id)
    assert not services.inbox.page(InboxQuery(), ann.id).rows[0].unread
    receive(services, "r@example.com", body="hello again")
    assert services.inbox.page(InboxQuery(), ann.id).rows[0].unread


def test_resolved_view_is_newest_activity_first(services, ann, clock):
    a = receive(services, "a@example.com").conversation_id
    b = receive(services, "b@example.com").conversation_id
    services.conversations.reply(b, ann, "x", then="resolved")
    clock.advance(minutes=1)
    services.conversations.reply(a, ann, "x", then="resolved")
    rows = services.inbox.page(InboxQuery(status="resolved"), ann.id, limit=1)
    assert rows.rows[0].id == a
    assert [r.id for r in services.inbox.page(InboxQuery(status="resolved"), ann.id, cursor=rows.cursor).rows] == [b]


def test_the_first_account_needs_the_setup_code_whoever_asks(services, settings):
    assert services.auth.needs_owner()
    code = services.auth.setup_code()
    shown = settings.data_dir / "setup-code.txt"
    assert shown.read_text().strip() == code and shown.stat().st_mode & 0o777 == 0o600
    for attempt in (dict(client_ip="127.0.0.1"), dict(setup_code="AAAA-BBBB", client_ip="127.0.0.1")):
        with pytest.raises(Forbidden, match="setup code"):  # being on this machine proves nothing
            services.auth.create_owner("o@shop.example", "Owner", "long password", **attempt)
    assert services.auth.needs_owner()
    # Typed as people type it: lower case, without the dash, from a laptop on the LAN.
    signed = services.auth.create_owner("o@shop.example", "Owner", "long password",
                                        setup_code=code.replace("-", " ").lower(), client_ip="192.168.1.20")
    assert signed.agent.role == "admin"
    assert not shown.exists() and services.auth.setup_code() is None
    with pytest.raises(Forbidden, match="already exists"):
        services.auth.create_owner("x@shop.example", "X", "long password", setup_code=code)


def test_the_desktop_window_this_process_opened_needs_no_code(services):
    signed = services.auth.create_owner("o@shop.example", "Owner", "long password", from_window=True)
    assert signed.agent.role == "admin"


def test_guessing_the_setup_code_is_stopped(services):
    services.auth.setup_code()
    for i in range(20):
        with pytest.raises(Forbidden, match="not right"):
            services.auth.create_owner("o@shop.example", "O", "long password", setup_code=f"GUESS{i:03d}",
                                       client_ip="203.0.113.9")
    with pytest.raises(Forbidden, match="too many wrong setup codes"):
        services.auth.create_owner("o@shop.example", "O", "long password", setup_code=services.auth.setup_code(),
                                   client_ip="203.0.113.9")


def test_remembered_sessions_survive_and_expire(services, ann, clock):
    signed = services.auth.sign_in("ann@shop.example", "correct horse", remember=True)
    assert services.auth.resume(signed.token).id == ann.id
    clock.advance(days=29)
    assert services.auth.resume(signed.token).id == ann.id
    clock.advance(days=2)
    assert services.auth.resume(signed.token) is None
    short = services.auth.sign_in("ann@shop.example", "correct horse", remember=False)
    clock.advance(hours=13)
    assert services.auth.resume(short.token) is None


def test_sign_out_ends_the_session(services, ann):
    signed = services.auth.sign_in("ann@shop.example", "correct horse")
    services.auth.sign_out(signed.token)
    assert services.auth.resume(signed.token) is None


def test_failed_sign_ins_are_slowed_then_paused_for_that_device_only(services, ann, clock):
    delays = []
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(SignInFailed) as failed:
            services.auth.sign_in("ann@shop.example", "wrong", client_ip="192.168.1.66")
        delays.append(failed.value.delay_seconds)
    assert delays == sorted(delays) and delays[-1] > delays[0]
    with pytest.raises(SignInFailed) as paused:
        services.auth.sign_in("ann@shop.example", "wrong", client_ip="192.168.1.66")
    assert paused.value.message == "too many failed attempts from this device; try again in 30 s"
    with pytest.raises(SignInFailed):  # that device waits, even with the right password
        services.auth.sign_in("ann@shop.example", "correct horse", client_ip="192.168.1.66")
    # Ann at the shop PC, and in the desktop window, are not held up by someone else's guessing.
    assert services.auth.sign_in("ann@shop.example", "correct horse", client_ip="192.168.1.20").agent.id == ann.id
    assert services.auth.sign_in("ann@shop.example", "correct horse", client_ip="192.168.1.66",
                                 from_window=True).agent.id == ann.id
    clock.advance(seconds=31)
    with pytest.raises(SignInFailed) as longer:  # each further failure doubles the pause: no hard lock
        services.auth.sign_in("ann@shop.example", "wrong", client_ip="192.168.1.66")
    assert longer.value.message == "too many failed attempts from this device; try again in 60 s"
    clock.advance(seconds=61)
    assert services.auth.sign_in("ann@shop.example", "correct horse", client_ip="192.168.1.66").agent.id == ann.id


def test_presence_shows_other_agents_viewing_and_typing(services, ann, bob, clock):
    services.presence.viewing("s1", ann.id, ann.name, 5)
    services.presence.viewing("s2", bob.id, bob.name, 5)
    assert services.presence.others(5, ann.id) == [("Bob Agent", False)]
    services.presence.typing("s2")
    assert services.presence.others(5, ann.id) == [("Bob Agent", True)]
    clock.advance(timedelta(seconds=7))
    assert services.presence.others(5, ann.id) == [("Bob Agent", False)]
    services.presence.left("s2")
    assert services.presence.others(5, ann.id) == []


def test_open_conversations_nobody_waits_on_come_after_the_waiting_ones(services, clock, ann):
    kept_open = [receive(services, f"k{i}@example.com").conversation_id for i in range(2)]
    for cid in kept_open:
        services.conversations.reply(cid, ann, "answered, kept open", then="open")
    clock.advance(minutes=5)
    waiting = [receive(services, f"q{i}@example.com").conversation_id for i in range(3)]
    seen, cursor = [], None
    while True:
        page = services.inbox.page(InboxQuery(status="open"), ann.id, cursor=cursor, limit=2)
        seen += [r.id for r in page.rows]
        if not (cursor := page.cursor):
            break
    assert seen == waiting + kept_open


def test_a_tampered_cursor_is_a_clear_error(services, ann):
    from helpdesk.services.errors import ValidationFailed
    with pytest.raises(ValidationFailed):
        services.inbox.page(InboxQuery(status="open"), ann.id, cursor="w:not-a-time:x")
