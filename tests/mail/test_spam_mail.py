"""Spam by mail, against the real Dovecot: a blocked address's mail and a mail its server flagged
land in Spam, and the shop's automatic acknowledgement answers neither; "Not spam" brings one back."""

from __future__ import annotations

import pytest

from helpdesk.services.conversations import ConversationFilter
from helpdesk.services.inbox import InboxQuery
from tests.mail.test_email_flow import customer_mail, replies_of, wait_for_conversations
from tests.mailservers import wait_until

pytestmark = pytest.mark.slow


def spam_list(services):
    return services.conversations.list(ConversationFilter(spam=True)).conversations


def test_blocked_and_flagged_mail_lands_in_spam_unanswered_and_not_spam_brings_it_back(
        services, dovecot, smtp, user, mailbox, channel, ann):
    services.automation.set_enabled("auto-acknowledge", True, ann)
    services.blocklist.block("domain", "junk.example", ann)
    dovecot.append(user, customer_mail(sender="Cheap Pills <offers@junk.example>", subject="Cheap pills",
                                       message_id="<junk@junk.example>", body="Buy now"))
    dovecot.append(user, customer_mail(sender="Prize <prize@lottery.example>", subject="You won",
                                       message_id="<won@lottery.example>", body="Claim your prize",
                                       extra="X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=14.2\r\n"))
    dovecot.append(user, customer_mail())  # Aiko, a real customer
    wait_until(lambda: services.mail.mailboxes.get(mailbox.id).last_uid >= 3, what="all three fetched")
    [real] = wait_for_conversations(services, 1)  # the inbox's list holds only Aiko's
    spam = {c.subject: c for c in spam_list(services)}
    assert set(spam) == {"Cheap pills", "You won"} and all(c.status == "spam" for c in spam.values())
    assert services.inbox.counts(InboxQuery(status="any"), ann.id)["all"] == 1
    assert services.inbox.counts(InboxQuery(), ann.id)["spam"] == 2
    services.automation.process_all()
    [ack] = smtp.wait_for(1)  # Aiko's acknowledgement, and nothing to the spammers
    assert ack.recipients == ["aiko@example.com"]
    for conversation in spam.values():
        assert [m.body for m in replies_of(services, conversation.id)] == [
            "Buy now" if conversation.subject == "Cheap pills" else "Claim your prize"]
        assert services.conversations.get(conversation.id).conversation.response_due_at is None  # no clock runs
    # The flagged one was a real customer after all: back in the inbox, open, waiting on the team.
    services.conversations.not_spam(spam["You won"].id, ann)
    back = services.conversations.get(spam["You won"].id).conversation
    assert back.status == "open" and back.waiting_since is not None and back.response_due_at is not None
    assert {c.subject for c in spam_list(services)} == {"Cheap pills"}
    # A blocked sender writing again stays in Spam, and nobody is told.
    dovecot.append(user, customer_mail(sender="offers@junk.example", subject="Cheap pills again",
                                       message_id="<junk2@junk.example>", body="Last chance"))
    wait_until(lambda: services.mail.mailboxes.get(mailbox.id).last_uid >= 4, what="the fourth fetched")
    wait_until(lambda: {c.subject for c in spam_list(services)} == {"Cheap pills", "Cheap pills again"},
               what="the new mail in Spam")
    assert len(wait_for_conversations(services, 2)) == 2  # the inbox: Aiko's, and the one brought back
    services.automation.process_all()
    assert len(smtp.received) == 1
