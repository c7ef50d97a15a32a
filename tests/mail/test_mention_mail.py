"""A mention that finds its agent away reaches them by mail when they asked for it, through the
shop's real mailbox (aiosmtpd on loopback): once, again after an outage, and not at all when
they read it in Helpdesk first or are at work."""

from __future__ import annotations

import pytest

from helpdesk.channels.email.sender import EmailSender
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage

pytestmark = pytest.mark.slow


@pytest.fixture
def tom(services):
    agent = services.agents.create("tom@shop.example", "Tom Mechanic", "tom's password", actor=Actor.system())
    actor = Actor.for_agent(agent)
    services.agents.set_mention_mail(agent.id, True, actor)
    services.agents.set_away(agent.id, True, actor)
    return actor


def a_note_naming_tom(services, ann):
    cid = services.conversations.receive(IncomingMessage(
        body="My rear brake squeaks", email="lena@example.com", name="Lena Vogel",
        subject="Squeaky brake")).conversation_id
    services.conversations.add_note(cid, ann, "@Tom can you check the pads before Friday?")
    return cid


def test_an_away_agent_gets_the_mention_by_mail_once_even_after_an_outage(services, clock, mailbox, smtp, ann,
                                                                          tom):
    sender = EmailSender(services)
    smtp.stop()  # the internet is down when the note is written
    cid = a_note_naming_tom(services, ann)
    sender.one_pass()
    [mention] = services.mentions.of_agent(tom.agent_id)
    smtp.start()
    sender.one_pass()
    assert smtp.received == []  # waiting out its backoff, not hammering the server
    clock.advance(seconds=20)  # the first backoff (15 s ± 20 %) has passed
    sender.one_pass()
    [sent] = smtp.wait_for(1)
    mail = sent.message
    assert sent.recipients == ["tom@shop.example"]
    assert mail["Subject"] == f"Ann Agent mentioned you in #{cid}: Squeaky brake"
    text = mail.get_body(("plain",)).get_content()
    assert "@Tom can you check the pads before Friday?" in text and "Lena Vogel" in text
    assert services.links.lan_url() in text
    assert mail["Auto-Submitted"] == "auto-generated"
    sender.one_pass()
    assert len(smtp.received) == 1  # once
    assert services.mentions.of_agent(tom.agent_id)[0].id == mention.id


def test_no_mail_when_read_first_at_work_or_not_wanted(services, mailbox, smtp, ann, bob, tom):
    sender = EmailSender(services)
    cid = a_note_naming_tom(services, ann)
    services.conversations.reply(cid, tom, "Pads are fine, it was the rim.")  # wrote in it: read
    sender.one_pass()
    services.agents.set_away(tom.agent_id, False, tom)  # back at work
    services.conversations.add_note(cid, ann, "@Tom thanks!")
    services.conversations.add_note(cid, tom, "@Bob the rim needs truing")  # Bob is away but did not ask
    services.agents.set_away(bob.agent_id, True, bob)
    services.conversations.add_note(cid, tom, "@Bob and the spokes")
    sender.one_pass()
    assert [r.recipients for r in smtp.received] == [["lena@example.com"]]  # Tom's reply, to the customer only
