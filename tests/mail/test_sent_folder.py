"""Replies in the shop's own mail client: each reply sent over SMTP is filed, read, in the
mailbox's Sent folder on the real Dovecot (found by its \\Sent flag, whatever its name), once,
with the Message-ID the customer got; a mailbox can file none."""

from __future__ import annotations

from sqlalchemy import update

from helpdesk.channels.email import EmailChannel
from helpdesk.models import Delivery
from helpdesk.services.base import Actor
from helpdesk.services.mail.mailboxes import MailboxInput
from tests.mail.test_email_flow import customer_mail, replies_of, wait_for_conversations
from tests.mailservers import wait_until


def owed_again(services, delivery_id: int) -> None:
    """As if Helpdesk stopped between filing the copy and recording it."""
    with services.db.engine.begin() as conn:
        conn.execute(update(Delivery.__table__).where(Delivery.__table__.c.id == delivery_id).values(
            copy_state="pending"))


def test_a_reply_is_filed_once_in_the_folder_the_server_marks_sent(services, dovecot, smtp, user, mailbox,
                                                                   channel, ann):
    dovecot.append(user, customer_mail())
    [conversation] = wait_for_conversations(services, 1)
    services.conversations.reply(conversation.id, ann, "Sorry! An L is on its way today.")
    [sent] = smtp.wait_for(1)
    filed = wait_until(lambda: dovecot.messages(user, "Gesendet"), what="the copy in Gesendet")
    assert [m["Message-ID"] for m in filed] == [sent.message["Message-ID"]]
    assert "An L is on its way today." in filed[0].get_body(("plain",)).get_content()
    assert filed[0]["To"] == "aiko@example.com"
    reply = replies_of(services, conversation.id)[-1]
    with services.db.engine.connect() as conn:
        delivery_id = conn.execute(Delivery.__table__.select().where(
            Delivery.__table__.c.message_id == reply.id)).first().id
    wait_until(lambda: not services.deliveries.copies_owed("email"), what="the copy recorded")

    owed_again(services, delivery_id)  # filed again after a crash: the copy there is recognised
    wait_until(lambda: not services.deliveries.copies_owed("email"), what="the copy recorded again")
    assert len(dovecot.messages(user, "Gesendet")) == 1
    assert len(smtp.received) == 1  # and the customer got it once


def test_a_mailbox_set_to_file_no_copies_files_none(services, dovecot, smtp, user, ann):
    services.mail.mailboxes.add(MailboxInput(name="Quiet", address=f"{user}@shop.example", imap=dovecot.url(user),
                                             smtp=smtp.url, sent_folder="-"), Actor.system())
    running = EmailChannel(services, send_interval=0.05).start()
    try:
        dovecot.append(user, customer_mail(message_id="<quiet@example.com>"))
        [conversation] = wait_for_conversations(services, 1)
        services.conversations.reply(conversation.id, ann, "Noted.")
        smtp.wait_for(1)
        reply = replies_of(services, conversation.id)[-1]
        wait_until(lambda: services.deliveries.of_messages([reply.id])[reply.id].status == "sent", what="sent")
        assert dovecot.messages(user, "Gesendet") == []
        assert services.deliveries.copies_owed("email") == []
    finally:
        running.stop()
