"""The email channel's promise, against real servers: a customer's mail appears within
seconds, the agent's reply arrives threaded under it with the conversation link, the
customer's answer joins the same conversation without the quoted text, and nothing is
imported or sent twice across restarts, unread flags, a crash window and an outage."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from helpdesk.channels.email import EmailChannel
from helpdesk.models import IN, OUT, REPLY
from helpdesk.services.conversations import ConversationFilter
from tests.mailservers import wait_until

pytestmark = pytest.mark.slow


def customer_mail(subject="Wrong size delivered", body="The helmet is size M, I ordered L.",
                  sender="Aiko Larsen <aiko@example.com>", message_id="<first@example.com>", extra=""):
    return (f"From: {sender}\r\nTo: Support <support@shop.example>\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id}\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n{extra}"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def messages_of(services, conversation_id):
    return services.conversations.get(conversation_id).messages


def replies_of(services, conversation_id):
    return [m for m in messages_of(services, conversation_id) if m.kind == REPLY]


def conversations(services):
    return services.conversations.list(ConversationFilter()).conversations


def idling(channel, mailbox):
    """Set while the mailbox's fetch loop is in IDLE (a mail appended then is reported at once)."""
    return channel.fetchers[mailbox.id][1].idling


def rounds_after(channel, rounds: int) -> None:
    """Until the sender has gone over the outbox `rounds` more times."""
    start = channel.sender.passes
    wait_until(lambda: channel.sender.passes >= start + rounds, what=f"{rounds} rounds of the sender")


def wait_for_conversations(services, count, timeout=10.0):
    return wait_until(lambda: (found := conversations(services)) and len(found) >= count and found,
                      timeout, f"{count} conversation(s)")


def test_a_mail_arrives_within_seconds_and_the_reply_threads_under_it(services, dovecot, smtp, user, mailbox,
                                                                      channel, ann, clock):
    assert idling(channel, mailbox).wait(5)
    appended = time.monotonic()
    dovecot.append(user, customer_mail())
    [conversation] = wait_for_conversations(services, 1, timeout=5)
    assert time.monotonic() - appended < 5
    assert conversation.channel == "email" and conversation.subject == "Wrong size delivered"
    [first] = messages_of(services, conversation.id)
    assert first.direction == IN and first.body == "The helmet is size M, I ordered L."

    services.conversations.reply(conversation.id, ann, "Sorry! An L is on its way today.")
    [sent] = smtp.wait_for(1)
    mail = sent.message
    assert sent.recipients == ["aiko@example.com"]
    assert mail["To"] == "aiko@example.com"
    assert mail["From"].addresses[0].addr_spec == f"{user}@shop.example"
    assert mail["Subject"] == f"Re: Wrong size delivered [#{conversation.id}]"
    assert mail["In-Reply-To"] == "<first@example.com>"
    assert "<first@example.com>" in mail["References"]
    assert mail["Message-ID"].endswith("@shop.example>")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    link = services.links.conversation(services.conversations.get(conversation.id).conversation.public_token)
    assert "An L is on its way today." in text and link in text and link.startswith("http://shop.test/c/")
    assert "An L is on its way today." in html and link in html
    reply = replies_of(services, conversation.id)[-1]
    wait_until(lambda: services.deliveries.of_messages([reply.id])[reply.id].status == "sent", what="sent")

    # The customer answers from their mail client, quoting our reply under theirs.
    answer = customer_mail(subject=f"Re: Wrong size delivered [#{conversation.id}]", message_id="<second@example.com>",
                           extra=f"In-Reply-To: {mail['Message-ID']}\r\nReferences: <first@example.com> "
                                 f"{mail['Message-ID']}\r\n",
                           body="Great, thank you!\r\n\r\nOn Wed, 25 Nov 2026, Ann Agent wrote:\r\n"
                                "> Sorry! An L is on its way today.\r\n")
    dovecot.append(user, answer)
    thread = wait_until(lambda: len(found := replies_of(services, conversation.id)) >= 3 and found, what="the answer")
    assert [(m.direction, m.body) for m in thread] == [
        (IN, "The helmet is size M, I ordered L."), (OUT, "Sorry! An L is on its way today."),
        (IN, "Great, thank you!")]
    assert len(conversations(services)) == 1
    assert services.conversations.get(conversation.id).conversation.status == "open"
    full = services.mail.intake.full_text(thread[-1].id)
    assert "> Sorry! An L is on its way today." in full


def test_nothing_is_imported_twice_across_restarts_unread_flags_and_a_renumbered_folder(
        services, dovecot, user, mailbox, channel):
    dovecot.append(user, customer_mail(message_id="<a@example.com>", subject="First question"))
    dovecot.append(user, customer_mail(message_id="<b@example.com>", subject="Second question"))
    wait_for_conversations(services, 2)
    channel.stop()  # Helpdesk stops; meanwhile someone marks everything unread in their mail client
    dovecot.set_unread(user)
    restarted = EmailChannel(services, send_interval=0.05).start()
    try:
        dovecot.append(user, customer_mail(message_id="<c@example.com>", subject="Third question"))
        wait_for_conversations(services, 3)
        # The server renumbers the folder (a new UIDVALIDITY): every mail is looked at again.
        services.mail.mailboxes.start_over(mailbox.id, 1)
        restarted.stop()
        again = EmailChannel(services, send_interval=0.05).start()
        try:
            wait_until(lambda: services.mail.mailboxes.get(mailbox.id).last_uid >= 3, what="the second pass")
        finally:
            again.stop()
    finally:
        restarted.stop()
    subjects = sorted(c.subject for c in conversations(services))
    assert subjects == ["First question", "Second question", "Third question"]
    assert sum(len(replies_of(services, c.id)) for c in conversations(services)) == 3


