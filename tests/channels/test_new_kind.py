"""A text channel kind written the way docs/architecture.md says ("Add a channel kind"): its
settings half, its worker half, one registration line each, and nothing else. Registered
here for the test only, it gets Helpdesk's webhook route, a place in the API reference, its
options on the command line, the settings check and masking, intake and the reply sender,
with no other file knowing its name."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest

from helpdesk.channels import texts as text_workers
from helpdesk.channels.texts.base import BadRequest, Forged, Sent, TextChannel
from helpdesk.services.base import same_secret
from helpdesk.services.channel_kinds import REGISTRY, ChannelKind, Given, Hook, HookAnswer, HookRequest, Setting
from helpdesk.services.errors import ValidationFailed
from helpdesk.services.messaging.intake import IncomingText
from tests.channels.conftest import only_conversation, thread_of
from tests.mailservers import wait_until

# ---- services/channel_kinds/acme.py, as a new kind's settings half would be -----------------


def check(g: Given) -> None:
    g.secret("token", required=True)
    sender = str(g.value("from")).strip()
    if not sender.startswith("+"):
        g.fields["from"] = "must be the number to send from, like +15550100"
    g.config["from"] = sender


ACME = ChannelKind(
    name="acme", label="Acme SMS", help="an Acme SMS number", form_help="Paste the token Acme shows.",
    settings=(Setting("token", "Token", "the API token", secret=True), Setting("from", "Send from", "the number")),
    check=check, summary=lambda config, secrets: f"from {config.get('from', '')}, token ••••", carries=("sms",),
    hooks=(Hook("", "Acme's incoming-text webhook (no token scope: X-Acme-Signature)"),),
    setup_hint="In Acme's console, point incoming texts to {webhook}")


# ---- channels/texts/acme.py, its worker half ------------------------------------------------


class AcmeChannel(TextChannel):
    kind = "acme"
    sent: list[Any] = []  # what reached Acme's far end (the true external edge, kept in memory)

    def check(self) -> str:
        return ""

    def receive(self, request: HookRequest) -> HookAnswer:
        expected = hmac.new(self.secrets["token"].encode(), request.body, hashlib.sha256).hexdigest()
        if not same_secret(expected, request.headers.get("x-acme-signature")):
            raise Forged("X-Acme-Signature does not verify")
        try:
            event = json.loads(request.body)
            key, sender, text = str(event["id"]), str(event["from"]), str(event["text"])
        except (ValueError, KeyError, TypeError):
            raise BadRequest("id, from and text are needed") from None
        taken = self.services.messaging.intake.receive(IncomingText(
            channel_id=self.channel.id, kind="sms", key=f"acme:{key}", body=text, phone=sender))
        return HookAnswer(json.dumps({"accepted": taken.status}))

    def send(self, out: Any) -> Sent:
        AcmeChannel.sent.append(out)
        return Sent(external_id=f"acme-{len(AcmeChannel.sent)}")


# ---- the test ----------------------------------------------------------------------------------


@pytest.fixture
def settings(settings, monkeypatch):
    """The two registration lines, before the app (and its routes) are built."""
    monkeypatch.setitem(REGISTRY, "acme", ACME)
    monkeypatch.setitem(text_workers.KINDS, "acme", AcmeChannel)
    monkeypatch.setattr(AcmeChannel, "sent", [])
    return settings


def signed(token: str, event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    return body, {"content-type": "application/json",
                  "x-acme-signature": hmac.new(token.encode(), body, hashlib.sha256).hexdigest()}


def test_a_new_kind_needs_only_its_own_two_halves_and_their_registration(services, server, ann, texts):
    with pytest.raises(ValidationFailed) as refused:
        services.messaging.channels.add("acme", "Acme", {"token": "acme-s3cret", "from": "5550100"}, ann)
    assert refused.value.fields == {"from": "must be the number to send from, like +15550100"}
    channel = services.messaging.channels.add("acme", "Acme", {"token": "acme-s3cret", "from": "+15550100"}, ann)
    view = next(v for v in services.messaging.channels.views() if v.name == "Acme")
    assert view.summary == "from +15550100, token ••••" and "acme-s3cret" not in str(channel.config)

    hook = f"{server.url}/api/v1/channels/acme/Acme"
    event = {"id": "e1", "from": "+15550100777", "text": "Is my bike ready?"}
    body, headers = signed("someone-elses-token", event)
    assert httpx.post(hook, content=body, headers=headers).status_code == 403
    body, headers = signed("acme-s3cret", event)
    answer = httpx.post(hook, content=body, headers=headers)
    assert answer.status_code == 200 and answer.json() == {"accepted": "imported"}
    assert httpx.post(hook, content=body, headers=headers).json() == {"accepted": "duplicate"}  # a retry: once
    body, headers = signed("acme-s3cret", {"id": "e2"})
    assert httpx.post(hook, content=body, headers=headers).status_code == 422

    conversation = only_conversation(services)
    assert conversation.channel == "sms" and [m.body for m in thread_of(services, conversation.id)] == \
        ["Is my bike ready?"]
    services.conversations.reply(conversation.id, ann, "Yes, it is ready for pick-up.")
    out = wait_until(lambda: AcmeChannel.sent, what="the reply handed to Acme")[0]
    assert (out.to, out.text, out.channel_id) == ("+15550100777", "Yes, it is ready for pick-up.", channel.id)

    reference = httpx.get(f"{server.url}/api/openapi.json").json()["paths"]
    assert reference["/api/v1/channels/acme/{name}"]["post"]["summary"] == \
        "Acme's incoming-text webhook (no token scope: X-Acme-Signature)"


def test_the_command_line_offers_a_new_kinds_settings(settings):
    from helpdesk.cli import build_parser

    args = build_parser().parse_args(["channel", "add", "acme", "--name", "Acme", "--token", "t", "--from", "+1555"])
    assert (args.kind, args.name) == ("acme", "Acme") and {"t", "+1555"} <= {v for v in vars(args).values() if isinstance(v, str)}
