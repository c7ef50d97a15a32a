"""OutgoingMail → the bytes an SMTP server takes: text and HTML alternatives, files attached,
threading headers, and Auto-Submitted on what Helpdesk sends on its own (RFC 3834), so
well-behaved auto-responders do not answer it."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate

from helpdesk.services.mail.types import OutgoingMail


def build(mail: OutgoingMail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((mail.from_name, mail.from_address))
    msg["To"] = ", ".join(mail.to)
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = mail.message_id
    if mail.in_reply_to:
        msg["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        msg["References"] = " ".join(mail.references)
    if mail.automatic:
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    if mail.inline:  # images the HTML names by cid: (multipart/related)
        html = msg.get_body(("html",))
        assert html is not None  # just added above
        for cid, png in mail.inline:
            html.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid}.png")
    for f in mail.files:
        main, _, sub = f.content_type.partition("/")
        msg.add_attachment(f.path.read_bytes(), maintype=main or "application", subtype=sub or "octet-stream",
                           filename=f.filename)
    return msg


def to_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=SMTP)