class Crash(BaseException):
    """The process dies here (not an error the loop would handle)."""


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the crash, on purpose
def test_a_crash_between_fetching_and_committing_imports_the_mail_once(services, dovecot, user, mailbox,
                                                                      monkeypatch):
    intake = services.mail.intake
    real = intake._take
    crashed = []

    def dies_once_before_commit(*args, **kwargs):
        if not crashed:
            crashed.append(True)
            raise Crash()
        return real(*args, **kwargs)

    monkeypatch.setattr(intake, "_take", dies_once_before_commit)
    dovecot.append(user, customer_mail())
    first = EmailChannel(services, send_interval=0.05).start()
    wait_until(lambda: crashed, what="the crash")
    first.stop()
    assert conversations(services) == []
    second = EmailChannel(services, send_interval=0.05).start()  # Helpdesk starts again
    try:
        [conversation] = wait_for_conversations(services, 1)
        wait_until(lambda: services.mail.mailboxes.get(mailbox.id).last_uid == 1, what="progress")
    finally:
        second.stop()
    assert len(replies_of(services, conversation.id)) == 1


def test_replies_wait_while_smtp_is_down_and_leave_exactly_once_when_it_is_back(
        services, dovecot, smtp, user, mailbox, channel, ann, clock):
    dovecot.append(user, customer_mail())
    [conversation] = wait_for_conversations(services, 1)
    smtp.stop()  # the internet is down
    services.conversations.reply(conversation.id, ann, "We will send a new one.")
    reply = replies_of(services, conversation.id)[-1]

    def state():
        return services.deliveries.of_messages([reply.id])[reply.id]

    wait_until(lambda: "connection refused" in state().error, what="the reason")
    assert state().status == "queued"
    # The mailbox's banner is its own write, just after the reply's: wait for it too.
    wait_until(lambda: "connection refused" in services.mail.mailboxes.get(mailbox.id).send_error,
               what="the banner's reason")
    assert services.mail.mailboxes.waiting_total() == 1
    smtp.start()  # back on the same port
    clock.advance(timedelta(seconds=20))  # the first retry is due within 15 s (±20 %)
    [sent] = smtp.wait_for(1)
    wait_until(lambda: state().status == "sent", what="sent")
    clock.advance(timedelta(hours=2))
    rounds_after(channel, 10)  # ten rounds of the sender with nothing to send
    assert len(smtp.received) == 1
    assert services.mail.mailboxes.get(mailbox.id).send_error == ""
    assert services.mail.mailboxes.waiting_total() == 0
    assert sent.message["Message-ID"] == wait_until(lambda: _external_id(services, reply.id))


def _external_id(services, message_id):
    from sqlalchemy import select

    from helpdesk.models import Delivery

    with services.db.read() as s:
        return s.execute(select(Delivery.external_id).where(Delivery.message_id == message_id)).scalar()


def test_a_refused_recipient_fails_the_reply_with_the_servers_words(services, dovecot, smtp, user, mailbox,
                                                                   channel, ann):
    dovecot.append(user, customer_mail())
    [conversation] = wait_for_conversations(services, 1)
    smtp.refuse = "550 5.1.1 <aiko@example.com>: mailbox unknown"
    services.conversations.reply(conversation.id, ann, "Hello?")
    reply = replies_of(services, conversation.id)[-1]
    state = wait_until(lambda: (d := services.deliveries.of_messages([reply.id])[reply.id]).status == "failed" and d,
                       what="failed")
    assert "550" in state.error and "mailbox unknown" in state.error


def dsn(original_id: str, user: str) -> bytes:
    return (f"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nTo: {user}@shop.example\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@mx.example.com>\r\n"
            "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
            "Final-Recipient: rfc822; aiko@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
            f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {original_id}\r\nSubject: Re: x\r\n"
            "--B--\r\n").encode()


def test_a_bounce_marks_the_reply_failed_instead_of_opening_a_conversation(services, dovecot, smtp, user, mailbox,
                                                                         channel, ann):
    dovecot.append(user, customer_mail())
    [conversation] = wait_for_conversations(services, 1)
    services.conversations.reply(conversation.id, ann, "Your parcel is on its way.")
    [sent] = smtp.wait_for(1)
    reply = replies_of(services, conversation.id)[-1]
    dovecot.append(user, dsn(sent.message["Message-ID"], user))
    state = wait_until(lambda: (d := services.deliveries.of_messages([reply.id])[reply.id]).status == "failed" and d,
                       what="the bounce")
    assert "550 5.1.1 user unknown" in state.error and "aiko@example.com" in state.error
    assert len(conversations(services)) == 1
    assert services.conversations.get(conversation.id).conversation.status == "pending"


