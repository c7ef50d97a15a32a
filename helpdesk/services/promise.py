"""What the shop promises a customer on their page: who answers (the team's name), whether
the team is in now (business hours, in the shop's time zone and named), when the answer is
due ("We usually reply within 2 business hours — by 15:30 today", from the response-time
target of the conversation's priority), and whether the team has seen their last message.
Times are the shop's local times with the zone's name, never bare UTC."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from helpdesk.models import IN, OPEN, REPLY, AppSetting
from helpdesk.models.tables import CONVERSATION_READS as READS, MESSAGES as MSG
from helpdesk.services.base import Actor, Service, audit, require_admin, writes
from helpdesk.services.errors import ValidationFailed
from helpdesk.services.sla import SlaRules

if TYPE_CHECKING:  # for annotations only: the container wires these services together
    from helpdesk.clock import Clock
    from helpdesk.config import Settings
    from helpdesk.db import Database
    from helpdesk.services.links import Links
    from helpdesk.services.sla import SlaService

TEAM_KEY = "team"
LOGO_KEY = "team_logo"
LOGO_TYPES = ("image/png", "image/jpeg", "image/webp")
LOGO_MAX = 200_000
PUBLIC_KEY = "public_url"
DEFAULT_TEAM = "The team"


@dataclass(frozen=True)
class Promise:
    team: str
    zone: Any  # a ZoneInfo: the shop's time zone
    open_now: bool | None  # None: around the clock (nothing to say)
    open_until: datetime | None
    next_open: datetime | None
    reply_within: str  # "2 business hours", "" when there is no target
    reply_by: datetime | None  # while the team owes an answer
    seen: bool  # an agent has read the customer's last message

    def local(self, at: datetime, now: datetime) -> str:
        """'15:30 today', 'tomorrow 9:00', 'Mon 2 Dec, 9:00', with the zone's short name."""
        here, today = at.astimezone(self.zone), now.astimezone(self.zone).date()
        zone = here.strftime("%Z")
        clock = f"{here:%H:%M}"
        if here.date() == today:
            return f"{clock} today ({zone})"
        if here.date() == today + timedelta(days=1):
            return f"tomorrow {clock} ({zone})"
        return f"{here:%a} {here.day} {here:%b}, {clock} ({zone})"  # no %-d: Windows has none


def shop_time(at: datetime, zone: Any) -> str:
    """One way every customer surface writes a time: '4 Dec 2026, 22:19 CET', in the shop's zone
    and named (the page, the chat, the mails)."""
    local = at.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M} {local:%Z}"


def hours_words(promise: Promise, now: datetime) -> str:
    """'In now, until 17:00 today (CET)' / 'Closed now; back tomorrow 09:00 (CET)' / '' (around the clock)."""
    if promise.open_now is None:
        return ""
    if promise.open_now:
        return f"In now, until {promise.local(promise.open_until, now)}" if promise.open_until else "In now"
    return f"Closed now; back {promise.local(promise.next_open, now)}" if promise.next_open else "Closed now"


def reply_words(promise: Promise, now: datetime) -> str:
    """'We usually reply within 2 business hours — by 15:30 today (CET).' while an answer is owed."""
    if promise.reply_by is not None and promise.reply_within:
        return f"We usually reply within {promise.reply_within} — by {promise.local(promise.reply_by, now)}."
    return ""


def minutes_words(minutes: int, business: bool) -> str:
    hours, rest = divmod(minutes, 60)
    kind = "business " if business else ""
    if minutes >= 60 * 24 and not business and minutes % (60 * 24) == 0:
        days = minutes // (60 * 24)
        return f"{days} day{'s' if days != 1 else ''}"
    if hours and not rest:
        return f"{hours} {kind}hour{'s' if hours != 1 else ''}"
    if not hours:
        return f"{minutes} {kind}minute{'s' if minutes != 1 else ''}"
    return f"{hours} h {rest} min" + (" of business time" if business else "")


