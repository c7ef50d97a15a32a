"""SMS through the shop's own Android phone (SMS Gateway for Android, local server), with a
fake phone on loopback: texts in through the webhooks Helpdesk registers itself, replies
out once (also after the phone was off), delivery states, signatures, STOP and START."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from helpdesk.services.conversations import ConversationFilter
from helpdesk.services.errors import Conflict
from tests.channels.conftest import only_conversation, thread_of
from tests.mailservers import wait_until

# In-process fakes of the phone app, Telegram and Twilio: part of the fast tier (make check).
NUMBER = "+15550100123"


def registered(phone):
    return wait_until(lambda: len(phone.webhooks) == 4, what="Helpdesk registering its webhooks with the phone")


def test_a_text_becomes_a_conversation_and_the_answer_goes_out_once_and_shows_delivered(
        services, phone, phone_channel, texts, ann):
    registered(phone)
    assert {h["event"] for h in phone.webhooks.values()} == {"sms:received", "sms:sent", "sms:delivered",
                                                             "sms:failed"}
    answer = phone.text_in("(555) 010-0123", "Is my bike ready?", envelope_id="env-1")
    assert answer.status_code == 200, answer.text
    conversation = only_conversation(services)
    assert conversation.channel == "sms"
    customer = services.customers.get_profile(conversation.customer_id)
    assert customer.identifiers["phone"] == [NUMBER]  # E.164 with the shop's default region (US)
    assert [m.body for m in thread_of(services, conversation.id)] == ["Is my bike ready?"]

    # The phone retries a webhook it got no answer to: the same envelope id stores nothing again.
    again = phone.text_in(NUMBER, "Is my bike ready?", envelope_id="env-1")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(thread_of(services, conversation.id)) == 1

    written = services.conversations.reply(conversation.id, ann, "Yes, it is ready: come by after 3.")
    sent = wait_until(lambda: phone.sent_texts, what="the reply reaching the phone")
    assert sent[0]["text"] == "Yes, it is ready: come by after 3." and sent[0]["recipients"][0]["phoneNumber"] == NUMBER
    delivery = lambda: services.deliveries.of_messages([written.message_id])[written.message_id]  # noqa: E731
    wait_until(lambda: delivery().status == "sent", what="the reply marked sent")
    phone.progress(sent[0]["id"], "Sent")
    phone.progress(sent[0]["id"], "Delivered")
    wait_until(lambda: delivery().status == "delivered", what="the delivery report")
    phone.progress(sent[0]["id"], "Sent")  # a late, out-of-order report never takes it back
    assert delivery().status == "delivered"
    assert len(phone.sent_texts) == 1


def test_forged_replayed_or_stale_webhooks_are_refused_and_store_nothing(services, server, phone, phone_channel,
                                                                         texts, clock):
    registered(phone)
    forged = phone.webhook("sms:received", {"message": "send me the code", "phoneNumber": NUMBER},
                           key="not-the-key")
    assert forged.status_code == 403
    stale = phone.webhook("sms:received", {"message": "old", "phoneNumber": NUMBER},
                          timestamp=int((clock.now() - timedelta(minutes=6)).timestamp()))
    assert stale.status_code == 403 and "5 minutes" in stale.json()["error"]["message"]
    import httpx

    unsigned = httpx.post(f"{server.url}/api/v1/channels/sms-gateway/Phone",
                          content=json.dumps({"event": "sms:received", "id": "x", "payload": {
                              "message": "hi", "phoneNumber": NUMBER}}))
    assert unsigned.status_code == 403
    unknown = httpx.post(f"{server.url}/api/v1/channels/sms-gateway/Nope", content=b"{}")
    assert unknown.status_code == 404
    from helpdesk.services.conversations import ConversationFilter

    assert services.conversations.list(ConversationFilter()).conversations == []


def test_replies_wait_while_the_phone_is_off_and_go_out_once_when_it_is_back(services, phone, phone_channel, texts,
                                                                              ann, clock):
    registered(phone)
    phone.text_in(NUMBER, "When do you open?")
    conversation = only_conversation(services)
    phone.off()
    written = services.conversations.reply(conversation.id, ann, "At nine tomorrow.")
    delivery = lambda: services.deliveries.of_messages([written.message_id])[written.message_id]  # noqa: E731
    wait_until(lambda: "does not answer" in delivery().error, what="the reply waiting with a reason")
    assert delivery().status == "queued"
    wait_until(lambda: "Phone is offline" in services.messaging.channels.trouble(), what="the banner's words")
    assert "1 reply waiting" in services.messaging.channels.trouble()

    phone.on()
    clock.advance(timedelta(seconds=20))  # the first retry is due within 15 s (±20 %)
    wait_until(lambda: delivery().status == "sent", what="the reply leaving once the phone is back")
    clock.advance(timedelta(hours=1))
    rounds = texts.send_passes
    wait_until(lambda: texts.send_passes >= rounds + 6, what="the sender's next rounds")  # nothing more leaves
    assert [t["text"] for t in phone.sent_texts] == ["At nine tomorrow."]
    wait_until(lambda: services.messaging.channels.trouble() == "", what="the banner going away")


def test_a_retry_after_a_lost_answer_is_the_same_text_to_the_phone(services, phone, phone_channel, texts, ann):
    from helpdesk.channels.texts import open_channel
    from helpdesk.services.messaging import OutgoingText

    worker = open_channel(services, phone_channel)
    out = OutgoingText(delivery_id=1, channel_id=phone_channel.id, kind="sms", to=NUMBER, text="hello",
                       reference="helpdesk-1")
    first, second = worker.send(out), worker.send(out)  # the first answer was "lost": tried again
    assert first.external_id == second.external_id == "helpdesk-1"
    assert len(phone.sent_texts) == 1
    worker.close()


def test_stop_opts_the_customer_out_of_texts_and_start_undoes_it(services, phone, phone_channel, texts, ann):
    registered(phone)
    phone.text_in(NUMBER, "Where is my order?")
    conversation = only_conversation(services)
    phone.text_in(NUMBER, "STOP")
    assert services.messaging.opted_out(conversation.customer_id) is not None
    events = [m.body for m in thread_of(services, conversation.id)]
    assert any("texted STOP" in e for e in events)
    with pytest.raises(Conflict, match="STOP"):
        services.conversations.reply(conversation.id, ann, "Your order is on its way")
    phone.text_in(NUMBER, "start")
    assert services.messaging.opted_out(conversation.customer_id) is None
    services.conversations.reply(conversation.id, ann, "Your order is on its way")
    wait_until(lambda: [t["text"] for t in phone.sent_texts] == ["Your order is on its way"],
               what="texts on again after START")


def test_the_phone_reinstalled_gets_the_webhooks_again(services, phone, phone_channel, texts):
    from helpdesk.channels.texts import open_channel

    registered(phone)
    phone.webhooks.clear()  # the app was reinstalled: it forgot them
    worker = open_channel(services, phone_channel)
    worker.ensure_webhooks()
    assert len(phone.webhooks) == 4
    worker.close()


def test_delivery_states_are_read_from_the_phone_when_its_webhooks_cannot_reach_helpdesk(
        services, phone, phone_channel, texts, ann):
    registered(phone)
    phone.text_in(NUMBER, "Hello?")
    conversation = only_conversation(services)
    written = services.conversations.reply(conversation.id, ann, "Hello!")
    sent = wait_until(lambda: phone.sent_texts, what="the reply reaching the phone")
    phone.progress(sent[0]["id"], "Delivered", tell=False)  # no webhook: only GET /message/{id} knows
    from helpdesk.channels.texts import open_channel

    worker = open_channel(services, phone_channel)
    wait_until(lambda: services.deliveries.of_messages([written.message_id])[written.message_id].status == "sent",
               what="sent")
    worker.read_states()
    assert services.deliveries.of_messages([written.message_id])[written.message_id].status == "delivered"
    worker.close()


def test_a_blocked_numbers_texts_land_in_spam_and_are_never_answered(services, phone, phone_channel, texts, ann,
                                                                      clock):
    registered(phone)
    services.automation.set_enabled("auto-acknowledge", True, ann)
    services.blocklist.block("phone", "(555) 010-0123", ann)  # typed as the shop has it; matched as +15550100123
    answer = phone.text_in(NUMBER, "WIN A FREE CRUISE reply YES")
    assert answer.status_code == 200  # the phone is answered as usual: nothing tells the sender
    [spam] = wait_until(lambda: services.conversations.list(ConversationFilter(spam=True)).conversations,
                        what="the text in Spam")
    assert services.conversations.list(ConversationFilter()).conversations == []
    phone.text_in("+15550100999", "Is my bike ready?")  # someone else: acknowledged as usual
    services.automation.process_all()
    clock.advance(timedelta(seconds=5))
    sent = wait_until(lambda: phone.sent_texts, what="the acknowledgement to the other customer")
    assert {r["phoneNumber"] for t in sent for r in t["recipients"]} == {"+15550100999"}
    assert [m.body for m in thread_of(services, spam.id) if m.kind == "reply"] == ["WIN A FREE CRUISE reply YES"]