def test_an_out_of_office_joins_its_thread_quietly_and_is_never_answered(services, dovecot, smtp, user, mailbox,
                                                                      channel, ann):
    dovecot.append(user, customer_mail())
    [conversation] = wait_for_conversations(services, 1)
    services.conversations.reply(conversation.id, ann, "An L is on its way.")
    [sent] = smtp.wait_for(1)
    dovecot.append(user, customer_mail(
        subject="Automatic reply: Re: Wrong size delivered", message_id="<ooo@example.com>",
        body="I am away until Monday.", extra=f"Auto-Submitted: auto-replied\r\nIn-Reply-To: {sent.message['Message-ID']}\r\n"))
    # … and one with no thread at all, from a machine
    dovecot.append(user, customer_mail(subject="Your newsletter subscription", message_id="<nl@example.com>",
                                       sender="noreply@store.example", body="Confirm"))
    auto = wait_until(lambda: len(r := replies_of(services, conversation.id)) == 3 and r[-1], what="the auto-reply")
    assert auto.body == "I am away until Monday." and auto.meta["automatic"] == "Auto-Submitted: auto-replied"
    wait_until(lambda: services.mail.mailboxes.get(mailbox.id).last_uid >= 3, what="all three fetched")
    detail = services.conversations.get(conversation.id).conversation
    assert detail.status == "pending" and detail.waiting_since is None  # nobody waits on the team
    assert len(conversations(services)) == 1
    rounds_after(channel, 5)  # the sender has had its turns: no reply to the machines
    assert len(smtp.received) == 1


LATIN1 = ("From: =?iso-8859-1?q?Ren=E9_Dupont?= <rene@example.fr>\r\nTo: support@shop.example\r\n"
          "Subject: =?iso-8859-1?q?Caf=E9_cr=E8me_grinder?=\r\nMessage-ID: <latin@example.fr>\r\n"
          "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
          "Le moulin =E0 caf=E9 est cass=E9.\r\n").encode("ascii")
UTF8 = ("From: =?utf-8?b?5bGx55Sw?= <yamada@example.jp>\r\nTo: support@shop.example\r\n"
        "Subject: =?utf-8?b?5rOo5paH44Gr44Gk44GE44Gm?=\r\nMessage-ID: <utf8@example.jp>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "注文した商品がまだ届きません 📦\r\n").encode("utf-8")


def test_latin1_and_utf8_mails_read_as_written(services, dovecot, user, mailbox, channel):
    dovecot.append(user, LATIN1)
    dovecot.append(user, UTF8)
    found = {c.subject: c for c in wait_for_conversations(services, 2)}
    assert set(found) == {"Café crème grinder", "注文について"}
    assert replies_of(services, found["Café crème grinder"].id)[0].body == "Le moulin à café est cassé."
    assert replies_of(services, found["注文について"].id)[0].body == "注文した商品がまだ届きません 📦"
    names = {services.conversations.get(c.id).customer_name for c in found.values()}
    assert names == {"René Dupont", "山田"}


def test_a_broken_mail_is_kept_aside_and_the_next_one_still_arrives(services, dovecot, user, mailbox, channel):
    broken = b"\x01\x02 this is not a mail at all \xff\xfe"
    dovecot.append(user, broken)
    dovecot.append(user, customer_mail())
    [conversation] = wait_for_conversations(services, 1)
    assert replies_of(services, conversation.id)[0].body == "The helmet is size M, I ordered L."
    [kept] = wait_until(lambda: services.mail.intake.unreadable_mails(), what="the could-not-read list")
    assert kept.uid == 1 and kept.error
    assert services.files.path_of(kept.raw_sha256).read_bytes().rstrip(b"\r\n") == broken.rstrip(b"\r\n")


def test_a_mail_that_lands_while_the_one_before_is_stored_arrives_within_seconds(services, dovecot, user, mailbox,
                                                                                 channel, monkeypatch):
    """Dovecot's IDLE reports only what changes after IDLE begins: a mail that lands between the
    fetch loop's last command and its IDLE must not wait for the next poll (a minute)."""
    intake = services.mail.intake
    take = intake.take
    second = customer_mail(subject="Gloves", body="Do you have the gloves in XS?", sender="Ben Okafor <ben@example.com>",
                           message_id="<second@example.com>")

    def take_while_another_lands(*args, **kwargs):
        if not landed:
            landed.append(True)
            dovecot.append(user, second)
        return take(*args, **kwargs)

    landed: list[bool] = []
    monkeypatch.setattr(intake, "take", take_while_another_lands)
    wait_until(lambda: services.mail.mailboxes.get(mailbox.id).last_fetch_at, what="the first fetch")
    assert idling(channel, mailbox).wait(5)  # in IDLE: the first mail is reported, the second is not yet
    dovecot.append(user, customer_mail())
    found = wait_for_conversations(services, 2, timeout=8)
    assert sorted(c.subject for c in found) == ["Gloves", "Wrong size delivered"]
