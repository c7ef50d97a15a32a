"""A Twilio number: SMS and MMS, and WhatsApp through Twilio's WhatsApp sender. Twilio calls
Helpdesk at its public address, and every request is checked against Twilio's signature."""

from __future__ import annotations

from typing import Any

from helpdesk.services.channel_kinds.base import ChannelKind, Given, Hook, Setting
from helpdesk.services.customers import normalize_phone

API = "https://api.twilio.com"


def check(g: Given) -> None:
    sid = str(g.value("account_sid")).strip()
    if not (sid.startswith("AC") and 10 <= len(sid) <= 64 and sid.isalnum()):
        g.fields["account_sid"] = "must be the Account SID from the Twilio console (AC…)"
    g.config["account_sid"] = sid
    g.secret("auth_token", required=True)
    sender = str(g.value("from")).strip()
    whatsapp = sender.startswith("whatsapp:")
    number = normalize_phone(sender.removeprefix("whatsapp:"), g.default_region) if sender else None
    if number is None:
        g.fields["from"] = "must be the Twilio number to send from, like +15550100 (or whatsapp:+15550100)"
    g.config["from"] = f"whatsapp:{number}" if whatsapp else number
    wa = str(g.value("whatsapp_from")).strip().removeprefix("whatsapp:")
    g.config["whatsapp_from"] = normalize_phone(wa, g.default_region) if wa else None
    if wa and g.config["whatsapp_from"] is None:
        g.fields["whatsapp_from"] = "must be the WhatsApp sender number, like +15550100"
    g.config["api_url"] = g.url("api_url", g.value("api_url", API))


def carried(config: dict[str, Any]) -> tuple[str, ...]:
    """A WhatsApp sender as the number to send from carries WhatsApp only; SMS otherwise, and
    WhatsApp too when a WhatsApp sender is set."""
    whatsapp_only = str(config.get("from", "")).startswith("whatsapp:")
    return (() if whatsapp_only else ("sms",)) + (("whatsapp",) if whatsapp_only or config.get("whatsapp_from") else ())


def summary(config: dict[str, Any], secrets: dict[str, str]) -> str:
    wa = f", WhatsApp {config['whatsapp_from']}" if config.get("whatsapp_from") else ""
    return f"{config.get('account_sid', '')}, from {config.get('from', '')}{wa}"


KIND = ChannelKind(
    name="twilio", label="Twilio (SMS, WhatsApp)",
    help="a Twilio number: SMS/MMS, and WhatsApp through Twilio's WhatsApp sender",
    form_help="Needs a public address (HELPDESK_PUBLIC_URL): Twilio calls Helpdesk there, and every request is "
              "checked against Twilio's signature. Set the number's incoming-message webhook to the address below.",
    settings=(Setting("account_sid", "Account SID", "the Account SID (AC…)", hint="AC…"),
              Setting("auth_token", "Auth token", "the auth token (also checks Twilio's signatures)", secret=True,
                      ask=True),
              Setting("from", "Send from", "the number to send from, +1… (or whatsapp:+1…)",
                      hint="+15550100 (or whatsapp:+15550100)"),
              Setting("whatsapp_from", "WhatsApp sender (optional)",
                      "the WhatsApp sender number, when it is another than --from", hint="+15550100"),
              Setting("api_url", "", "the API's base address (for tests and proxies)")),
    check=check, summary=summary, carries=("sms", "whatsapp"), carried=carried,
    hooks=(Hook("", "Twilio's incoming-message webhook (no token scope: X-Twilio-Signature)"),
           Hook("/status", "Twilio's status callback (no token scope: X-Twilio-Signature)")),
    setup_hint="In the Twilio console, set the number's incoming-message webhook (HTTP POST) to {webhook}",
    needs_public_address=True)
