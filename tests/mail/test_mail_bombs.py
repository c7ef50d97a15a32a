"""Mail bombs through the real Dovecot: a mail of parts nested three thousand deep is kept
aside as unreadable (and the next mail still arrives), and a mail carrying a photo of 119 M
16-bit pixels arrives with its file, whose preview is refused from its header."""

from __future__ import annotations

from email.message import EmailMessage

import httpx

from tests.mail.test_email_flow import customer_mail, replies_of, wait_for_conversations
from tests.mailservers import wait_until
from tests.security import bombs


def nested(depth: int) -> bytes:
    inner = b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
    for _ in range(depth):
        inner = b"From: a@example.com\r\nSubject: n\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n" + inner
    return inner


def test_a_mail_nested_thousands_deep_is_kept_aside_and_the_next_arrives(services, dovecot, user, mailbox, channel):
    dovecot.append(user, nested(3000))
    dovecot.append(user, customer_mail())
    [conversation] = wait_for_conversations(services, 1)
    assert replies_of(services, conversation.id)[0].body == "The helmet is size M, I ordered L."
    [kept] = wait_until(lambda: services.mail.intake.unreadable_mails(), what="the could-not-read list")
    assert "nested too deeply" in kept.error


def test_a_photo_bomb_by_mail_arrives_as_a_file_and_its_preview_is_refused(services, dovecot, user, mailbox,
                                                                           channel, server):
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Aiko <aiko@example.com>", "support@shop.example", "Scratched frame"
    mail["Message-ID"] = "<bomb@example.com>"
    mail.set_content("Photo attached.")
    mail.add_attachment(bombs.png(10_000, 11_900), maintype="image", subtype="png", filename="frame.png")
    dovecot.append(user, mail.as_bytes())
    [conversation] = wait_for_conversations(services, 1)
    detail = services.conversations.get(conversation.id)
    [photo] = [a for files in detail.attachments.values() for a in files]
    assert photo.filename == "frame.png" and photo.content_type == "image/png"
    preview = httpx.get(server.url + services.files.signed_path(photo, "thumb"), timeout=10)
    assert preview.status_code == 404 and "No preview" in preview.text
    whole = httpx.get(server.url + services.files.signed_path(photo), timeout=10)
    assert whole.status_code == 200 and len(whole.content) == photo.size  # the file itself still downloads
