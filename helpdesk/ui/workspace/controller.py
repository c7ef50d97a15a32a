"""The workspace's state and what an agent does in it, without Flet: which view and
filters, the inbox rows, the open conversation, the draft, search, merging live events
and sending. The views (one file each beside this one) only draw what this holds, so
this part is tested with a ManualClock and no browser.

Every service call leaves the event loop: reads through `backend.read` (a worker
thread), writes through `backend.write` (the database's writer thread)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Awaitable, Callable, Protocol

from helpdesk.events import (AUTOMATION_NOTIFY, CHANNEL_CHANGED, DELIVERY_UPDATED, MAILBOX_CHANGED, PRESENCE_CHANGED,
                             SLA_BREACHED)
from helpdesk import events
from helpdesk.models import EVENT, IN, OPEN, PENDING, RESOLVED
from helpdesk.services.container import Services
from helpdesk.services.base import Actor
from helpdesk.services.conversations import ConversationDetail
from helpdesk.services.customers import CustomerHistory
from helpdesk.services.errors import NewCustomerMessages, ServiceError
from helpdesk.services.files import StagedFile
from helpdesk.services.inbox import VIEWS, InboxQuery, InboxRow
from helpdesk.services.search import SearchHit
from helpdesk.ui.format import explain

PAGE_SIZE = 50
# While the agent typed here this recently, a draft saved on another device does not replace it.
LOCAL_EDIT_WINS_FOR = 2.0
TAGS_FRESH_FOR = 30.0
COUNTS_FRESH_FOR = 1.0
SENT_WORDS = {"note": "Note added", PENDING: "Sent; waiting on the customer",
              RESOLVED: "Sent and resolved", OPEN: "Sent; kept open"}


class Backend(Protocol):
    async def read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...
    async def write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...


@dataclass
class Opened:
    """A conversation just opened (or re-read after a change)."""

    detail: ConversationDetail
    history: CustomerHistory
    draft: str | None  # the saved draft when the conversation was newly opened, else None
    switched: bool
    ways: "ReplyWays | None" = None


@dataclass
class ReplyWays:
    """How a reply to the open conversation can leave: the channels (the default first) and
    what limits them (WhatsApp's 24 hours, a customer who texted STOP)."""

    options: list[str]
    whatsapp_until: datetime | None = None
    texts_stopped: datetime | None = None


@dataclass
class Refresh:
    """What a batch of live events asks the views to redraw."""

    inbox: bool = False
    counts: bool = False  # the views' counts may have changed too (not by a follow-up to an open conversation)
    thread: bool = False
    presence: bool = False
    breaches: list[events.Event] = field(default_factory=list)
    remote_draft: str | None = None  # the same agent's draft from another device
    mail: bool = False  # a mailbox's trouble started or ended (the banner)
    notices: list[str] = field(default_factory=list)  # automation rules telling the agents something
    mentioned: list[events.Event] = field(default_factory=list)  # notes naming this agent
    mentions_changed: bool = False  # this agent's unread mentions went up or down
    macros: bool = False  # a macro this agent may run was made, changed or deleted
    articles: bool = False  # a help article was written, changed or deleted ("/" in the reply box offers them)


@dataclass
class SendOutcome:
    sent: bool
    unseen: int = 0  # > 0: customer messages arrived after the reply was started; ask first
    words: str = ""  # what to tell the agent


class WorkspaceController:
    def __init__(self, services: Services, actor: Actor, backend: Backend, presence_key: str,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.services = services
        self.actor = actor
        self.backend = backend
        self.presence_key = presence_key
        self.monotonic = monotonic
        self.query = InboxQuery(view="all", status=OPEN)
        self.rows: list[InboxRow] = []
        self.cursor: str | None = None
        self.counts: dict[str, int] = {v: 0 for v in VIEWS}
        self.tags: list[str] = []
        self.teams: dict[int, str] = {}  # the team filter's choices (read with the tags)
        self.selected_id: int | None = None
        self.detail: ConversationDetail | None = None
        self.history: CustomerHistory | None = None
        self.seen_message_id: int | None = None
        self.searching: str | None = None
        self.hits: list[SearchHit] = []
        self.last_local_edit = float("-inf")
        self._tags_read_at = float("-inf")
        self._counts_read_at = float("-inf")
        self.counts_stale = False
        self._open_seq = 0

    @property
    def agent_id(self) -> int:
        assert self.actor.agent_id is not None
        return self.actor.agent_id

    def now(self) -> datetime:
        return self.services.clock.now()

    # ---- the inbox ---------------------------------------------------------------------

    async def load_inbox(self, keep: bool = False, counts: bool = True) -> None:
        """Rows of the current view and filters (keep: as many as are shown now, for a live
        refresh) and the views' counts. Counting every view costs more than a page of rows at
        a million messages (~150 ms against ~5), so a live refresh reads only the rows and
        marks the counts stale: the caller reads them with `load_counts` when `counts_wait`
        says, at most every COUNTS_FRESH_FOR seconds. counts=False (another view: the counts
        do not depend on it) skips them.
        The tag filter's choices: on a change of view or filters, and at most every
        TAGS_FRESH_FOR seconds on live refreshes (they change seldom)."""
        limit = max(PAGE_SIZE, len(self.rows)) if keep else PAGE_SIZE
        services, query, agent_id = self.services, self.query, self.agent_id
        now = self.monotonic()
        with_tags = not keep or now - self._tags_read_at >= TAGS_FRESH_FOR
        with_counts = counts and not keep

        def read() -> tuple:
            return (services.inbox.page(query, agent_id, None, limit, shared=True),
                    services.inbox.counts(query, agent_id, shared=True) if with_counts else None,
                    (services.conversations.all_tags(), services.teams.names()) if with_tags else None)

        page, counted, choices = await self.backend.read(read)
        if choices is not None:
            (self.tags, self.teams), self._tags_read_at = choices, now
        if counted is not None:
            self.counts, self._counts_read_at, self.counts_stale = counted, now, False
        elif counts:
            self.counts_stale = True
        self.rows, self.cursor = page.rows, page.cursor
        self._mark_selected_read()

    def counts_wait(self) -> float:
        """Seconds until counts held back by a live refresh are due (0: now)."""
        return max(0.0, COUNTS_FRESH_FOR - (self.monotonic() - self._counts_read_at))

    async def load_counts(self) -> None:
        self.counts = await self.backend.read(self.services.inbox.counts, self.query, self.agent_id, shared=True)
        self._counts_read_at, self.counts_stale = self.monotonic(), False

    async def load_more(self) -> None:
        if not self.cursor:
            return
        page = await self.backend.read(self.services.inbox.page, self.query, self.agent_id, self.cursor, shared=True)
        known = {r.id for r in self.rows}
        self.rows += [r for r in page.rows if r.id not in known]
        self.cursor = page.cursor

    async def set_view(self, view: str) -> None:
        self.query.view = view
        await self.load_inbox(counts=False)

    async def set_filters(self, status: str | None, priority: str | None, tag: str | None,
                          team: str | None = None) -> None:
        """`team`: a team's id as text ("" or None: every team's and none)."""
        self.query.status = status or OPEN
        self.query.priority = priority or None
        self.query.tag = tag or None
        self.query.team_id = int(team) if team else None
        await self.load_inbox()

    def window_title(self) -> str:
        """The window title (and browser tab) carries what needs attention."""
        attention = [f"{self.counts['overdue']} overdue"] if self.counts.get("overdue") else []
        attention += [f"{self.counts['unassigned']} unassigned"] if self.counts.get("unassigned") else []
        return f"Helpdesk ({', '.join(attention)})" if attention else "Helpdesk"

    def neighbour(self, step: int) -> int | None:
        """The conversation above (-1) or below (+1) the open one in the list."""
        ids = [r.id for r in self.rows]
        if not ids:
            return None
        index = ids.index(self.selected_id) + step if self.selected_id in ids else 0
        return ids[max(0, min(len(ids) - 1, index))]

    def _mark_selected_read(self) -> None:
        for row in self.rows:
            if row.id == self.selected_id:
                row.unread = False

    # ---- one conversation ----------------------------------------------------------------

    async def open(self, conversation_id: int) -> Opened | None:
        """Open a conversation (or re-read the open one). None: the agent has already clicked
        another one while this was loading. NotFound: it no longer exists."""
        switched = conversation_id != self.selected_id
        self._open_seq += 1
        seq = self._open_seq
        services, agent_id = self.services, self.agent_id
        previous = self.detail if not switched and self.detail is not None else None

        def read() -> tuple:
            # The open one again (a live event): only what is new in its thread is read.
            detail = services.conversations.refresh(previous) if previous else services.conversations.get(conversation_id)
            history = services.customers.history(detail.conversation.customer_id, 50)
            draft = services.drafts.get(agent_id, conversation_id) if switched else None
            customer_id = detail.conversation.customer_id
            ways = ReplyWays(services.conversations.reply_options(conversation_id),
                             services.messaging.whatsapp_window(customer_id), services.messaging.opted_out(customer_id))
            return detail, history, draft, ways

        detail, history, draft, ways = await self.backend.read(read)
        if seq != self._open_seq:
            return None
        self.selected_id, self.detail, self.history = conversation_id, detail, history
        if switched:
            self.seen_message_id = draft.seen_message_id if draft else None
            self.last_local_edit = float("-inf")
            self.services.presence.viewing(self.presence_key, agent_id, self.actor.name, conversation_id)
        self._mark_selected_read()
        return Opened(detail, history, (draft.body if draft else "") if switched else None, switched, ways)

    async def after_open(self, opened: Opened) -> None:
        """Bookkeeping once the thread is on screen: read marks, and where to resume elsewhere."""
        await self.backend.write(self.services.conversations.mark_read, opened.detail.conversation.id,
                                 self.agent_id, opened.switched)

    async def close(self) -> None:
        self.selected_id = None
        self.detail = None
        self.history = None
        self.seen_message_id = None
        self.services.presence.left(self.presence_key)
        await self.backend.write(self.services.drafts.set_location, self.agent_id, None)

    def rejoin(self) -> None:
        """Back after the browser was away: colleagues see this agent on the open conversation again."""
        if self.selected_id is not None:
            self.services.presence.viewing(self.presence_key, self.agent_id, self.actor.name, self.selected_id)

    def presence_words(self) -> str:
        """'Bob is typing… · Cleo is viewing' for the open conversation."""
        if self.selected_id is None:
            return ""
        others = self.services.presence.others(self.selected_id, self.agent_id)
        return " · ".join(f"{name} is typing…" if typing else f"{name} is viewing" for name, typing in others)

    # ---- search ----------------------------------------------------------------------------

    async def search(self, text: str) -> None:
        searching = self.searching = text.strip() or None
        hits = await self.backend.read(self.services.search.search, searching, 30) if searching else []
        if self.searching == searching:  # not closed (or replaced) while it ran
            self.hits = hits

    def clear_search(self) -> None:
        self.searching = None
        self.hits = []

    # ---- live events --------------------------------------------------------------------------

    def merge(self, batch: list[events.Event]) -> Refresh:
        """Decide what a batch of events (coalesced by the view) means for this agent's screen."""
        refresh = Refresh()
        for ev in batch:
            mine = ev.conversation_id is not None and ev.conversation_id == self.selected_id
            if ev.type in (events.MESSAGE_CREATED, events.CONVERSATION_CREATED, events.CONVERSATION_UPDATED):
                refresh.inbox = True
                # A message alone moves no conversation between views; an update that says so neither.
                refresh.counts = refresh.counts or (ev.type != events.MESSAGE_CREATED
                                                    and not ev.data.get("views_kept"))
                if "tags" in ev.data:  # a tag may be new: the filter offers it at the next refresh
                    self._tags_read_at = float("-inf")
                refresh.thread = refresh.thread or mine or (ev.conversation_id is None and self.selected_id is not None)
            elif ev.type == events.DRAFT_SAVED and ev.data.get("agent_id") == self.agent_id and mine:
                if self.monotonic() - self.last_local_edit >= LOCAL_EDIT_WINS_FOR:
                    refresh.remote_draft = ev.data.get("body", "")
            elif ev.type == PRESENCE_CHANGED and mine:
                refresh.presence = True
            elif ev.type == DELIVERY_UPDATED:
                refresh.thread = refresh.thread or mine  # queued → sent (or failed) on a reply on screen
                refresh.mail = True
            elif ev.type in (MAILBOX_CHANGED, CHANNEL_CHANGED):
                refresh.mail = True
            elif ev.type == events.MENTION_CREATED and self.agent_id in ev.data.get("agent_ids", ()):
                refresh.mentioned.append(ev)
                refresh.mentions_changed = True
            elif ev.type == events.MENTIONS_READ and ev.data.get("agent_id") == self.agent_id:
                refresh.mentions_changed = True
            elif ev.type == events.MACROS_CHANGED and ev.data.get("owner_id") in (None, self.agent_id):
                refresh.macros = True
            elif ev.type == events.ARTICLES_CHANGED:
                refresh.articles = True
            elif ev.type == AUTOMATION_NOTIFY:
                refresh.notices.append(f"{ev.data.get('rule', 'A rule')} (#{ev.conversation_id}): {ev.data.get('text', '')}")
            elif ev.type == SLA_BREACHED:
                refresh.inbox = refresh.counts = True
                refresh.thread = refresh.thread or mine
                refresh.breaches.append(ev)
        if self.searching is not None:
            refresh.inbox = False  # the results stay until the agent closes the search
        return refresh

    async def load_mention_count(self) -> None:
        """Only the Mentions count (one indexed count): a mention shows at once, not with the paced counts."""
        self.counts["mentions"] = await self.backend.read(self.services.mentions.unread_count, self.agent_id)

    async def mail_trouble(self) -> str:
        """The banner's words when mail or a channel (the SMS phone, Telegram) is down; "" when all is well."""
        services = self.services
        return await self.backend.read(lambda: services.mail.mailboxes.trouble() or services.messaging.channels.trouble())

    # ---- writing -----------------------------------------------------------------------------

    def typed(self) -> None:
        """The agent typed in the reply box: remember what they had seen when they started."""
        self.last_local_edit = self.monotonic()
        if self.seen_message_id is None and self.detail and self.detail.messages:
            self.seen_message_id = self.detail.messages[-1].id
        self.services.presence.typing(self.presence_key)

    async def save_draft(self, body: str) -> None:
        if self.selected_id is not None:
            await self.backend.write(self.services.drafts.save, self.agent_id, self.selected_id, body,
                                     self.seen_message_id)

    async def send(self, body: str, then: str, confirmed: bool = False,
                   files: list[StagedFile] | tuple[StagedFile, ...] = (), via: str | None = None,
                   choices: list[str] | None = None) -> SendOutcome:
        """Send a reply (then: pending, resolved or open) or add a note (then: note), with files, and
        a reply perhaps with answers the customer can tap."""
        if self.selected_id is None:
            return SendOutcome(False)
        if not body.strip() and not files:
            return SendOutcome(False, words="Write something first.")
        conversations = self.services.conversations
        try:
            if then == "note":
                await self.backend.write(conversations.add_note, self.selected_id, self.actor, body, files)
            else:
                await self.backend.write(conversations.reply, self.selected_id, self.actor, body, then,
                                         self.seen_message_id, confirmed, files, via=via, choices=choices)
        except NewCustomerMessages as exc:
            return SendOutcome(False, unseen=exc.count)
        except ServiceError as exc:
            return SendOutcome(False, words=explain(exc))
        self.seen_message_id = None
        return SendOutcome(True, words=SENT_WORDS[then])

    def caught_up(self) -> None:
        """The agent chose to read the new messages first: the reply now answers them."""
        self.seen_message_id = self.detail.messages[-1].id if self.detail and self.detail.messages else None

    async def act(self, fn: Callable[..., Awaitable[Any] | Any], *args: Any) -> str | None:
        """Run a conversation action (status, assignment, priority, tags); None, or why it was refused."""
        try:
            await self.backend.write(fn, *args)
        except ServiceError as exc:
            return explain(exc)
        return None

    async def canned_text(self, body: str) -> str:
        assert self.selected_id is not None
        return await self.backend.read(self.services.canned.render, body, self.selected_id, self.agent_id)

    def conversation_link(self) -> str | None:
        if self.detail is None:
            return None
        return self.services.links.conversation(self.detail.conversation.public_token)

    def unseen_since_draft(self) -> int:
        """Customer messages in the open thread newer than what the draft was started on."""
        if self.detail is None or self.seen_message_id is None:
            return 0
        return sum(1 for m in self.detail.messages if m.direction == IN and m.kind != EVENT
                   and (m.id or 0) > self.seen_message_id)


def snooze_presets(now: datetime, zone: tzinfo | None) -> list[tuple[str, datetime]]:
    """'For 1 hour', 'Until tomorrow 9:00', 'Until Monday 9:00' in the agent's time zone."""
    local = now.astimezone(zone)
    tomorrow = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    monday = (local + timedelta(days=(7 - local.weekday()) or 7)).replace(hour=9, minute=0, second=0, microsecond=0)
    return [("For 1 hour", now + timedelta(hours=1)), ("Until tomorrow 9:00", tomorrow),
            ("Until Monday 9:00", monday)]
