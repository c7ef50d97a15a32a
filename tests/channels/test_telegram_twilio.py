"""Telegram (long polling) and Twilio (SMS, MMS, WhatsApp) with fakes of their APIs on
loopback; and one customer across channels: linking two, replying by another channel."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
import pytest
from PIL import Image

from helpdesk.channels.texts import TextChannels
from helpdesk.services.conversations import ConversationFilter
from helpdesk.services.errors import Conflict, ValidationFailed
from tests.channels.conftest import only_conversation, thread_of
from tests.channels.fakes import FakeTwilio
from tests.mailservers import wait_until

# In-process fakes of the phone app, Telegram and Twilio: part of the fast tier (make check).


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def bot(services, telegram, ann):
    return services.messaging.channels.add("telegram", "Telegram", {"token": telegram.token,
                                                                    "api_url": telegram.url}, ann)


def test_a_telegram_photo_arrives_as_an_attachment_and_the_reply_reaches_the_user(services, telegram, bot, texts,
                                                                                    ann):
    photo = jpeg()
    telegram.user_writes(4242, "Dana", photo=photo, caption="The handle broke off")
    conversation = wait_until(lambda: services.conversations.list(ConversationFilter()).conversations,
                              what="the Telegram message in the inbox")[0]
    assert conversation.channel == "telegram"
    detail = services.conversations.get(conversation.id)
    assert detail.customer.customer.name == "Dana" and detail.customer.identifiers["telegram"] == ["4242"]
    message = detail.messages[0]
    assert message.body == "The handle broke off"
    [attachment] = detail.attachments[message.id]
    assert attachment.content_type == "image/jpeg" and services.files.path_of(attachment.sha256).read_bytes() == photo

    services.conversations.reply(conversation.id, ann, "Sorry! A new one is on its way.")
    sent = wait_until(lambda: telegram.sent, what="the reply sent to Telegram")
    assert sent[0]["method"] == "sendMessage" and str(sent[0]["chat_id"]) == "4242"
    assert sent[0]["text"] == "Sorry! A new one is on its way."

    label = services.files.stage_bytes(jpeg(), "return-label.jpg")
    services.conversations.reply(conversation.id, ann, "Here is the return label.", files=[label])
    wait_until(lambda: len(telegram.sent) == 3, what="the text and the photo")
    text, picture = telegram.sent[1], telegram.sent[2]
    assert text["method"] == "sendMessage" and text["text"] == "Here is the return label."
    assert picture["method"] == "sendPhoto" and picture["photo"]["filename"] == "return-label.jpg"
    assert picture["photo"]["bytes"] == services.files.path_of(label.sha256).read_bytes()


def test_no_update_is_handled_twice_across_restarts(services, telegram, bot, texts, server):
    first = telegram.user_writes(777, "Eli", text="Hello")
    wait_until(lambda: services.conversations.list(ConversationFilter()).conversations, what="the first message")
    wait_until(lambda: services.messaging.channels.get(bot.id).state.get("offset") == first + 1,
               what="the offset kept")
    texts.stop()  # Helpdesk stops (a long poll in flight finishes first)
    asked_before = len(telegram.get_updates_offsets)
    second = telegram.user_writes(777, "Eli", text="Are you there?")
    again = TextChannels(services, send_interval=0.05).start()
    try:
        conversation = only_conversation(services)
        wait_until(lambda: len(thread_of(services, conversation.id)) == 2, what="the new message")
        wait_until(lambda: len(telegram.get_updates_offsets) > asked_before + 1, what="the restarted poll")
        # Every request since the restart starts from the kept offset: update `first` is never asked for again.
        assert min(telegram.get_updates_offsets[asked_before:]) > first
        assert services.messaging.channels.get(bot.id).state["offset"] == second + 1
        assert [m.body for m in thread_of(services, conversation.id)] == ["Hello", "Are you there?"]
    finally:
        again.stop()


def test_a_wrong_bot_token_is_one_line_from_check(services, telegram, ann):
    from helpdesk.channels.texts import check

    channel = services.messaging.channels.add("telegram", "Wrong", {"token": "999:nope", "api_url": telegram.url},
                                              ann)
    assert check(services, channel) == "Telegram refused the bot token (from @BotFather)"


# ---- Twilio ----------------------------------------------------------------------------------------

PUBLIC = "http://shop.test"  # the configured public address (tests/conftest.py settings)


def twilio_call(twilio, server, fields, path="/api/v1/channels/twilio/SMS", **kw):
    return twilio.call(server.url + path, PUBLIC + path, fields, **kw)


def test_a_forged_twilio_request_gets_403_and_stores_nothing(services, twilio, sms_number, server):
    fields = {"From": "+15550100777", "To": "+15550100999", "Body": "hi", "MessageSid": "SM1", "NumMedia": "0"}
    forged = twilio_call(twilio, server, fields, auth_token="someone-elses-token")
    assert forged.status_code == 403
    unsigned = httpx.post(server.url + "/api/v1/channels/twilio/SMS", data=fields)
    assert unsigned.status_code == 403
    assert services.conversations.list(ConversationFilter()).conversations == []


def test_an_mms_arrives_with_its_photo_and_the_reply_leaves_with_a_status_callback(services, twilio, sms_number,
                                                                                   server, texts, ann):
    twilio.media["ME1"] = jpeg()
    fields = {"From": "+15550100777", "To": "+15550100999", "Body": "This came broken", "MessageSid": "MM1",
              "NumMedia": "1", "MediaUrl0": f"{twilio.url}/media/ME1", "MediaContentType0": "image/jpeg"}
    answer = twilio_call(twilio, server, fields)
    assert answer.status_code == 200 and "<Response>" in answer.text
    assert twilio_call(twilio, server, fields).status_code == 200  # Twilio retried: stored once
    conversation = only_conversation(services)
    detail = services.conversations.get(conversation.id)
    assert len(detail.messages) == 1 and len(detail.attachments[detail.messages[0].id]) == 1

    written = services.conversations.reply(conversation.id, ann, "We will send a new one today.")
    sent = wait_until(lambda: twilio.messages, what="the reply at Twilio")
    assert sent[0]["To"] == "+15550100777" and sent[0]["From"] == "+15550100999"
    assert sent[0]["StatusCallback"] == f"{PUBLIC}/api/v1/channels/twilio/SMS/status?ref=helpdesk-1"
    delivery = lambda: services.deliveries.of_messages([written.message_id])[written.message_id]  # noqa: E731
    wait_until(lambda: delivery().status == "sent", what="sent")
    status = twilio_call(twilio, server, {"MessageSid": sent[0]["sid"], "MessageStatus": "delivered",
                                          "To": "+15550100777"}, path="/api/v1/channels/twilio/SMS/status")
    assert status.status_code == 200
    assert delivery().status == "delivered"


def test_whatsapp_replies_only_within_24_hours_of_the_customers_last_message(services, twilio, sms_number, server,
                                                                              texts, ann, clock):
    fields = {"From": "whatsapp:+15550100777", "To": "whatsapp:+15550100999", "Body": "Do you have size 42?",
              "MessageSid": "SMwa1", "NumMedia": "0", "ProfileName": "Finn"}
    assert twilio_call(twilio, server, fields).status_code == 200
    conversation = only_conversation(services)
    assert conversation.channel == "whatsapp"
    assert services.messaging.whatsapp_window(conversation.customer_id) == clock.now() + timedelta(hours=24)
    services.conversations.reply(conversation.id, ann, "Yes, in black and brown.")
    sent = wait_until(lambda: twilio.messages, what="the WhatsApp reply")
    assert sent[0]["To"] == "whatsapp:+15550100777" and sent[0]["From"] == "whatsapp:+15550100999"
    clock.advance(timedelta(hours=25))
    with pytest.raises(Conflict, match="24 hours"):
        services.conversations.reply(conversation.id, ann, "Still interested?")


def test_twilio_refusing_a_number_fails_the_reply_with_its_words(services, twilio, sms_number, server, texts, ann):
    twilio_call(twilio, server, {"From": "+15550100777", "To": "+15550100999", "Body": "hi", "MessageSid": "SM9",
                                 "NumMedia": "0"})
    conversation = only_conversation(services)
    twilio.refuse_next = (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"})
    written = services.conversations.reply(conversation.id, ann, "Hello")
    delivery = lambda: services.deliveries.of_messages([written.message_id])[written.message_id]  # noqa: E731
    wait_until(lambda: delivery().status == "failed", what="the refusal")
    assert "unsubscribed recipient" in delivery().error


# ---- one customer, every channel -------------------------------------------------------------------

def test_linking_the_sms_customer_to_their_email_customer_gives_one_history_and_a_choice_of_channel(
        services, twilio, sms_number, server, texts, ann, client, auth):
    from tests.conftest import post_message

    assert post_message(client, auth, customer={"email": "gia@example.com", "name": "Gia"},
                        body="Order 1234 is late").status_code in (200, 201, 202)
    twilio_call(twilio, server, {"From": "+15550100555", "To": "+15550100999", "Body": "any news on 1234?",
                                 "MessageSid": "SM55", "NumMedia": "0"})
    conversations = services.conversations.list(ConversationFilter()).conversations
    by_channel = {c.channel: c for c in conversations}
    email_customer, sms_customer = by_channel["api"].customer_id, by_channel["sms"].customer_id
    assert email_customer != sms_customer
    kept = services.customers.link(sms_customer, email_customer, ann)
    history = services.customers.history(kept)
    assert {c.id for c in history.conversations} == {c.id for c in conversations}
    assert history.profile.identifiers == {"email": ["gia@example.com"], "phone": ["+15550100555"]}
    assert history.profile.customer.name == "Gia"
    notes = [m.body for c in conversations for m in thread_of(services, c.id) if m.kind == "event"]
    assert any("linked" in n and "one person" in n for n in notes)

    # The website conversation can now be answered by SMS ("reply by SMS instead").
    options = services.conversations.reply_options(by_channel["api"].id)
    assert "sms" in options
    written = services.conversations.reply(by_channel["api"].id, ann, "It ships today.", via="sms")
    assert services.deliveries.of_messages([written.message_id])[written.message_id].channel == "sms"
    wait_until(lambda: any(m.get("Body") == "It ships today." for m in twilio.messages), what="the SMS")
    with pytest.raises(ValidationFailed):
        services.conversations.reply(by_channel["api"].id, ann, "hi", via="telegram")


def test_twilio_signatures_match_twilios_published_vectors():
    # The worked examples of Twilio's request validators (auth token 12345).
    from helpdesk.channels.texts.twilio import signature

    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    fields = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234", "From": "+14158675309",
              "To": "+18005551212"}
    assert signature("12345", url, list(fields.items())) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert FakeTwilio.sign("12345", url, fields) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")]
    assert signature("12345", url, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    assert signature("12345", url + "&extra=1", list(fields.items())) != "RSOYDt4T1cUTdK1PDd93/VVr8B8="
