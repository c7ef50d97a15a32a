"""Texts as phones count them, the words that opt a customer out, and channel settings
checked before anything is saved."""

from __future__ import annotations

import pytest

from helpdesk.services.base import Actor
from helpdesk.services.errors import Conflict, Forbidden, ValidationFailed
from helpdesk.services.messaging.config import check_settings
from helpdesk.services.messaging.sms import keyword, sms_size


@pytest.mark.parametrize("text, segments, encoding", [
    ("a" * 160, 1, "GSM-7"), ("a" * 161, 2, "GSM-7"), ("a" * 306, 2, "GSM-7"), ("a" * 307, 3, "GSM-7"),
    ("€" * 80, 1, "GSM-7"), ("€" * 81, 2, "GSM-7"),  # the extension table's characters take two places
    ("ж" * 70, 1, "UCS-2"), ("ж" * 71, 2, "UCS-2"), ("ж" * 134, 2, "UCS-2"), ("ж" * 135, 3, "UCS-2"),
    ("a" * 69 + "🚲", 2, "UCS-2"),  # an emoji is two UTF-16 units
    ("", 0, "GSM-7"),
])
def test_a_text_is_counted_in_the_parts_a_phone_sends(text, segments, encoding):
    size = sms_size(text)
    assert (size.segments, size.encoding) == (segments, encoding)


def test_stop_and_start_are_whole_texts_in_any_case():
    assert [keyword(t) for t in ("STOP", "stop.", " Unsubscribe ", "START", "unstop", "please stop texting me",
                                 "Stopwatch")] == ["stop", "stop", "stop", "start", "start", None, None]


def test_each_kind_names_its_bad_settings_and_keeps_secrets_apart():
    with pytest.raises(ValidationFailed) as bad:
        check_settings("sms-gateway", {"url": "http://192.168.1.50:8080"}, None, None, "US")
    assert "password" in bad.value.fields["url"]
    config, secrets = check_settings("sms-gateway", {"url": "http://sms:pa%20ss@192.168.1.50:8080/",
                                                     "signing_key": "k"}, None, None, "US")
    assert config["url"] == "http://sms@192.168.1.50:8080" and secrets == {"password": "pa ss", "signing_key": "k"}
    with pytest.raises(ValidationFailed) as bad:
        check_settings("twilio", {"account_sid": "nope", "from": "12"}, None, None, "US")
    assert set(bad.value.fields) == {"account_sid", "auth_token", "from"}
    config, _ = check_settings("twilio", {"account_sid": "AC" + "1" * 32, "auth_token": "t",
                                          "from": "(555) 010-0999", "whatsapp_from": "whatsapp:+15550100888"},
                               None, None, "US")
    assert (config["from"], config["whatsapp_from"]) == ("+15550100999", "+15550100888")
    # An edit that leaves a secret out (or masked) keeps the stored one.
    _, kept = check_settings("telegram", {"token": "••••"}, {"api_url": "https://api.telegram.org"},
                             {"token": "1:abc"}, None)
    assert kept == {"token": "1:abc"}


def test_only_admins_add_channels_and_names_are_unique(services, ann, bob):
    given = {"token": "123:abc"}
    with pytest.raises(Forbidden):
        services.messaging.channels.add("telegram", "Bot", given, bob)
    channel = services.messaging.channels.add("telegram", "Bot", given, ann)
    with pytest.raises(Conflict):
        services.messaging.channels.add("telegram", "Bot", given, ann)
    view = services.messaging.channels.views()[0]
    assert view.name == "Bot" and "123:abc" not in view.summary
    assert services.messaging.channels.secrets_of(channel) == {"token": "123:abc"}
    services.messaging.channels.remove(channel.id, Actor.system())
    assert services.messaging.channels.views() == []
