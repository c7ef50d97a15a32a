"""An Android phone running SMS Gateway for Android on the shop's network: texts with no internet."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote, urlsplit

from helpdesk.services.channel_kinds.base import MASK, ChannelKind, Given, Hook, Setting

HELP = ("Install SMS Gateway for Android on a phone with a SIM card, turn on its Local Server, and enter "
        "the address it shows, with its password: http://sms:PASSWORD@192.168.1.50:8080. Helpdesk registers "
        "its own webhooks with the phone. The app sends webhooks only over HTTPS to LAN addresses: use its "
        "\"insecure\" build from the project's releases, or put Helpdesk behind a certificate the phone trusts "
        "and give that address as the callback. Texts still go out, and their delivery is still read from "
        "the phone, without webhooks; only incoming texts need them.")


def check(g: Given) -> None:
    url = g.url("url", g.value("url"))
    if "url" not in g.fields:
        parts = urlsplit(url)
        if parts.password and unquote(parts.password) != MASK:
            g.secrets["password"] = unquote(parts.password)
        user = unquote(parts.username or "sms")
        port = f":{parts.port}" if parts.port else ""
        g.config["url"] = f"{parts.scheme}://{quote(user, safe='')}@{parts.hostname or ''}{port}"
        if not g.secrets.get("password"):
            g.fields["url"] = "needs the app's password: http://sms:PASSWORD@PHONE-IP:8080"
    callback = g.given.get("callback_url", g.current.get("callback_url", "")) or ""
    g.config["callback_url"] = g.url("callback_url", callback) if callback else ""
    g.secret("signing_key", required=False)


def summary(config: dict[str, Any], secrets: dict[str, str]) -> str:
    user_host = config.get("url", "").split("://", 1)
    url = f"{user_host[0]}://{user_host[1].replace('@', ':' + MASK + '@', 1)}" if len(user_host) == 2 else ""
    return url + (", signed" if secrets.get("signing_key") else "")


KIND = ChannelKind(
    name="sms-gateway", label="SMS phone",
    help="an Android phone running SMS Gateway for Android on the LAN (texts with no internet)",
    form_help=HELP,
    settings=(
        # The password travels in the URL (as the app shows it) and is kept apart from it.
        Setting("url", "Phone's local server", "the app's local server, http://sms:PASSWORD@PHONE-IP:8080",
                hint="http://sms:PASSWORD@192.168.1.50:8080", secret=True),
        Setting("signing_key", "Webhook signing key (optional, recommended)",
                "the app's webhook signing key (requests are then verified)", secret=True),
        Setting("callback_url", "Address the phone reaches Helpdesk by (optional)",
                "the address the phone reaches Helpdesk by, e.g. https://helpdesk.shop.lan:8443 (the webhook's "
                "path is added; default: this PC's LAN address)",
                hint="https://helpdesk.shop.lan:8443 (default: this PC's LAN address)"),
    ),
    check=check, summary=summary, carries=("sms",),
    hooks=(Hook("", "Webhook of SMS Gateway for Android (no token scope: signed with the phone's key)"),))
