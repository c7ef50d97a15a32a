"""What a kind of messaging channel is, in one place: the settings it takes (checked here, shown
by the settings form and offered by `channel add`), which of them are secrets, what replies it
carries, where its webhooks arrive and how it is summed up in a list. One module a kind beside
this one, registered in `__init__.py`; its worker (receiving and sending) is in
`channels/texts/`, registered there in `KINDS`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

MASK = "••••"
HOOKS = "/api/v1/channels/"  # a kind's webhooks: HOOKS + kind + "/" + the channel's name + a hook's suffix


@dataclass(frozen=True)
class Setting:
    name: str  # its key in what an admin gives (the form's field, the API's JSON)
    label: str  # the settings form's label ("": not in the form, e.g. an API's address for tests)
    help: str  # the command line's help
    hint: str = ""  # the form's example, e.g. "http://sms:PASSWORD@192.168.1.50:8080"
    secret: bool = False  # typed as a password, kept in the keyring (or encrypted), never shown back
    many: bool = False  # a list: one a line in the form, a repeatable option on the command line
    ask: bool = False  # needed: asked for at a terminal when left out (kept out of the shell's history)
    option: str = ""  # the command-line option, when not --name-with-dashes


@dataclass
class Given:
    """An admin's settings for one kind while they are checked: what was given, the stored ones
    (an edit), the secrets (a left-out or masked one keeps its stored value), the problems."""

    given: dict[str, Any]
    current: dict[str, Any]
    secrets: dict[str, str]
    default_region: str | None
    config: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)

    def value(self, name: str, default: Any = "") -> Any:
        """What was given, else what is stored, else `default`."""
        return self.given.get(name) or self.current.get(name) or default

    def secret(self, name: str, required: bool) -> str:
        value = self.given.get(name)
        if value not in (None, "", MASK):
            self.secrets[name] = str(value)
        elif required and not self.secrets.get(name):
            self.fields[name] = "is needed"
        return self.secrets.get(name, "")

    def url(self, name: str, value: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
        """A URL with one of `schemes` and a host, or a problem recorded under `name`."""
        value = (value or "").strip().rstrip("/")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises on a bad port)
        except ValueError:
            self.fields[name] = "is not a valid URL"
            return value
        if parts.scheme not in schemes or not parts.hostname:
            self.fields[name] = f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}"
        return value


@dataclass(frozen=True)
class Hook:
    """One webhook a kind's far end calls: POST {HOOKS}{kind}/{channel name}{suffix}."""

    suffix: str  # "" or a further part, like "/status"
    summary: str  # the API reference's one line, naming how the request is signed
    max_bytes: int = 256_000  # one event's request: a few kilobytes


@dataclass(frozen=True)
class HookRequest:
    """A webhook request as the channel's worker reads it (the API reads the bytes, bounded)."""

    suffix: str  # which of the kind's hooks was called
    body: bytes
    headers: Mapping[str, str]
    query: str  # the query string as sent (part of what some senders sign)
    local: bool  # from the shop's own network, not through the public address


@dataclass(frozen=True)
class HookAnswer:
    """What the far end is answered with (200)."""

    body: str
    media_type: str = "application/json"


@dataclass(frozen=True)
class ChannelKind:
    name: str  # "sms-gateway": what the command line, the API and the database call it
    label: str  # "SMS phone": what people see
    help: str  # one line for `channel add`
    form_help: str  # the settings dialog's explanation, step by step
    settings: tuple[Setting, ...]
    check: Callable[[Given], None]  # fills `config` and `secrets`, records problems in `fields`
    summary: Callable[[dict[str, Any], dict[str, str]], str]  # one line for lists, nothing secret in it
    carries: tuple[str, ...] = ()  # the delivery channels its replies use ("sms", "whatsapp")
    # Which of them a channel with these settings carries, when that depends on them.
    carried: Callable[[dict[str, Any]], tuple[str, ...]] | None = None
    hooks: tuple[Hook, ...] = ()  # the webhooks its far end calls (none: it fetches, or the site calls)
    # Said after `channel add`: where to point the far end's webhook ({webhook}: its full address).
    setup_hint: str = ""
    needs_public_address: bool = False  # its far end reaches Helpdesk only at the public address

    def carried_by(self, config: dict[str, Any]) -> tuple[str, ...]:
        """The delivery channels a channel of this kind with `config` carries."""
        return self.carried(config) if self.carried is not None else self.carries

    @property
    def hook_path(self) -> str:
        """Where its far end's webhooks reach Helpdesk, up to the channel's name ("" when none)."""
        return f"{HOOKS}{self.name}/" if self.hooks else ""
