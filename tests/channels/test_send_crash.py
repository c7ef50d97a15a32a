"""Helpdesk stops between a far end taking a reply and recording it (a crash, a power cut):
the reply is recorded `sending` before the call, and after the restart it is reconciled, not
sent blindly again. Twilio is asked for the message (its list, or its status callback, which
carries our id); Telegram cannot be asked, so the reply goes again and the thread says plainly
that the customer may see it twice. Driven through the real channel workers and webhooks."""

from __future__ import annotations

from datetime import timedelta


from helpdesk.channels.texts import TextChannels, open_channel
from tests.channels.conftest import only_conversation, thread_of
from tests.channels.test_telegram_twilio import PUBLIC, twilio_call
from tests.mailservers import wait_until

# In-process fakes of the phone app, Telegram and Twilio: part of the fast tier (make check).


def crash_mid_send(services, kind: str, reaches_far_end: bool = True):
    """The sender's first steps for the one queued reply, then Helpdesk stops: the far end may
    have it (`reaches_far_end`), our record says only `sending`."""
    [due] = services.deliveries.due(kind)
    out = services.messaging.compose(due)
    services.deliveries.sending(due.id, out.reference)
    if reaches_far_end:
        worker = open_channel(services, services.messaging.channels.get(out.channel_id))
        try:
            worker.send(out)
        finally:
            worker.close()
    return due


def restarted_until(services, clock, condition, what: str) -> None:
    """Helpdesk starts again a little later: its channel workers run until `condition` holds."""
    clock.advance(timedelta(minutes=3))
    running = TextChannels(services, send_interval=0.05).start()
    try:
        wait_until(condition, what=what)
    finally:
        running.stop()


def delivery_of(services, message_id):
    return services.deliveries.of_messages([message_id])[message_id]


def text_customer(services, twilio, server):
    assert twilio_call(twilio, server, {"From": "+15550100777", "To": "+15550100999", "Body": "Is it fixed?",
                                        "MessageSid": "SMin1", "NumMedia": "0"}).status_code == 200
    return only_conversation(services)


def test_twilio_a_reply_that_reached_twilio_before_the_crash_is_found_there_not_sent_again(
        services, twilio, sms_number, server, ann, clock):
    conversation = text_customer(services, twilio, server)
    written = services.conversations.reply(conversation.id, ann, "Yes, ready for pick-up.")
    crash_mid_send(services, "sms")
    assert delivery_of(services, written.message_id).status == "sending"
    assert len(twilio.messages) == 1
    restarted_until(services, clock, lambda: delivery_of(services, written.message_id).status == "sent",
                    "reconciled")
    assert len(twilio.messages) == 1  # not a second text
    # Twilio's later report on it finds it by Twilio's own id, which the reconciling recorded.
    status = twilio_call(twilio, server, {"MessageSid": twilio.messages[0]["sid"], "MessageStatus": "delivered",
                                          "To": "+15550100777"}, path="/api/v1/channels/twilio/SMS/status")
    assert status.status_code == 200 and delivery_of(services, written.message_id).status == "delivered"


def test_twilio_a_status_callback_with_our_id_settles_a_reply_whose_answer_was_lost(
        services, twilio, sms_number, server, ann, clock):
    conversation = text_customer(services, twilio, server)
    written = services.conversations.reply(conversation.id, ann, "On its way.")
    crash_mid_send(services, "sms")
    callback = twilio.messages[0]["StatusCallback"]
    path = callback.removeprefix(PUBLIC)
    assert "?ref=helpdesk-" in path
    assert twilio_call(twilio, server, {"MessageSid": twilio.messages[0]["sid"], "MessageStatus": "delivered",
                                        "To": "+15550100777"}, path=path).status_code == 200
    assert delivery_of(services, written.message_id).status == "delivered"
    services.conversations.reply(conversation.id, ann, "And the receipt.")
    restarted_until(services, clock, lambda: len(twilio.messages) == 2, "the next reply")
    assert [m["Body"] for m in twilio.messages] == ["On its way.", "And the receipt."]


def test_twilio_a_reply_that_never_reached_twilio_is_sent_once_after_the_restart(
        services, twilio, sms_number, server, ann, clock):
    conversation = text_customer(services, twilio, server)
    written = services.conversations.reply(conversation.id, ann, "Ready tomorrow.")
    crash_mid_send(services, "sms", reaches_far_end=False)
    restarted_until(services, clock, lambda: delivery_of(services, written.message_id).status == "sent",
                    "sent after the restart")
    assert [m["Body"] for m in twilio.messages] == ["Ready tomorrow."]
    assert not any("may see it twice" in m.body for m in thread_of(services, conversation.id))


def test_telegram_cannot_tell_so_the_reply_goes_again_and_the_thread_says_it_may_arrive_twice(
        services, telegram, ann, clock):
    services.messaging.channels.add("telegram", "Telegram", {"token": telegram.token, "api_url": telegram.url}, ann)
    running = TextChannels(services, send_interval=0.05).start()
    try:
        telegram.user_writes(4242, "Dana", text="Is my wheel trued?")
        conversation = wait_until(lambda: _conversations(services), what="the message")[0]
    finally:
        running.stop()
    written = services.conversations.reply(conversation.id, ann, "Yes, this afternoon.")
    crash_mid_send(services, "telegram")
    assert len(telegram.sent) == 1
    restarted_until(services, clock, lambda: delivery_of(services, written.message_id).status == "delivered",
                    "sent again")
    assert [m["text"] for m in telegram.sent] == ["Yes, this afternoon.", "Yes, this afternoon."]
    notes = [m.body for m in thread_of(services, conversation.id) if "may see it twice" in m.body]
    assert notes == ["Helpdesk stopped while sending a reply by Telegram, and Telegram cannot tell whether it went: "
                     "it was sent again, so the customer may see it twice."]


def _conversations(services):
    from helpdesk.services.conversations import ConversationFilter

    return services.conversations.list(ConversationFilter()).conversations