class PromiseService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, sla: SlaService, links: Links) -> None:
        super().__init__(db, clock, settings)
        self.sla = sla
        self.links = links
        with self.db.read() as s:  # the address an admin saved (the environment, when set, wins)
            saved = s.get(AppSetting, PUBLIC_KEY)
        links.use_saved(str(saved.value.get("url")) if saved and saved.value and saved.value.get("url") else None)

    def set_logo(self, data: bytes, actor: Actor) -> None:
        """The team's logo on customers' pages and the chat: a PNG, JPEG or WebP up to 200 KB, kept
        in the database (so backups carry it and no file cleanup can take it); b"" removes it."""
        require_admin(actor, "change the logo")
        from helpdesk.services.files import sniff

        kind = sniff(data[:64], "logo") if data else ""
        if data and (kind not in LOGO_TYPES or len(data) > LOGO_MAX):
            raise ValidationFailed("the logo was not saved",
                                   {"logo": "must be a PNG, JPEG or WebP image of at most 200 KB"})
        self._save_logo(base64.b64encode(data).decode() if data else "", kind, actor)

    @writes
    def _save_logo(self, encoded: str, kind: str, actor: Actor) -> None:
        with self.db.write() as tx:
            setting = tx.session.get(AppSetting, LOGO_KEY) or AppSetting(key=LOGO_KEY, value={})
            setting.value = {"data": encoded, "type": kind} if encoded else {}
            tx.session.add(setting)
            audit(tx.session, self.now(), actor, "logo.changed", removed=not encoded)

    def logo(self) -> tuple[bytes, str] | None:
        with self.db.read() as s:
            setting = s.get(AppSetting, LOGO_KEY)
        if setting is None or not setting.value or not setting.value.get("data"):
            return None
        return base64.b64decode(setting.value["data"]), str(setting.value["type"])

    def set_public_url(self, url: str, actor: Actor) -> None:
        """The address customers use (https://help.myshop.com), for every link, mail, chat line and
        QR code; "" goes back to the LAN address. Only the address: no path, no query."""
        require_admin(actor, "set the address customers use")
        url = (url or "").strip().rstrip("/")
        if url:
            parts = urlsplit(url)
            try:
                parts.port  # noqa: B018
            except ValueError:
                parts = urlsplit("bad:")
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query \
                    or parts.username:
                raise ValidationFailed("the address was not saved",
                                       {"public_url": "must be an address like https://help.myshop.com"})
        self._save_public(url, actor)
        self.links.use_saved(url or None)

    @writes
    def _save_public(self, url: str, actor: Actor) -> None:
        with self.db.write() as tx:
            setting = tx.session.get(AppSetting, PUBLIC_KEY) or AppSetting(key=PUBLIC_KEY, value={})
            setting.value = {"url": url}
            tx.session.add(setting)
            audit(tx.session, self.now(), actor, "public_url.changed", url=url)

    def zone(self) -> Any:
        """The shop's time zone (its business hours'; the PC's own until they are set)."""
        return self.sla.rules().calendar.tz

    def team_name(self) -> str:
        with self.db.read() as s:
            setting = s.get(AppSetting, TEAM_KEY)
        return str(setting.value.get("name") or DEFAULT_TEAM) if setting and setting.value else DEFAULT_TEAM

    def set_team_name(self, name: str, actor: Actor) -> None:
        require_admin(actor, "name the team")
        name = " ".join((name or "").split())
        if not 0 < len(name) <= 80:
            raise ValidationFailed("the name was not saved", {"name": "must be 1 to 80 characters"})
        self._save_team(name, actor)

    @writes
    def _save_team(self, name: str, actor: Actor) -> None:
        with self.db.write() as tx:
            setting = tx.session.get(AppSetting, TEAM_KEY) or AppSetting(key=TEAM_KEY, value={})
            setting.value = {**(setting.value or {}), "name": name}
            tx.session.add(setting)
            audit(tx.session, self.now(), actor, "team.renamed", name=name)

    def for_conversation(self, conversation: Any) -> Promise:
        now = self.now()
        rules: SlaRules = self.sla.rules()
        team_id = getattr(conversation, "team_id", None)
        calendar = rules.calendar_of(team_id)  # a team may keep its own hours
        open_now = until = next_open = None
        if not calendar.around_the_clock:
            spans = list(calendar.intervals(now - timedelta(days=1), now + timedelta(days=14)))
            current = next(((a, b) for a, b in spans if a <= now < b), None)
            open_now = current is not None
            until = current[1] if current else None
            next_open = None if current else next((a for a, _ in spans if a > now), None)
        policy = rules.policy(conversation.priority, team_id)
        waiting = conversation.status == OPEN and conversation.waiting_since is not None
        within, reply_by = "", None
        if policy is not None:
            minutes = policy.first_response_minutes if conversation.first_reply_at is None \
                else policy.next_response_minutes
            within = minutes_words(minutes, policy.business_hours) if minutes else ""
        if waiting:
            due = SlaRules.due_of(conversation, now)
            reply_by = due.due_at if due is not None and due.target != "resolution" and not due.overdue else None
        return Promise(self.team_name(), calendar.tz, open_now, until, next_open, within, reply_by,
                       self._seen(conversation.id))

    def for_chat(self, conversation_id: int | None) -> dict[str, object]:
        """What the website chat shows under the team's name."""
        now = self.now()
        if conversation_id is None:
            rules = self.sla.rules()
            policy = rules.policies.get("normal")
            within = minutes_words(policy.first_response_minutes, policy.business_hours) if policy else ""
            promise = self.for_conversation(_NewConversation())
            return {"team": promise.team, "hours": hours_words(promise, now),
                    "promise": f"We usually reply within {within}." if within else "", "seen": False,
                    "logo": self.logo_url()}
        from helpdesk.models import Conversation

        with self.db.read() as s:
            conversation = s.get(Conversation, conversation_id)
        promise = self.for_conversation(conversation)
        return {"team": promise.team, "hours": hours_words(promise, now), "promise": reply_words(promise, now),
                "seen": promise.seen, "logo": self.logo_url()}

    def logo_url(self) -> str:
        """Where customers' pages and the chat load the logo from ("" without one)."""
        return f"{self.links.base_url()}/files/logo" if self.logo() else ""

    def _seen(self, conversation_id: int) -> bool:
        with self.db.read() as s:
            last_in = s.execute(select(func.max(MSG.c.id)).where(
                MSG.c.conversation_id == conversation_id, MSG.c.direction == IN, MSG.c.kind == REPLY)).scalar()
            if last_in is None:
                return False
            read = s.execute(select(func.max(READS.c.last_read_message_id)).where(
                READS.c.conversation_id == conversation_id)).scalar()
        return read is not None and read >= last_in


class _NewConversation:
    """A question not asked yet: open, normal priority, no clocks (for the chat's first screen)."""

    id = 0
    priority = "normal"
    status = "new"
    waiting_since = None
    first_reply_at = None
