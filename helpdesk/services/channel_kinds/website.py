"""A chat button on the shop's website: the site calls Helpdesk (the snippet's public key names
the channel), so there is nothing for Helpdesk to reach."""

from __future__ import annotations

import secrets as secrets_module
from typing import Any
from urllib.parse import urlsplit

from helpdesk.services.channel_kinds.base import ChannelKind, Given, Setting


def check(g: Given) -> None:
    origins = g.given.get("origins", g.current.get("origins", []))
    origins = [origins] if isinstance(origins, str) else list(origins or [])
    clean = []
    for origin in origins:
        parts = urlsplit(str(origin).strip().rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
            g.fields["origins"] = f"{origin!s:.80} is not a site address like https://myshop.com"
            break
        clean.append(f"{parts.scheme}://{parts.netloc.lower()}")
    if not clean and "origins" not in g.fields:
        g.fields["origins"] = "name the site that embeds the chat, like https://myshop.com"
    g.config["origins"] = clean
    # The snippet's public key (not a secret: it is in the site's HTML) and the secret that
    # signs logged-in users' ids: both made once and kept.
    g.config["key"] = g.current.get("key") or secrets_module.token_urlsafe(12)
    g.secrets.setdefault("user_secret", secrets_module.token_urlsafe(32))


def summary(config: dict[str, Any], secrets: dict[str, str]) -> str:
    return "chat on " + ", ".join(config.get("origins", []))


KIND = ChannelKind(
    name="website", label="Website chat",
    help="a chat button on the shop's website (prints the line to paste into the site)",
    form_help="A chat button on your website: name the site (or sites) that will show it, then paste the line "
              "Helpdesk gives you into every page. Visitors write at once; they come back to the same "
              "conversation later, and hear back by email when they leave an address.",
    settings=(Setting("origins", "Your site's address (several: one per line)",
                      "a site allowed to embed the chat, e.g. https://myshop.com (repeatable)",
                      hint="https://myshop.com", many=True, option="--origin"),),
    check=check, summary=summary)
