"""The kinds of messaging channel, by name: `REGISTRY["telegram"]` is everything the settings,
the command line and the lists need to know of a Telegram bot (services/channel_kinds/base.py).
Adding a kind: its module here and one line below; its worker in `channels/texts/` and one line
in that package's `KINDS` (docs/architecture.md, "Add a channel kind")."""

from __future__ import annotations

from helpdesk.services.channel_kinds import sms_gateway, telegram, twilio, website
from helpdesk.services.channel_kinds.base import MASK, ChannelKind, Given, Hook, HookAnswer, HookRequest, Setting

REGISTRY: dict[str, ChannelKind] = {kind.name: kind for kind in (
    sms_gateway.KIND,
    telegram.KIND,
    twilio.KIND,
    website.KIND,
)}

__all__ = ["MASK", "REGISTRY", "ChannelKind", "Given", "Hook", "HookAnswer", "HookRequest", "Setting"]
