"""Teams in a real Chromium with real mail (Dovecot on loopback): an admin makes the Workshop
team and sends the Workshop mailbox's new conversations to it in Settings; a customer's mail
to that mailbox waits in the Workshop's Unassigned queue (the inbox filtered by team); with
the workshop's round-robin rule on, the next mail is given to one of its members, and the
thread says how it got there."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from helpdesk.services.mail.mailboxes import MailboxInput
from tests.browser import needs_chromium, open_app, open_settings, shown, sign_in, type_into
from tests.mail.conftest import dovecot, smtp  # noqa: F401  (fixtures)
from tests.mailservers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium, pytest.mark.sqlite_only]


def mail(sender: str, subject: str, body: str, message_id: str) -> bytes:
    return (f"From: {sender}\r\nTo: Workshop <workshop@shop.example>\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id}\r\nDate: Sat, 05 Dec 2026 09:00:00 +0000\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


@pytest.fixture
def shop(tmp_path, dovecot, smtp):  # noqa: F811  (fixtures)
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", host="127.0.0.1", port=0)).start()
    services = app.services
    services.agents.create("ann@shop.example", "Ann Owner", "ann-password", role="admin", actor=Actor.system())
    bob = services.agents.create("bob@shop.example", "Bob Mechanic", "bob-password", actor=Actor.system())
    tom = services.agents.create("tom@shop.example", "Tom Mechanic", "tom-password", actor=Actor.system())
    box, _ = services.mail.mailboxes.add(MailboxInput(name="Workshop", address="workshop1@shop.example",
                                                      imap=dovecot.url("workshop1"), smtp=smtp.url), Actor.system())
    app.start_jobs()  # the mail fetch loop and the automation worker, as the server runs them
    with ServerThread(app) as server:
        yield {"app": app, "url": server.url, "box": box, "bob": bob, "tom": tom}
    app.close()


def test_a_mail_to_the_workshop_mailbox_waits_in_the_workshops_queue_then_a_rule_shares_them_out(shop, browser,
                                                                                               dovecot):  # noqa: F811
    services = shop["app"].services
    page = open_app(browser.new_context(viewport={"width": 1280, "height": 800}), shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    shown(page, "Unassigned").wait_for()
    open_settings(page, "Teams")
    page.get_by_role("button", name="New team").click()
    type_into(page, "Name", "Workshop")
    page.get_by_role("checkbox", name="Bob Mechanic (bob@shop.example)").click()
    page.get_by_role("checkbox", name="Tom Mechanic (tom@shop.example)").click()
    page.get_by_role("button", name="Save").click()
    expect(shown(page, "Bob Mechanic, Tom Mechanic")).to_be_visible()
    # Where new conversations go: the Workshop mailbox's row, its team picker.
    page.get_by_role("button", name="Team for new conversations from Mailbox Workshop").click()
    page.get_by_role("button", name="Workshop", exact=True).last.click()
    [team] = services.teams.all()
    wait_until(lambda: services.teams.routes("mailbox") == {shop["box"].id: team.id}, what="the mailbox routed")
    expect(shown(page, "New conversations from Mailbox Workshop go to Workshop")).to_be_visible(timeout=10_000)

    dovecot.append("workshop1", mail("Gia Rossi <gia@example.com>", "Brakes squeal",
                                     "My rear brake squeals since the service.", "<gia-1@example.com>"))
    first = wait_until(lambda: services.inbox.page(_query(team.id, "unassigned"), 0).rows, what="the mail")[0]
    page.get_by_role("button", name="Back to the inbox").first.click()
    page.get_by_text("Unassigned").first.click()
    page.get_by_role("button", name="Team", exact=True).first.click()
    page.get_by_role("button", name="Workshop", exact=True).last.click()
    expect(shown(page, "Unassigned · Workshop · open (1)")).to_be_visible()
    expect(shown(page, "Workshop · Unassigned")).to_be_visible()
    assert first.title == "Brakes squeal"

    services.automation.create({
        "title": "Workshop round-robin", "trigger": "conversation_created", "enabled": True,
        "conditions": {"match": "all", "items": [{"field": "team", "op": "is", "value": "Workshop"}]},
        "actions": [{"type": "assign", "to": "round_robin", "team": "Workshop"}]}, Actor.system())
    dovecot.append("workshop1", mail("Hal Berg <hal@example.com>", "Wheel truing",
                                     "Can you true my front wheel this week?", "<hal-1@example.com>"))
    second = wait_until(lambda: [r for r in services.inbox.page(_query(team.id, "all"), 0).rows
                                 if r.title == "Wheel truing" and r.assignee_name], what="the second mail assigned")[0]
    assert second.assignee_name in ("Bob Mechanic", "Tom Mechanic")
    page.get_by_text("All").first.click()
    expect(shown(page, f"Workshop · {second.assignee_name}")).to_be_visible()
    page.get_by_text("Hal").first.click()
    expect(shown(page, f"Assigned to {second.assignee_name} by Rule 'Workshop round-robin'")).to_be_visible()


def _query(team_id: int, view: str):
    from helpdesk.services.inbox import InboxQuery

    return InboxQuery(view=view, team_id=team_id)
