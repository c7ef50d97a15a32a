"""The chat on the shop's website (and /chat in the shop): a visitor writes at once, comes
back on the same browser to the same thread (a random visitor token the widget keeps), or
anywhere when the site signs its logged-in users (user id + HMAC-SHA256 of it with the
channel's secret). A visitor who leaves an email hears back by mail while away. Visitors
only ever see their own conversations; an email they type joins nothing of anyone else's."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update

from helpdesk import events
from helpdesk.models import (EMAIL, EVENT, EXTERNAL_ID, IN, SPAM, Channel, Message)
from helpdesk.models.tables import (CONVERSATIONS as CONV, CUSTOMERS as CUSTOMER, CUSTOMER_IDENTIFIERS as IDENT,
                                   MESSAGES as MSG)
from helpdesk.services.base import Actor, Service, same_secret, stored_id, writes
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.thread_events import insert_event
from helpdesk.services.customers import normalize_email
from helpdesk.services.errors import Forbidden, NotFound, ValidationFailed
from helpdesk.services.files import MEDIA_TYPES
from helpdesk.services.promise import shop_time
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

if TYPE_CHECKING:
    from helpdesk.services.conversations import ConversationService
    from helpdesk.services.files import FileService
    from helpdesk.services.links import Links
    from helpdesk.services.messaging.config import ChannelService
    from helpdesk.services.promise import PromiseService

CHAT = "chat"
VISITOR = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
USER_HASH_DAYS = 31  # the longest a signed user id may be good for


@dataclass(frozen=True)
class Visitor:
    channel: Channel
    external_id: str
    signed_in: bool


@dataclass(frozen=True)
class ChatMessage:
    id: int
    mine: bool  # the visitor's own
    who: str
    body: str
    at: datetime
    when: str  # the shop's time with its zone's name, as the customer's page writes it
    files: tuple[tuple[str, str], ...] = ()  # (name, signed link on the address customers use)
    media: tuple[tuple[str, int | None], ...] = ()  # per file: ("audio" | "video" | "", length in ms)
    choices: tuple[str, ...] = ()  # answers to tap (a team reply's)
    payment: dict[str, Any] | None = None  # a payment request's card, as the customer sees it
    meta: dict[str, Any] | None = None  # a shared location or contact


@dataclass(frozen=True)
class ChatThread:
    conversation_id: int | None
    status: str
    link: str  # the conversation page: to continue on another device
    messages: list[ChatMessage]
    earlier: list[tuple[str, str]]  # (what it was about, its page) of this visitor's earlier conversations


class ChatService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, conversations: ConversationService,
                 channels: ChannelService, links: Links, files: FileService, promise: PromiseService) -> None:
        super().__init__(db, clock, settings)
        self.files = files
        self.promise = promise
        self.conversations = conversations
        self.channels = channels
        self.links = links
        self.payments: Any = None  # payment cards in the chat (set by the container)

    def site(self, key: str) -> Channel:
        for channel in self.channels.all():
            if channel.kind == "website" and channel.active and same_secret(
                    str(channel.config.get("key", "")), key):
                return channel
        raise NotFound("there is no chat with this key")

    def origin_allowed(self, channel: Channel, origin: str | None) -> bool:
        """The sites that may embed this chat, and Helpdesk's own /chat page."""
        if origin is None:
            return True  # not a browser's cross-origin request
        own = {self.links.base_url(), self.links.lan_url()}
        return origin.rstrip("/").lower() in {*channel.config.get("origins", []), *(o.lower() for o in own)}

    def visitor(self, key: str, visitor: str, user_id: str = "", user_hash: str = "") -> Visitor:
        channel = self.site(key)
        if user_id:
            secret = self.channels.secrets_of(channel).get("user_secret", "")
            if not secret or len(user_id) > 128 or not self._signed(secret, user_id, (user_hash or "").lower()):
                raise Forbidden("the signed user id does not verify")
            return Visitor(channel, f"site{channel.id}:user:{user_id}", True)
        if not VISITOR.match(visitor or ""):
            raise ValidationFailed("a visitor token of 16 to 64 letters, digits, - or _ is needed",
                                   {"visitor": "missing or malformed"})
        # Only a digest is kept: the token in the browser is the visitor's credential.
        return Visitor(channel, f"site{channel.id}:visitor:{hashlib.sha256(visitor.encode()).hexdigest()[:40]}",
                       False)

    def send(self, who: Visitor, body: str, email: str = "", name: str = "", files: Any = (),
             seen: list[dict[str, Any]] | None = None) -> ChatThread:
        """`seen`: the help articles suggested to the visitor as they typed (services/help), for the agent."""
        address = normalize_email(email) if email else None
        if email and address is None:
            raise ValidationFailed("that is not an email address", {"email": "must be an email address"})
        # By the visitor alone: an address typed into a chat proves nothing, so it never leads
        # into another customer's conversations (it is attached below only if nobody has it).
        # Agents see a name, or the address the visitor left, never the visitor token's digest.
        shown_name = name or ("" if address else "Website visitor")
        if not body.strip() and files:  # a photo alone: the thread says what came
            body = "Sent " + ", ".join(f.filename for f in files)
        result = self.conversations.receive(IncomingMessage(body=body, external_id=who.external_id,
                                                            name=shown_name or None, channel=CHAT,
                                                            team_id=who.channel.team_id,
                                                            meta={"articles_seen": seen} if seen else None),
                                             files=files)
        if address:
            self._leave_address(result.customer_id, result.conversation_id, address)
        return self.thread(who)

    @writes
    def _leave_address(self, customer_id: int, conversation_id: int, address: str) -> None:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            owner = conn.execute(select(IDENT.c.customer_id).where(IDENT.c.kind == EMAIL,
                                                                   IDENT.c.value == address)).scalar()
            if owner == customer_id:
                return
            if owner is None:
                conn.execute(insert(IDENT).values(customer_id=customer_id, kind=EMAIL, value=address, created_at=now))
                conn.execute(update(CUSTOMER).where(CUSTOMER.c.id == customer_id).values(  # the address first: shown
                    contact=func.trim(address + " " + func.coalesce(CUSTOMER.c.contact, "")), updated_at=now))
                return
            text = (f"The visitor left {address}, which another customer has: if they are one person, link them "
                    f"(customer panel); replies by mail wait until then")
            recent = conn.execute(select(MSG.c.id).where(MSG.c.conversation_id == conversation_id,
                                                         MSG.c.body == text)).first()
            if recent is None:
                event_id = insert_event(conn, conversation_id, now, text, Actor.system(), event="address_taken")
                tx.emit(events.MESSAGE_CREATED, conversation_id, message_id=event_id, direction="out", kind="event")

    def _customer(self, who: Visitor) -> int | None:
        with self.db.read() as s:
            return s.execute(select(IDENT.c.customer_id).where(IDENT.c.kind == EXTERNAL_ID,
                                                               IDENT.c.value == who.external_id)).scalar()

    def thread(self, who: Visitor, after: int = 0) -> ChatThread:
        """The visitor's latest conversation (public messages after `after`)."""
        customer_id = self._customer(who)
        if customer_id is None:
            return ChatThread(None, "new", "", [], [])
        with self.db.read() as s:
            if self.conversations.blocklist.blocks(s.connection(), customer_id):
                return ChatThread(None, "new", "", [], [])  # as a visitor never seen: nothing is revealed
            rows = s.execute(select(CONV.c.id, CONV.c.status, CONV.c.public_token, CONV.c.subject,
                                    CONV.c.last_message_preview, CONV.c.last_message_at).where(
                CONV.c.customer_id == customer_id, CONV.c.merged_into_id.is_(None), CONV.c.status != SPAM)
                .order_by(CONV.c.last_message_at.desc(), CONV.c.id.desc())).all()
        if not rows:
            return ChatThread(None, "new", "", [], [])
        latest = rows[0]
        detail = self.conversations.messages_after(latest.id, after)
        base = self.links.base_url()
        zone, team = self.promise.zone(), self.promise.team_name()
        shown = [m for m in detail.messages if m.kind != EVENT]
        cards = self.payments.cards_for_customer(latest.public_token, detail.payments) \
            if self.payments is not None and detail.payments else {}
        def shown_message(m: Message) -> ChatMessage:
            files = detail.attachments.get(stored_id(m), [])
            return ChatMessage(stored_id(m), m.direction == IN,
                               "You" if m.direction == IN else detail.public_author(m, team),
                               m.body, m.created_at, shop_time(m.created_at, zone),
                               tuple((a.filename, base + self.files.signed_path(a)) for a in files),
                               tuple((a.content_type.partition("/")[0] if a.content_type in MEDIA_TYPES else "",
                                      a.duration_ms) for a in files),
                               tuple((m.meta or {}).get("choices") or ()) if m.direction != IN else (),
                               cards.get(stored_id(m)), m.meta if m.direction == IN else None)

        messages = [shown_message(m) for m in shown]
        earlier = [(r.subject or f"{r.last_message_at.day} {r.last_message_at:%b %Y}: {r.last_message_preview[:60]}",
                    self.links.conversation(r.public_token)) for r in rows[1:6]]
        return ChatThread(latest.id, latest.status, self.links.conversation(latest.public_token), messages, earlier)

    def conversation_of(self, who: Visitor) -> int | None:
        thread = self.thread(who, after=2 ** 31 - 1)  # no messages: the largest id an INTEGER column holds
        return thread.conversation_id

    def snippet(self, channel: Channel) -> str:
        """The one line a site owner pastes (the address customers use, never a request's Host)."""
        return (f'<script src="{self.links.base_url()}/widget.js" data-helpdesk="{channel.config.get("key", "")}" '
                f'async></script>')

    def page_url(self, channel: Channel) -> str:
        """The chat as a page, on the address customers use (the public one when set, else this
        PC's LAN address and the port it serves on)."""
        return f"{self.links.base_url()}/chat?site={channel.config.get('key', '')}"

    def who_reaches(self) -> str:
        """Which visitors the snippet and poster work for, in a sentence for the shop."""
        if self.links.public_url():
            return f"Visitors anywhere reach it through {self.links.public_url()}."
        return (f"No public address is set, so this works only for visitors on the shop's own network "
                f"({self.links.lan_url()}): for your website's visitors on the internet, set the address customers "
                "use (Settings › Customer page, or HELPDESK_PUBLIC_URL) behind a proxy or tunnel "
                "(docs/public-address.md).")

    def _signed(self, secret: str, user_id: str, given: str) -> bool:
        """`EXPIRES.HMAC(id.EXPIRES)`, good until EXPIRES (Unix seconds, at most USER_HASH_DAYS
        ahead); or the older `HMAC(id)`, which never expires (still taken, not recommended)."""
        expires, _, digest = given.partition(".")
        if digest:
            if not expires.isdigit() or len(expires) > 12:
                return False
            left = int(expires) - self.now().timestamp()
            signed = hmac.new(secret.encode(), f"{user_id}.{expires}".encode(), hashlib.sha256).hexdigest()
            return 0 < left <= USER_HASH_DAYS * 86400 and same_secret(signed, digest)
        return same_secret(hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest(), given)

    def user_hash(self, channel: Channel, user_id: str, valid_for: timedelta = timedelta(days=1)) -> str:
        """What the site computes on its server for a signed-in user, good for `valid_for`:
        EXPIRES.HMAC-SHA256(secret, "id.EXPIRES") (also shown to admins for testing)."""
        secret = self.channels.secrets_of(channel).get("user_secret", "")
        expires = str(int((self.now() + valid_for).timestamp()))
        return expires + "." + hmac.new(secret.encode(), f"{user_id}.{expires}".encode(), hashlib.sha256).hexdigest()
