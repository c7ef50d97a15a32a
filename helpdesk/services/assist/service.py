"""Assist as the rest of Helpdesk uses it: similar solved conversations and canned suggestions
(always, offline), and, once an admin names a model (off by default), drafts, summaries and
hand-over notes, each use logged (who, when, which conversation, how much was sent)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from sqlalchemy import insert, select

from helpdesk.models import AppSetting, AssistUse
from helpdesk.models.tables import ASSIST_USES as USE, CANNED_USES as CANNED_USE
from helpdesk.services.assist import canned as canned_rank
from helpdesk.services.assist import prompts
from helpdesk.services.assist.model import Cancelled, ModelConfig, complete
from helpdesk.services.assist.similar import Solved, conversation_texts, find_similar
from helpdesk.services.base import TEAM, Actor, Service, audit, require_admin, require_role, require_scope, writes
from helpdesk.services.netpolicy import refuse_literal_target
from helpdesk.services.errors import Conflict, Unavailable, ValidationFailed

if TYPE_CHECKING:  # for annotations only: the container wires these services together
    from helpdesk.clock import Clock
    from helpdesk.config import Settings
    from helpdesk.db import Database
    from helpdesk.services.canned import CannedReplyService
    from helpdesk.services.conversations import ConversationService
    from helpdesk.services.mail.secrets import SecretBox
    from helpdesk.services.promise import PromiseService

SETTINGS_KEY = "assist"
SECRET_OWNER = "assist"
OFF = "assist is off: name a language model in Settings › Assist first"


@dataclass(frozen=True)
class AssistSettings:
    enabled: bool = False
    base_url: str = ""
    model: str = ""
    key_set: bool = False
    mask: bool = True  # emails, phone and card numbers masked before sending
    notes: bool = False  # internal notes may be sent too
    handover: bool = True  # a summary note when a conversation is transferred or a bot hands over


@dataclass(frozen=True)
class Draft:
    text: str
    model: str
    similar: list[int]
    chars_sent: int


class AssistService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, conversations: ConversationService,
                 canned: CannedReplyService, promise: PromiseService, secret_box: Callable[[], SecretBox]) -> None:
        super().__init__(db, clock, settings)
        self.conversations = conversations
        self.canned = canned
        self.promise = promise
        self._box = secret_box  # a callable: the mail service's SecretBox (the same keyring / key file)

    # ---- from history, no model ------------------------------------------------------------

    def similar(self, conversation_id: int, limit: int = 5, actor: Actor | None = None) -> list[Solved]:
        require_scope(actor, "reply", "ask for similar conversations")
        with self.db.read() as s:
            conn = s.connection()
            texts = conversation_texts(conn, conversation_id)
            if not any(texts):
                self.conversations.get_row(conversation_id)  # NotFound for a conversation that is not there
            return find_similar(conn, conversation_id, texts, self.now(), limit)

    def suggestions(self, conversation_id: int, similar: list[Solved] | None = None, limit: int = 3,
                    agent_id: int | None = None) -> list[canned_rank.Suggestion]:
        """The canned replies for this conversation, best first, with their variables filled."""
        similar = self.similar(conversation_id) if similar is None else similar
        with self.db.read() as s:
            conn = s.connection()
            ranked = canned_rank.rank(conn, conversation_texts(conn, conversation_id),
                                      [x.conversation_id for x in similar], limit)
        return [canned_rank.Suggestion(r.canned_id, r.title, self.canned.render(r.body, conversation_id, agent_id),
                                       r.score) for r in ranked]

    @writes
    def picked_canned(self, canned_id: int, conversation_id: int, agent_id: int | None) -> None:
        """An agent put this canned reply into a conversation's reply box: the ranking learns from it."""
        with self.db.write() as tx:
            tx.session.execute(insert(CANNED_USE).values(canned_id=canned_id, conversation_id=conversation_id,
                                                         agent_id=agent_id, at=self.now()))

    # ---- settings ------------------------------------------------------------------------

    def settings_now(self) -> AssistSettings:
        value = self._stored()
        return AssistSettings(bool(value.get("enabled")), value.get("base_url", ""), value.get("model", ""),
                              bool(value.get("secret_store") not in (None, "none")), bool(value.get("mask", True)),
                              bool(value.get("notes", False)), bool(value.get("handover", True)))

    def _stored(self) -> dict[str, Any]:
        with self.db.read() as s:
            setting = s.get(AppSetting, SETTINGS_KEY)
        return dict(setting.value or {}) if setting else {}

    def configure(self, actor: Actor, *, enabled: bool, base_url: str, model: str, key: str | None = None,
                  mask: bool = True, notes: bool = False, handover: bool = True) -> AssistSettings:
        """Name the model (key None: keep the one kept; "": none). Nothing is sent until `enabled`."""
        require_admin(actor, "set up a language model")
        base_url, model = (base_url or "").strip().rstrip("/"), (model or "").strip()
        fields: dict[str, str] = {}
        parts = urlsplit(base_url)
        if base_url and (parts.scheme not in ("http", "https") or not parts.hostname or parts.query):
            fields["base_url"] = "must be an address like http://127.0.0.1:11434/v1"
        elif base_url:  # a model on this PC or the LAN is the usual case; metadata addresses never
            try:
                refuse_literal_target(base_url, allow_local=True, field="base_url")
            except ValidationFailed as exc:
                fields.update(exc.fields)
        if enabled and not base_url:
            fields["base_url"] = "is needed to turn assist on"
        if enabled and not model:
            fields["model"] = "is needed to turn assist on (e.g. llama3.1:8b)"
        if len(model) > 200:
            fields["model"] = "must be at most 200 characters"
        if key is not None and len(key) > 500:
            fields["key"] = "must be at most 500 characters"
        if fields:
            raise ValidationFailed("the model was not saved", fields)
        secret = None
        if key is not None:
            secret = self._box().put(SECRET_OWNER, "key", key)
        self._save(actor, enabled=enabled, base_url=base_url, model=model, mask=mask, notes=notes,
                   handover=handover, secret=secret)
        return self.settings_now()

    @writes
    def _save(self, actor: Actor, secret: tuple[str, str] | None, **values: Any) -> None:
        with self.db.write() as tx:
            setting = tx.session.get(AppSetting, SETTINGS_KEY) or AppSetting(key=SETTINGS_KEY, value={})
            value = dict(setting.value or {})
            value.update(values)
            if secret is not None:
                value["secret_store"], value["secret"] = secret
            setting.value = value
            tx.session.add(setting)
            audit(tx.session, self.now(), actor, "assist.configured", enabled=values["enabled"],
                  base_url=values["base_url"], model=values["model"], mask=values["mask"])

    def config(self) -> ModelConfig | None:
        """The model to use, or None while assist is off (then nothing is ever sent)."""
        value = self._stored()
        if not value.get("enabled") or not value.get("base_url") or not value.get("model"):
            return None
        key = self._box().get(SECRET_OWNER, "key", value.get("secret_store", "none"), value.get("secret", ""),
                              "the language model's key") if value.get("secret_store") else ""
        return ModelConfig(value["base_url"], value["model"], key)

    # ---- with a model --------------------------------------------------------------------------

    def test(self, actor: Actor) -> str:
        """Ask the model for one word; its answer and how long it took, in words."""
        require_admin(actor, "test the language model")
        config = self._required()
        started = time.monotonic()
        messages = [{"role": "user", "content": "Reply with the single word OK."}]
        answer = self._ask("test", config, messages, actor, None, max_tokens=8)
        return f"{config.model} answered in {time.monotonic() - started:.1f} s: {answer[:60]}"

    def draft(self, conversation_id: int, actor: Actor, on_piece: Callable[[str], None] | None = None,
              stop: threading.Event | None = None) -> Draft:
        """A suggested reply, streamed piece by piece to `on_piece`; never sent by itself."""
        require_role(actor, *TEAM, doing="ask for a draft")
        require_scope(actor, "reply", "ask for a draft")
        config = self._required()
        found = self.similar(conversation_id)
        suggestions = self.suggestions(conversation_id, found, agent_id=actor.agent_id)
        thread = self._thread(conversation_id)
        messages = prompts.draft_messages(self.promise.team_name(), thread, found, suggestions,
                                          self.settings_now().mask)
        text = self._ask("draft", config, messages, actor, conversation_id, on_piece=on_piece, stop=stop)
        return Draft(text, config.model, [s.conversation_id for s in found], prompts.size(messages))

    def summarise(self, conversation_id: int, actor: Actor, on_piece: Callable[[str], None] | None = None,
                  stop: threading.Event | None = None) -> str:
        require_role(actor, *TEAM, doing="ask for a summary")
        require_scope(actor, "reply", "ask for a summary")
        config = self._required()
        messages = prompts.summary_messages(self.promise.team_name(), self._thread(conversation_id),
                                            self.settings_now().mask)
        return self._ask("summary", config, messages, actor, conversation_id, on_piece=on_piece, stop=stop)

    def handover_note(self, conversation_id: int, why: str) -> int | None:
        """A summary note for whoever takes the conversation over (the worker calls this); None when
        assist is off or does not write them. A model that fails writes nothing."""
        config, wanted = self.config(), self.settings_now()
        if config is None or not wanted.handover:
            return None
        messages = prompts.summary_messages(self.promise.team_name(), self._thread(conversation_id), wanted.mask,
                                            handover=why)
        text = self._ask("handover", config, messages, Actor.system(), conversation_id)
        if not text:
            return None
        written = self.conversations.add_note(conversation_id, Actor(
            "system", None, f"Assist ({config.model})"), f"Hand-over summary ({why}):\n{text}")
        return written.message_id

    def _required(self) -> ModelConfig:
        config = self.config()
        if config is None:
            raise Conflict(OFF)
        return config

    def _thread(self, conversation_id: int) -> str:
        detail = self.conversations.get(conversation_id)
        return prompts.transcript(detail.messages, detail.author_name, self.settings_now().notes)

    def _ask(self, kind: str, config: ModelConfig, messages: list[dict[str, Any]], actor: Actor, conversation_id: int | None,
             on_piece: Callable[[str], None] | None = None, stop: threading.Event | None = None,
             max_tokens: int = 700) -> str:
        sent = prompts.size(messages)
        try:
            text = complete(config, messages, stop, max_tokens, on_piece)
        except Cancelled:
            self._log(kind, config, actor, conversation_id, sent, 0, "cancelled")
            raise
        except Unavailable as exc:
            self._log(kind, config, actor, conversation_id, sent, 0, exc.message)
            raise
        self._log(kind, config, actor, conversation_id, sent, len(text), "ok")
        return text

    @writes
    def _log(self, kind: str, config: ModelConfig, actor: Actor, conversation_id: int | None, sent: int,
             received: int, outcome: str) -> None:
        now = self.now()
        with self.db.write() as tx:
            tx.session.execute(insert(USE).values(at=now, kind=kind, agent_id=actor.agent_id, token_id=actor.token_id,
                                                  conversation_id=conversation_id, model=config.model,
                                                  chars_sent=sent, chars_received=received, outcome=outcome[:200]))
            # A draft the model wrote is marked in the audit, beside who asked for it.
            audit(tx.session, now, actor, f"assist.{kind}", conversation_id, model=config.model, chars_sent=sent,
                  chars_received=received, outcome=outcome[:200])

    def uses(self, limit: int = 50) -> list[AssistUse]:
        with self.db.read() as s:
            return list(s.execute(select(AssistUse).order_by(USE.c.id.desc()).limit(limit)).scalars())
