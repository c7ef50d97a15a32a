"""What a reply says when it leaves as mail: from which mailbox, to whom (the address the
customer wrote from, Reply-To over From, with the Cc'd people kept), the subject with our
[#id], In-Reply-To and References so it threads under the customer's mail, text and HTML
from templates, the files, and a footer with the customer's conversation link.

Three kinds: a reply in an email conversation; a notification of a reply in a conversation
that came another way (the customer hears back by mail); and the link mail Helpdesk sends on
its own when someone writes to an existing conversation without being vouched for."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

import jinja2
from sqlalchemy import Row, and_, select
from sqlalchemy.engine import Connection

from helpdesk.models import EMAIL, EVENT, IN, Attachment
from helpdesk.models.tables import (AGENTS, API_TOKENS, ATTACHMENTS, CONVERSATIONS as C, CUSTOMER_IDENTIFIERS as IDENT, DELIVERIES as D,
                                   MAILBOXES as MAILBOX, MAIL_RECORDS as R, MESSAGES as MSG)
from helpdesk.services.base import Service
from helpdesk.services.deliveries import Due
from helpdesk.services.mail.guards import AutomaticCap
from helpdesk.services.mail.mention_mail import compose_mention
from helpdesk.services.mail.types import OutgoingFile, OutgoingMail
from helpdesk.services.rich_words import words_of
from helpdesk.web import TEMPLATES
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

if TYPE_CHECKING:
    from helpdesk.services.files import FileService
    from helpdesk.services.links import Links

CHANNEL = "email"
LINK_MAIL = "link"


@dataclass(frozen=True)
class Unsendable:
    """The reply cannot leave by mail at all (no mailbox, no address): it fails with this reason."""

    reason: str
    retry: bool = False  # True: it may work later (a mailbox may be added), keep it queued


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES / "mail")),
                              autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
                              trim_blocks=True, keep_trailing_newline=True)


def subject_for(subject: str, conversation_id: int) -> str:
    tag = f"[#{conversation_id}]"
    base = " ".join((subject or "").split())
    if base and not base.lower().startswith(("re:", "aw:", "sv:")):
        base = f"Re: {base}"
    if not base:
        base = "Your conversation"
    return base if tag in base else f"{base} {tag}"


class MailOutService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, links: Links, files: FileService) -> None:
        super().__init__(db, clock, settings)
        self.links = links
        self.files = files
        self.cap = AutomaticCap()
        self.payments: Any = None  # the payment service, for a payment card's words (set by the container)

    def compose(self, due: Due) -> OutgoingMail | Unsendable:
        with self.db.read() as s:
            conn = s.connection()
            message = conn.execute(select(MSG).where(MSG.c.id == due.message_id)).first()
            if message is None:
                return Unsendable("the message is gone")
            conversation = conn.execute(select(C).where(C.c.id == message.conversation_id)).one()  # a message's own
            box = self._mailbox(conn, conversation.id)
            if box is None:
                return Unsendable("no mailbox to send from: add one in Settings › Mailboxes", retry=True)
            meta = message.meta or {}
            last_in = self._last_customer_mail(conn, conversation.id)
            to = (meta.get("to") if message.kind == EVENT else None) or \
                (last_in["from"] if last_in else None) or self._customer_email(conn, conversation.customer_id)
            if not to:
                return Unsendable("the customer has no email address")
            cc = [a for a in (last_in or {}).get("cc", []) if a.lower() not in self._own(conn)]
            files = [OutgoingFile(a.filename, a.content_type, self.files.path_of(a.sha256)) for a in s.execute(
                select(Attachment).where(ATTACHMENTS.c.message_id == message.id)).scalars()]
            author = self._author(conn, message)
            references = self._references(conn, conversation.id)
            words = words_of(self.payments, conn, message) if message.kind != EVENT else None
        inline: list[tuple[str, bytes]] = []
        payment = None
        if words is not None and words.payment is not None:
            payment = self.payments.described(words.payment, words.token)
            if payment["qr_url"]:  # the QR code in the mail itself: scanned from the screen, no link to follow
                from helpdesk.services.payments.girocode import epc_png

                bank = self.payments.ways.now_set().bank
                inline.append(("payment-qr", epc_png(bank.holder, bank.iban, bank.bic, words.payment.amount_minor,
                                                     words.payment.reference)))
        link = self.links.conversation(conversation.public_token)
        kind = LINK_MAIL if message.kind == EVENT else "reply" if conversation.channel == CHANNEL else "notification"
        # The link mail and an automation rule's reply are written by a machine: Auto-Submitted says so.
        automatic = kind == LINK_MAIL or bool((message.meta or {}).get("automatic"))
        if automatic and not self.cap.allow(to):
            return Unsendable(f"not sent: {to} had {self.cap.per_hour} automatic mails from us in the last hour")
        message_id = due.external_id or make_msgid(domain=box.address.rpartition("@")[2] or "helpdesk.local")
        text, html = self._render(kind, body=words.text if words else message.body, author=author, shop=box.name,
                                  link=link, subject=conversation.subject, files=[f.filename for f in files],
                                  payment=payment, qr="payment-qr" if inline else "")
        subject = f"Your conversation with {box.name}" if kind == LINK_MAIL else \
            subject_for(conversation.subject, conversation.id)
        return OutgoingMail(mailbox_id=box.id, from_address=box.address,
                            from_name=box.name if automatic else f"{author} ({box.name})", to=[to],
                            cc=cc if kind == "reply" else [], subject=subject, message_id=message_id, text=text,
                            html=html, in_reply_to=references[-1] if references and kind != LINK_MAIL else "",
                            references=references if kind != LINK_MAIL else [], files=files, automatic=automatic,
                            inline=inline)

    def mention(self, mention_id: int) -> OutgoingMail | str:
        """The mail telling an away agent of a mention (services/mail/mention_mail.py), or why none."""
        def render(context: dict[str, Any]) -> tuple[str, str]:
            text = _templates().get_template("mention.txt").render(**context)
            paragraphs = [p.split("\n") for p in str(context["body"]).replace("\r\n", "\n").split("\n\n") if p.strip()]
            intro = (f"{context['by']} mentioned you in #{context['conversation_id']} ({context['customer']}"
                     + (f": {context['subject']}" if context["subject"] else "") + "):")
            html = _templates().get_template("message.html").render(
                intro=intro, paragraphs=paragraphs, payment=None, qr="", files=[], signature="",
                link=context["link"], link_words="Open Helpdesk",
                outro="You are away, and asked for mentions by mail. Answering this mail does not reach Helpdesk.")
            return text, html

        with self.db.read() as s:
            return compose_mention(s.connection(), mention_id, self.links.lan_url(), render)

    def _render(self, kind: str, **context: object) -> tuple[str, str]:
        text = _templates().get_template(f"{kind}.txt").render(**context)
        body = str(context["body"]) if kind != LINK_MAIL else ""
        paragraphs = [p.split("\n") for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]
        intro = {"reply": "", "notification": f"{context['author']} of {context['shop']} answered:",
                 LINK_MAIL: f"Here is the link to your conversation with {context['shop']}. It shows the whole "
                            f"conversation, and you can write to us there."}[kind]
        html = _templates().get_template("message.html").render(
            intro=intro, paragraphs=paragraphs, payment=context.get("payment"), qr=context.get("qr", ""), files=context["files"] if kind != LINK_MAIL else [],
            signature=f"{context['author']}, {context['shop']}" if kind == "reply" else "",
            link=context["link"], link_words="Open the conversation" if kind != "notification"
            else "Answer on your conversation page",
            outro="Keep it to yourself: whoever has the link can read the conversation." if kind == LINK_MAIL else "")
        return text, html

    # ---- what it needs to know ---------------------------------------------------------------

    @staticmethod
    def _mailbox(conn: Connection, conversation_id: int) -> Row[Any] | None:
        """The mailbox the customer last wrote to, else the first active one."""
        row = conn.execute(select(MAILBOX).join(R, R.c.mailbox_id == MAILBOX.c.id).where(
            R.c.conversation_id == conversation_id, MAILBOX.c.active.is_(True)).order_by(R.c.id.desc()).limit(1)).first()
        return row or conn.execute(select(MAILBOX).where(MAILBOX.c.active.is_(True))
                                   .order_by(MAILBOX.c.id).limit(1)).first()

    @staticmethod
    def _last_customer_mail(conn: Connection, conversation_id: int) -> dict[str, Any] | None:
        for meta in conn.execute(select(MSG.c.meta).where(MSG.c.conversation_id == conversation_id,
                                                          MSG.c.direction == IN, MSG.c.channel == CHANNEL)
                                 .order_by(MSG.c.id.desc()).limit(20)).scalars():
            if meta and meta.get("email") and not meta.get("automatic"):
                email: dict[str, Any] = meta["email"]
                return email
        return None

    @staticmethod
    def _customer_email(conn: Connection, customer_id: int) -> str | None:
        address: str | None = conn.execute(select(IDENT.c.value).where(
            IDENT.c.customer_id == customer_id, IDENT.c.kind == EMAIL).order_by(IDENT.c.id).limit(1)).scalar()
        return address

    @staticmethod
    def _own(conn: Connection) -> set[str]:
        return {a.lower() for a in conn.execute(select(MAILBOX.c.address)).scalars()}

    @staticmethod
    def _author(conn: Connection, message: Row[Any]) -> str:
        if message.author_agent_id:
            name = conn.execute(select(AGENTS.c.name).where(AGENTS.c.id == message.author_agent_id)).scalar()
            return name or "Support"
        if message.author_token_id:  # the name it shows customers; a token's own name is for the team
            name = conn.execute(select(API_TOKENS.c.display_name)
                                .where(API_TOKENS.c.id == message.author_token_id)).scalar()
            return name or "Support"
        return "Support"

    @staticmethod
    def _references(conn: Connection, conversation_id: int) -> list[str]:
        """The thread's Message-IDs, oldest first (the last is what this answers): the customer's
        mails and ours, at most the last 10 as mail clients do."""
        theirs = conn.execute(select(R.c.message_id, R.c.message_id_header).where(
            R.c.conversation_id == conversation_id, R.c.message_id_header != "", R.c.message_id.is_not(None))).all()
        ours = conn.execute(select(D.c.message_id, D.c.external_id).join(MSG, MSG.c.id == D.c.message_id).where(
            and_(MSG.c.conversation_id == conversation_id, D.c.channel == CHANNEL, D.c.external_id != "",
                 D.c.status.in_(("sent", "delivered"))))).all()
        ordered = sorted([*theirs, *ours], key=lambda r: r[0])
        return [r[1] for r in ordered][-10:]
