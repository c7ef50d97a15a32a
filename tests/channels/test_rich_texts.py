"""Rich messages over phones and messaging apps, with the fakes of Telegram and the SMS phone:
voice notes, videos, locations and contacts arrive playable and readable; choices go out as
Telegram's buttons or a numbered list by text, and come back as the customer's `choice`; a
payment request goes out by text with its amount, links and bank details."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.services.base import Actor
from tests.channels.conftest import only_conversation, thread_of
from tests.channels.test_sms_gateway import registered
from tests.mailservers import wait_until

# In-process fakes of the phone app, Telegram and Twilio: part of the fast tier (make check).
MEDIA = Path(__file__).resolve().parent.parent / "media"
NUMBER = "+15550100123"


@pytest.fixture
def bot(services, telegram, ann):
    return services.messaging.channels.add("telegram", "Telegram", {"token": telegram.token,
                                                                    "api_url": telegram.url}, ann)


def first_conversation(services):
    from helpdesk.services.conversations import ConversationFilter

    found = services.conversations.list(ConversationFilter()).conversations
    return services.conversations.get(found[0].id) if found else None


def test_voice_notes_videos_locations_and_contacts_from_telegram_arrive_playable_and_readable(
        services, telegram, bot, texts):
    voice = (MEDIA / "voice.ogg").read_bytes()
    telegram.user_sends_file(4242, "Dana", "voice", voice, duration=3, mime_type="audio/ogg")
    conversation = wait_until(lambda: first_conversation(services), what="the voice note")
    telegram.user_sends_file(4242, "Dana", "video_note", (MEDIA / "clip.mp4").read_bytes(), duration=1, length=240)
    telegram.user_writes(4242, "Dana", extra={"location": {"latitude": 52.520008, "longitude": 13.404954}})
    telegram.user_writes(4242, "Dana", extra={"contact": {"phone_number": "+4915112345678", "first_name": "Jo",
                                                          "last_name": "Rider", "user_id": 99}})
    wait_until(lambda: len(thread_of(services, conversation.conversation.id)) == 4, what="all four messages")
    detail = services.conversations.get(conversation.conversation.id)
    first, video, place, person = detail.messages
    [note] = detail.attachments[first.id]
    assert note.content_type == "audio/ogg" and note.filename.endswith(".ogg") and note.duration_ms == 3200
    [clip] = detail.attachments[video.id]
    assert clip.content_type == "video/mp4" and clip.duration_ms == 1500
    assert place.meta["location"] == {"latitude": 52.520008, "longitude": 13.404954, "title": ""}
    assert place.body == "Shared a location (52.52001, 13.40495)"
    assert person.meta["contact"] == {"name": "Jo Rider", "phone": "+4915112345678"}
    assert person.body == "Shared a contact: Jo Rider, +4915112345678"


def test_choices_go_out_as_telegram_buttons_and_a_tap_arrives_as_the_choice(services, telegram, bot, texts, ann):
    telegram.user_writes(4242, "Dana", text="Where is my order?")
    conversation = wait_until(lambda: first_conversation(services), what="the message")
    services.conversations.reply(conversation.conversation.id, ann, "What can I do for you?",
                                 choices=["Track my order", "Talk to a person"])
    sent = wait_until(lambda: telegram.sent, what="the reply with buttons")[0]
    assert sent["text"] == "What can I do for you?"  # the buttons, not a numbered list
    assert sent["reply_markup"]["inline_keyboard"] == [[{"text": "Track my order", "callback_data": "Track my order"}],
                                                       [{"text": "Talk to a person",
                                                         "callback_data": "Talk to a person"}]]
    telegram.user_taps(4242, "Dana", "Talk to a person", sent["message_id"])
    wait_until(lambda: thread_of(services, conversation.conversation.id)[-1].direction == "in", what="the tap")
    tapped = thread_of(services, conversation.conversation.id)[-1]
    assert tapped.direction == "in" and tapped.body == "Talk to a person"
    assert tapped.meta["choice"] == "Talk to a person"
    assert telegram.answered  # the button's spinner stopped


def test_a_payment_request_by_telegram_is_text_with_the_qr_code_as_a_photo(services, telegram, bot, texts, ann):
    import io

    import zxingcpp
    from PIL import Image

    telegram.user_writes(4242, "Dana", text="What do I owe?")
    conversation = wait_until(lambda: first_conversation(services), what="the message")
    services.payments.ways.set_bank(ann, "Bike Shop Gerber", "DE89370400440532013000")
    card = services.payments.request(conversation.conversation.id, ann, "12.50", "EUR", "Inner tube")
    wait_until(lambda: len(telegram.sent) == 2, what="the text and the photo")
    text, photo = telegram.sent
    assert text["text"].startswith("Payment request: 12.50 EUR for Inner tube")
    assert photo["method"] == "sendPhoto" and photo["photo"]["filename"] == "payment-qr.png"
    payload = zxingcpp.read_barcodes(Image.open(io.BytesIO(photo["photo"]["bytes"])))[0].text.split("\n")
    assert payload[7] == "EUR12.5" and payload[9] == card.reference


def test_choices_by_sms_are_a_numbered_list_and_a_number_back_is_the_choice(services, phone, phone_channel, texts,
                                                                            ann, client):
    registered(phone)
    phone.text_in(NUMBER, "Is my bike ready?", envelope_id="env-1")
    conversation = only_conversation(services)
    services.conversations.reply(conversation.id, ann, "It is. When will you pick it up?",
                                 choices=["Today", "Tomorrow", "Next week"])
    sent = wait_until(lambda: phone.sent_texts, what="the text")[0]
    assert sent["text"] == "It is. When will you pick it up?\n\n1. Today\n2. Tomorrow\n3. Next week\n(Reply 1, 2 or 3)"
    phone.text_in(NUMBER, " 2 ", envelope_id="env-2")
    answer = thread_of(services, conversation.id)[-1]
    assert answer.body.strip() == "2"
    assert answer.meta["choice"] == "Tomorrow"
    token = services.tokens.create("bot", actor=Actor.system(), scopes=["read"]).plaintext
    events = client.get("/api/v1/events?after=0", headers={"Authorization": f"Bearer {token}"}).json()["events"]
    received = [e["data"] for e in events if e["type"] == "message.received"]
    assert received[-1]["choice"] == "Tomorrow" and "choice" not in received[0]
    phone.text_in(NUMBER, "7", envelope_id="env-3")  # not one of them: an ordinary message
    assert "choice" not in (thread_of(services, conversation.id)[-1].meta or {})


def test_a_payment_request_by_sms_carries_the_amount_the_links_and_the_bank_details(services, phone, phone_channel,
                                                                                  texts, ann):
    registered(phone)
    phone.text_in(NUMBER, "How much for the brakes?", envelope_id="env-1")
    conversation = only_conversation(services)
    services.payments.ways.set_bank(ann, "Bike Shop Gerber", "DE89370400440532013000")
    services.payments.ways.set_link(ann, "https://paypal.me/bikeshop/{amount}EUR")
    card = services.payments.request(conversation.id, ann, "49.90", "EUR", "Brake service")
    text = wait_until(lambda: phone.sent_texts, what="the text")[0]["text"]
    assert text.startswith("Payment request: 49.90 EUR for Brake service\n")
    assert "Pay online: https://paypal.me/bikeshop/49.90EUR" in text
    assert f"IBAN DE89 3704 0044 0532 0130 00, reference {card.reference_spaced}" in text
    assert f"#pay{card.id}" in text


def test_a_whatsapp_voice_message_and_location_through_twilio_arrive_playable_and_readable(services, twilio,
                                                                                          sms_number, server):
    from tests.channels.test_telegram_twilio import twilio_call

    voice = (MEDIA / "voice.ogg").read_bytes()
    twilio.media["MEvoice"] = voice
    answer = twilio_call(twilio, server, {
        "From": "whatsapp:+15550100777", "To": "whatsapp:+15550100999", "Body": "", "MessageSid": "MMvoice",
        "NumMedia": "1", "MediaUrl0": f"{twilio.url}/media/MEvoice", "MediaContentType0": "audio/ogg",
        "ProfileName": "Dana"})
    assert answer.status_code == 200, answer.text
    conversation = only_conversation(services)
    detail = services.conversations.get(conversation.id)
    [note] = detail.attachments[detail.messages[0].id]
    assert note.content_type == "audio/ogg" and note.duration_ms == 3200
    assert services.files.path_of(note.sha256).read_bytes() == voice
    twilio_call(twilio, server, {"From": "whatsapp:+15550100777", "To": "whatsapp:+15550100999", "Body": "",
                                 "MessageSid": "MMplace", "NumMedia": "0", "Latitude": "48.137154",
                                 "Longitude": "11.576124", "Label": "Larsen Bikes workshop"})
    place = thread_of(services, conversation.id)[-1]
    assert place.meta["location"] == {"latitude": 48.137154, "longitude": 11.576124, "title": "Larsen Bikes workshop"}
    assert place.body == "Shared a location: Larsen Bikes workshop (48.13715, 11.57612)"


def test_a_payment_request_by_whatsapp_sends_the_qr_code_from_the_public_address(services, twilio, sms_number,
                                                                                server, texts, ann, client):
    from tests.channels.test_telegram_twilio import PUBLIC, twilio_call

    twilio_call(twilio, server, {"From": "whatsapp:+15550100777", "To": "whatsapp:+15550100999",
                                 "Body": "What do I owe?", "MessageSid": "SMwa1", "NumMedia": "0"})
    conversation = only_conversation(services)
    services.payments.ways.set_bank(ann, "Bike Shop Gerber", "DE89370400440532013000")
    card = services.payments.request(conversation.id, ann, "30", "EUR", "Chain")
    sent = wait_until(lambda: twilio.messages, what="the WhatsApp message")[0]
    assert sent["To"] == "whatsapp:+15550100777" and sent["Body"].startswith("Payment request: 30.00 EUR for Chain")
    [media] = sent["MediaUrl"]
    assert media == f"{PUBLIC}/c/{conversation.public_token}/pay/{card.id}/qr.png"
    png = client.get(media.removeprefix(PUBLIC))  # what Twilio fetches from the public address
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
