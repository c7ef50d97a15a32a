"""Mail server URLs as owners write them (docs/architecture.md: `imaps://user:pass@host:993`,
`imap+starttls://…:143`, `imap://…` plain, `smtps://…:465`, `smtp+starttls://…:587`,
`smtp://…`; user and password percent-encoded), and the same URL without its password
for storing and showing."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote, urlsplit

SSL, STARTTLS, PLAIN = "ssl", "starttls", "plain"
SCHEMES = {
    "imap": {"imaps": (SSL, 993), "imap+starttls": (STARTTLS, 143), "imap": (PLAIN, 143)},
    "smtp": {"smtps": (SSL, 465), "smtp+starttls": (STARTTLS, 587), "smtp": (PLAIN, 25)},
}
MASK = "••••"


class MailUrlError(ValueError):
    """The URL cannot be used; the message says why, for people."""


@dataclass(frozen=True)
class MailUrl:
    kind: str  # imap | smtp
    scheme: str
    security: str  # ssl | starttls | plain
    host: str
    port: int
    username: str = ""
    password: str = ""

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def warning(self) -> str:
        """Plain text over the network sends the password readable to anyone on the way."""
        if self.security == PLAIN and not self.is_loopback:
            return (f"{self.scheme}:// sends the password unencrypted to {self.host}; use "
                    f"{'imaps' if self.kind == 'imap' else 'smtps'}:// or +starttls if the server offers it")
        return ""

    def _text(self, password: str) -> str:
        user = quote(self.username, safe="")
        auth = f"{user}:{password}@" if user and password else f"{user}@" if user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{auth}{host}:{self.port}"

    def stored(self) -> str:
        """The URL with no password (the password lives in the keyring or encrypted)."""
        return self._text("")

    def masked(self) -> str:
        return self._text(MASK if self.password else "")

    def full(self) -> str:
        """With the password, percent-encoded (only ever handed to a service, never shown)."""
        return self._text(quote(self.password, safe=""))

    def with_password(self, password: str) -> "MailUrl":
        return replace(self, password=password)

    def where(self) -> str:
        return f"{self.host}:{self.port}"


def parse_mail_url(text: str, kind: str) -> MailUrl:
    """Parse an IMAP or SMTP URL; raises MailUrlError with a sentence a person can act on."""
    raw = (text or "").strip()
    if not raw:
        raise MailUrlError(f"an {kind.upper()} URL is needed, like {example(kind)}")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise MailUrlError(f"{_shown(raw)} is not a valid {kind.upper()} URL, e.g. {example(kind)}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES[kind]:
        raise MailUrlError(f"an {kind.upper()} URL starts with {', '.join(s + '://' for s in SCHEMES[kind])}; "
                           f"e.g. {example(kind)}")
    if not parts.hostname:
        raise MailUrlError(f"the {kind.upper()} URL names no server, e.g. {example(kind)}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise MailUrlError(f"the {kind.upper()} URL has a path or query; only {scheme}://user:password@host:port "
                           f"is used (the folder is set on its own)")
    security, default_port = SCHEMES[kind][scheme]
    username = unquote(parts.username or "")
    password = unquote(parts.password or "")
    return MailUrl(kind, scheme, security, parts.hostname, port or default_port, username, password)


def example(kind: str) -> str:
    return "imaps://shop%40example.com:password@imap.example.com:993" if kind == "imap" \
        else "smtp+starttls://shop%40example.com:password@smtp.example.com:587"


def _shown(raw: str) -> str:
    """An unparseable URL, shown back without anything that could be its password."""
    return raw.split("://", 1)[0] + "://…" if "://" in raw else "the text given"
