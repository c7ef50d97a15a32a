"""Messaging-channel tests: Helpdesk's real HTTP server on loopback, its real channel
workers, and fakes of the phone, Telegram and Twilio (tests/channels/fakes.py)."""

from __future__ import annotations

import pytest

from helpdesk.channels.texts import TextChannels
from tests.channels.fakes import FakePhone, FakeTelegram, FakeTwilio


@pytest.fixture
def settings(settings):
    # A shop in the US: numbers written without a country code are read as US numbers.
    return settings.with_overrides(default_phone_region="US")


@pytest.fixture
def phone(clock):
    # The phone signs with its own clock; here it agrees with Helpdesk's (the injected one).
    fake = FakePhone(signing_key="phone-signing-key", now=lambda: clock.now().timestamp()).on()
    yield fake
    fake.off()


@pytest.fixture
def phone_channel(services, server, phone, ann):
    """The shop's SMS phone, signing its webhooks, calling this Helpdesk back."""
    return services.messaging.channels.add("sms-gateway", "Phone", {
        "url": phone.url_with_password(), "signing_key": "phone-signing-key",
        "callback_url": f"{server.url}/api/v1/channels/sms-gateway/Phone"}, ann)


@pytest.fixture
def telegram():
    fake = FakeTelegram().on()
    yield fake
    fake.off()


@pytest.fixture
def twilio(clock):
    fake = FakeTwilio(now=lambda: clock.now().timestamp()).on()  # Twilio's clock agrees with Helpdesk's
    yield fake
    fake.off()


@pytest.fixture
def sms_number(services, twilio, ann):
    """A Twilio number for SMS and WhatsApp, on the fake Twilio."""
    return services.messaging.channels.add("twilio", "SMS", {
        "account_sid": twilio.sid, "auth_token": twilio.auth_token, "from": "+15550100999",
        "whatsapp_from": "+15550100999", "api_url": twilio.url}, ann)


@pytest.fixture
def texts(services, server):
    """The channel workers as the running app runs them (receive loops and the sender)."""
    running = TextChannels(services, send_interval=0.05).start()
    yield running
    running.stop()


def thread_of(services, conversation_id):
    return services.conversations.get(conversation_id).messages


def only_conversation(services):
    from helpdesk.services.conversations import ConversationFilter

    page = services.conversations.list(ConversationFilter())
    assert len(page.conversations) == 1, [c.id for c in page.conversations]
    return page.conversations[0]
