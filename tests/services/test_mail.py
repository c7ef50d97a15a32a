"""The email channel's business side, without servers: mailbox URLs and passwords, mail
parsed and threaded into conversations, which replies leave by mail and what they say.
(tests/mail runs the same against a real Dovecot and SMTP server.)"""

from __future__ import annotations

import os
from datetime import datetime, timezone

import keyring
import pytest

from helpdesk.channels.email.parse import parse_mail
from helpdesk.models import IN, OUT, REPLY
from helpdesk.services.base import Actor
from helpdesk.services.conversations import ConversationFilter, IncomingMessage
from helpdesk.services.errors import ValidationFailed
from helpdesk.services.mail.guards import AutomaticCap, automatic_reason, list_mail
from helpdesk.services.mail.mailboxes import MailboxInput
from helpdesk.services.mail.outgoing import Unsendable
from helpdesk.services.mail.urls import MailUrlError, parse_mail_url
from tests.writer_guard import MemoryKeyring


def mail(subject="Wrong size", body="The helmet is M, I ordered L.", sender="Aiko <aiko@example.com>",
         message_id="<m1@example.com>", extra="", content_type="text/plain; charset=utf-8",
         to="shop@shop.example") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
            f"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n{extra}Content-Type: {content_type}\r\n\r\n{body}\r\n").encode()


@pytest.fixture
def box(services):
    made, _ = services.mail.mailboxes.add(MailboxInput(
        name="Support", address="shop@shop.example", imap="imaps://shop%40shop.example:s3cr%2Ft@imap.example.com",
        smtp="smtp+starttls://shop%40shop.example:s3cr%2Ft@smtp.example.com"), Actor.system())
    return made


def take(services, box, raw, **kw):
    return services.mail.intake.take(box.id, parse_mail(raw), **kw)


def replies(services, conversation_id):
    return [m for m in services.conversations.get(conversation_id).messages if m.kind == REPLY]


# ---- URLs and passwords ------------------------------------------------------------------


def test_mail_urls_read_as_owners_write_them():
    url = parse_mail_url("imaps://shop%40example.com:p%40ss%3Aword@imap.example.com", "imap")
    assert (url.security, url.host, url.port, url.username, url.password) == \
        ("ssl", "imap.example.com", 993, "shop@example.com", "p@ss:word")
    assert url.stored() == "imaps://shop%40example.com@imap.example.com:993"
    assert url.masked() == "imaps://shop%40example.com:••••@imap.example.com:993"
    assert parse_mail_url("imap+starttls://u:p@h", "imap").port == 143
    assert parse_mail_url("smtp+starttls://u:p@h", "smtp").port == 587
    assert parse_mail_url("smtps://u:p@h", "smtp").port == 465
    assert parse_mail_url("smtp://relay.lan", "smtp").username == ""
    assert "unencrypted" in parse_mail_url("imap://u:p@mail.example.com", "imap").warning
    assert parse_mail_url("imap://u:p@127.0.0.1:1143", "imap").warning == ""
    for bad, words in [("http://x", "starts with"), ("imaps://", "names no server"), ("imaps://u:p@h/INBOX", "path"),
                       ("", "is needed"), ("imaps://u:p@h:99999", "not a valid")]:
        with pytest.raises(MailUrlError, match=words) as raised:
            parse_mail_url(bad, "imap")
        assert "p@" not in str(raised.value) or bad == ""


def test_passwords_are_encrypted_beside_the_database_and_never_shown(services, box, settings):
    assert box.secret_store == "database"
    assert "s3cr/t" not in box.imap_url and "s3cr/t" not in box.imap_secret
    key = settings.data_dir / "mail.key"
    assert key.exists() and (os.stat(key).st_mode & 0o777) == 0o600
    connection = services.mail.mailboxes.connection(services.mail.mailboxes.get(box.id))
    assert connection.imap.password == "s3cr/t" and connection.smtp.password == "s3cr/t"
    [view] = services.mail.mailboxes.views()
    assert view.imap == "imaps://shop%40shop.example:••••@imap.example.com:993"
    assert "s3cr" not in repr(view)
    if settings.is_sqlite:
        assert b"s3cr/t" not in (settings.data_dir / "helpdesk.db").read_bytes()


def test_an_edit_that_leaves_the_password_masked_keeps_it(services, box):
    [view] = services.mail.mailboxes.views()
    services.mail.mailboxes.update(box.id, MailboxInput(
        name="Support desk", address="shop@shop.example", imap=view.imap, smtp=view.smtp, poll_seconds=120),
        Actor.system())
    connection = services.mail.mailboxes.connection(services.mail.mailboxes.get(box.id))
    assert connection.imap.password == "s3cr/t" and connection.name == "Support desk"
    with pytest.raises(ValidationFailed) as refused:
        services.mail.mailboxes.update(box.id, MailboxInput(
            name="Support", address="shop@shop.example", imap="imaps://other%40shop.example@imap.example.com",
            smtp=view.smtp), Actor.system())
    assert "password" in refused.value.fields["imap"]  # another account needs its own password


