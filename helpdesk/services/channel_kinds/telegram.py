"""A Telegram bot: Helpdesk asks Telegram for new messages itself (long polling), so no public
address is needed."""

from __future__ import annotations

from typing import Any

from helpdesk.services.channel_kinds.base import ChannelKind, Given, Setting

API = "https://api.telegram.org"


def check(g: Given) -> None:
    token = g.secret("token", required=True)
    if token and (":" not in token or len(token) > 100 or any(c.isspace() for c in token)):
        g.fields["token"] = "does not look like a bot token (123456:ABC…, from @BotFather)"
    g.config["api_url"] = g.url("api_url", g.value("api_url", API))


def summary(config: dict[str, Any], secrets: dict[str, str]) -> str:
    return "bot token ••••" + ("" if config.get("api_url") == API else f", API {config.get('api_url')}")


KIND = ChannelKind(
    name="telegram", label="Telegram bot", help="a Telegram bot (long polling: no public address needed)",
    form_help="Create a bot with @BotFather and paste its token. Helpdesk asks Telegram for new messages itself "
              "(long polling): no public address is needed.",
    settings=(Setting("token", "Bot token", "the bot token from @BotFather", hint="123456:ABC…", secret=True,
                      ask=True),
              Setting("api_url", "", "the API's base address (for tests and proxies)")),
    check=check, summary=summary, carries=("telegram",))