def test_only_admins_manage_mailboxes(services, bob):
    with pytest.raises(Exception, match="admin"):
        services.mail.mailboxes.add(MailboxInput(name="X", address="x@shop.example", imap="imaps://u:p@h",
                                                 smtp="smtp://h"), bob)


def test_with_an_os_keyring_the_passwords_live_there_and_leave_with_the_mailbox(services):
    ring = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    try:
        made, _ = services.mail.mailboxes.add(MailboxInput(
            name="Sales", address="sales@shop.example", imap="imaps://sales:hunter2@imap.example.com",
            smtp="smtps://sales:hunter2@smtp.example.com"), Actor.system())
        assert made.secret_store == "keyring" and made.imap_secret == "" and made.smtp_secret == ""
        assert sorted(ring.saved.values()) == ["hunter2", "hunter2"]
        connection = services.mail.mailboxes.connection(services.mail.mailboxes.get(made.id))
        assert connection.imap.password == "hunter2"
        services.mail.mailboxes.remove(made.id, Actor.system())
        assert ring.saved == {}
    finally:
        keyring.set_keyring(previous)


# ---- parsing ---------------------------------------------------------------------------------


def test_what_the_thread_shows_is_the_new_words_and_the_whole_mail_is_kept():
    parsed = parse_mail(mail(body="Thanks, that works!\r\n\r\nBest,\r\nAiko\r\n-- \r\nAiko Larsen | +45 1234\r\n\r\n"
                                  "On Tue, 24 Nov 2026 at 10:00, Shop <shop@shop.example> wrote:\r\n> Try this.\r\n"))
    assert parsed.text == "Thanks, that works!"
    assert "> Try this." in parsed.full_text and "Aiko Larsen" in parsed.full_text
    outlook = parse_mail(mail(body="Yes please.\r\n\r\n________________________________\r\nFrom: Shop\r\n"
                                   "Sent: Tuesday\r\nSubject: Re: order\r\n\r\nHello"))
    assert outlook.text == "Yes please."
    listed = parse_mail(mail(body="My order:\r\n- helmet\r\n- gloves\r\nplease check"))
    assert listed.text == "My order:\n- helmet\n- gloves\nplease check"


def test_html_mail_reads_as_text_and_is_kept_sanitised():
    html = ("<html><head><style>p{color:red}</style><script>alert(1)</script></head><body><p>Hello <b>there</b></p>"
            "<p>See <a href='https://example.com/o/1'>my order</a></p><ul><li>one</li><li>two</li></ul>"
            "<img src=x onerror=alert(1)></body></html>")
    parsed = parse_mail(mail(body=html, content_type="text/html; charset=utf-8"))
    assert parsed.text == "Hello there\n\nSee my order (https://example.com/o/1)\n\n- one\n- two"
    assert "<script" not in parsed.html and "onerror" not in parsed.html and "<b>there</b>" in parsed.html


def test_reply_to_wins_over_from_and_files_come_out():
    raw = (b"From: Aiko <aiko@work.example>\r\nReply-To: aiko@home.example\r\nCc: Ben <ben@example.com>\r\n"
           b"Subject: Photo\r\nMessage-ID: <p@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n"
           b"\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee the photo\r\n--B\r\nContent-Type: image/png\r\n"
           b"Content-Disposition: attachment; filename=\"label.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           b"iVBORw0KGgo=\r\n--B--\r\n")
    parsed = parse_mail(raw)
    assert parsed.customer_address == "aiko@home.example" and parsed.cc == ["ben@example.com"]
    assert [(f.filename, f.data[:4]) for f in parsed.files] == [("label.png", b"\x89PNG")]


def test_machines_and_lists_are_told_from_people():
    assert automatic_reason(parse_mail(mail(extra="Auto-Submitted: auto-replied\r\n"))) == \
        "Auto-Submitted: auto-replied"
    assert automatic_reason(parse_mail(mail(extra="Auto-Submitted: no\r\n"))) == ""
    assert automatic_reason(parse_mail(mail(extra="Precedence: bulk\r\n"))).startswith("Precedence")
    assert automatic_reason(parse_mail(mail(extra="X-Autoreply: yes\r\n")))
    assert automatic_reason(parse_mail(mail(sender="MAILER-DAEMON@mx.example.com")))
    assert automatic_reason(parse_mail(mail())) == ""
    assert list_mail(parse_mail(mail(extra="List-Id: <riders.lists.example>\r\n")))
    assert not list_mail(parse_mail(mail()))
    cap = AutomaticCap(per_hour=2, clock=lambda: 0.0)
    assert [cap.allow("a@x"), cap.allow("A@x"), cap.allow("a@x"), cap.allow("b@x")] == [True, True, False, True]


# ---- threading -------------------------------------------------------------------------------


def test_mail_threads_by_references_then_our_tag_then_subject_else_starts_a_new_question(services, box, ann):
    first = take(services, box, mail())
    assert first.status == "imported" and first.created
    # Our reply gets a Message-ID when it is sent; the customer's answer names it.
    services.conversations.reply(first.conversation_id, ann, "An L is on its way.")
    [due] = services.deliveries.due("email")
    services.deliveries.prepare(due.id, "<ours-1@shop.example>")
    services.deliveries.sent(due.id, "<ours-1@shop.example>")
    answer = take(services, box, mail(subject="Re: Wrong size", message_id="<m2@example.com>",
                                      extra="In-Reply-To: <ours-1@shop.example>\r\n", body="Thanks!"))
    assert answer.conversation_id == first.conversation_id and not answer.created
    # No headers (a webmail that drops them), but our [#id] in the subject, from the same customer
    tagged = take(services, box, mail(subject=f"Re: Wrong size [#{first.conversation_id}]",
                                      message_id="<m3@example.com>", body="One more thing"))
    assert tagged.conversation_id == first.conversation_id
    # … from someone else, the tag does not open another customer's conversation
    stranger = take(services, box, mail(subject=f"Re: Wrong size [#{first.conversation_id}]",
                                        message_id="<m4@example.com>", sender="eve@example.net", body="Hi"))
    assert stranger.conversation_id != first.conversation_id and stranger.created
    # The same customer, a new subject: a new question
    other = take(services, box, mail(subject="Invoice for order 77", message_id="<m5@example.com>", body="Need it"))
    assert other.created and other.conversation_id != first.conversation_id
    # The same subject again, no headers: the unresolved conversation about it
    again = take(services, box, mail(subject="RE: Invoice for order 77", message_id="<m6@example.com>", body="?"))
    assert again.conversation_id == other.conversation_id
    assert [m.body for m in replies(services, first.conversation_id)] == [
        "The helmet is M, I ordered L.", "An L is on its way.", "Thanks!", "One more thing"]
    assert replies(services, first.conversation_id)[0].meta["email"]["from"] == "aiko@example.com"


def test_the_same_mail_twice_is_one_message_with_or_without_a_message_id(services, box):
    assert take(services, box, mail()).status == "imported"
    assert take(services, box, mail()).status == "duplicate"
    bare = b"From: aiko@example.com\r\nSubject: no id\r\n\r\nhello\r\n"
    assert services.mail.intake.take(box.id, parse_mail(bare)).status == "imported"
    assert services.mail.intake.take(box.id, parse_mail(bare)).status == "duplicate"
    assert len(services.conversations.list(ConversationFilter()).conversations) == 2


def test_our_own_mail_and_bounces_open_nothing(services, box):
    own = take(services, box, mail(sender="Shop <shop@shop.example>"))
    assert own.status == "own" and own.conversation_id is None
    assert services.conversations.list(ConversationFilter()).conversations == []


def test_history_is_dated_and_resolved_with_our_replies_in_the_thread(services, box):
    take(services, box, mail(message_id="<h1@x>"), history=True)
    take(services, box, mail(sender="Shop <shop@shop.example>", to="aiko@example.com", message_id="<h2@x>",
                             body="Sending an L.", extra="In-Reply-To: <h1@x>\r\n"), history=True)
    [conversation] = services.conversations.list(ConversationFilter()).conversations
    assert conversation.status == "resolved" and conversation.created_at == datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
    assert [(m.direction, m.body) for m in replies(services, conversation.id)] == [
        (IN, "The helmet is M, I ordered L."), (OUT, "Sending an L.")]
    assert conversation.first_reply_at is not None


# ---- replies leaving by mail -----------------------------------------------------------------


def test_customers_who_wrote_elsewhere_hear_back_by_mail_when_the_owner_leaves_it_on(services, box, ann):
    web = services.conversations.receive(IncomingMessage(body="Is the shop open Sunday?", email="dan@example.com",
                                                         channel="api"))
    written = services.conversations.reply(web.conversation_id, ann, "Yes, 10 to 4.")
    assert (written.delivery.channel, written.delivery.status) == ("email", "queued")
    [due] = services.deliveries.due("email")
    out = services.mail.outgoing.compose(due)
    assert out.to == ["dan@example.com"] and out.subject == f"Your conversation [#{web.conversation_id}]"
    assert "Yes, 10 to 4." in out.text and "http://shop.test/c/" in out.text and "Ann Agent" in out.text
    services.mail.mailboxes.set_notify_channels([], ann)
    quiet = services.conversations.reply(web.conversation_id, ann, "See you!")
    assert (quiet.delivery.channel, quiet.delivery.status) == ("api", "sent")
    phone_only = services.conversations.receive(IncomingMessage(body="Hi", phone="+4512345678", channel="api"))
    services.mail.mailboxes.set_notify_channels(["api"], ann)
    assert services.conversations.reply(phone_only.conversation_id, ann, "Hello").delivery.channel == "api"


def test_a_reply_in_an_email_conversation_says_everything_a_mail_client_needs(services, box, ann):
    first = take(services, box, mail(extra="Cc: Ben <ben@example.com>, shop@shop.example\r\n"))
    services.conversations.reply(first.conversation_id, ann, "An L is on its way.\n\nKind regards")
    [due] = services.deliveries.due("email")
    out = services.mail.outgoing.compose(due)
    assert out.from_address == "shop@shop.example" and out.from_name == "Ann Agent (Support)"
    assert out.to == ["aiko@example.com"] and out.cc == ["ben@example.com"]
    assert out.subject == f"Re: Wrong size [#{first.conversation_id}]"
    assert out.in_reply_to == "<m1@example.com>" and out.references == ["<m1@example.com>"]
    assert out.message_id.endswith("@shop.example>") and not out.automatic
    assert "<p>An L is on its way.</p>" in out.html and "Kind regards" in out.html


def test_no_mailbox_keeps_email_replies_waiting_with_the_reason(services, ann):
    conversation = services.conversations.receive(IncomingMessage(body="Hi", email="x@example.com", channel="email"))
    services.conversations.reply(conversation.conversation_id, ann, "Hello")
    [due] = services.deliveries.due("email")
    unsendable = services.mail.outgoing.compose(due)
    assert isinstance(unsendable, Unsendable) and unsendable.retry and "Settings › Mailboxes" in unsendable.reason


def test_a_link_asked_for_by_an_unvouched_integration_goes_to_the_customers_own_address(client, services, box, auth):
    from tests.conftest import post_message

    first = post_message(client, auth)
    assert first.json()["conversation_url"] and first.json()["link_sent"] is False
    again = post_message(client, auth, conversation_id=first.json()["conversation_id"], body="Any news?")
    assert again.json()["conversation_url"] is None and again.json()["link_sent"] is True
    post_message(client, auth, conversation_id=first.json()["conversation_id"], body="Hello?")
    events = [m for m in services.conversations.get(first.json()["conversation_id"]).messages
              if (m.meta or {}).get("mail") == "link"]
    assert len(events) == 1 and "carol@example.com" in events[0].body  # once a day, not per message
    [due] = services.deliveries.due("email")
    out = services.mail.outgoing.compose(due)
    assert out.automatic and out.to == ["carol@example.com"] and "http://shop.test/c/" in out.text


def test_a_payment_request_by_mail_shows_the_qr_code_inline_and_the_details_as_text_and_choices_numbered(
        services, box, ann):
    import io

    import zxingcpp
    from PIL import Image

    from helpdesk.channels.email.mime import build

    first = take(services, box, mail())
    services.payments.ways.set_bank(ann, "Bike Shop Gerber", "DE89370400440532013000")
    card = services.payments.request(first.conversation_id, ann, "49.90", "EUR", "Brake service")
    [due] = services.deliveries.due("email")
    built = build(services.mail.outgoing.compose(due))
    text = built.get_body(("plain",)).get_content()
    assert "Payment request: 49.90 EUR for Brake service" in text and "IBAN DE89 3704 0044 0532 0130 00" in text
    html = built.get_body(("html",))
    assert 'src="cid:payment-qr"' in html.get_content()
    [qr] = [p for p in built.walk() if p.get("Content-ID") == "<payment-qr>"]
    payload = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.get_content())))[0].text.split("\n")
    assert payload[6] == "DE89370400440532013000" and payload[9] == card.reference
    services.deliveries.sent(due.id, "<sent@x>")

    services.conversations.reply(first.conversation_id, ann, "Pick-up day?", choices=["Friday", "Saturday"])
    [due] = services.deliveries.due("email")
    assert "Pick-up day?\n\n1. Friday\n2. Saturday\n(Reply 1 or 2)" in services.mail.outgoing.compose(due).text
