from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.customers import normalize_email, normalize_phone


def test_emails_compare_case_insensitively():
    assert normalize_email("  Ann@Example.COM ") == "ann@example.com"
    assert normalize_email("not-an-email") is None


def test_phone_numbers_in_any_format_normalise_to_the_same_value():
    forms = ["+1 555 0100", "+1-555-0100", "+1 (555) 0100", "001 555 0100", "+15550100"]
    assert {normalize_phone(f) for f in forms} == {"+15550100"}
    assert normalize_phone("020 7946 0958", "GB") == "+442079460958"
    assert normalize_phone("call me") is None
    assert normalize_phone("123") is None


def test_the_same_customer_is_found_by_email_whatever_its_case(services):
    first = services.conversations.receive(IncomingMessage(body="hello", email="Dana@Example.com"))
    second = services.conversations.receive(IncomingMessage(body="again", email="dana@example.COM"))
    assert first.customer_id == second.customer_id
    assert first.conversation_id == second.conversation_id


def test_a_phone_number_written_differently_is_the_same_customer(services):
    first = services.conversations.receive(IncomingMessage(body="hi", phone="+1 555 0100"))
    second = services.conversations.receive(IncomingMessage(body="hi", phone="+1-555-0100"))
    assert first.customer_id == second.customer_id


def test_new_identifiers_attach_to_the_customer_found(services):
    first = services.conversations.receive(IncomingMessage(body="hi", email="eve@example.com"))
    second = services.conversations.receive(IncomingMessage(body="hi", email="eve@example.com",
                                                            phone="+15550199", external_id="crm-7"))
    third = services.conversations.receive(IncomingMessage(body="by sms", phone="+1 555 0199"))
    fourth = services.conversations.receive(IncomingMessage(body="from crm", external_id="crm-7"))
    assert first.customer_id == second.customer_id == third.customer_id == fourth.customer_id
    profile = services.customers.get_profile(first.customer_id)
    assert profile.identifiers == {"email": ["eve@example.com"], "phone": ["+15550199"], "external_id": ["crm-7"]}


def test_identifiers_of_two_customers_never_move_or_merge_silently(services):
    a = services.conversations.receive(IncomingMessage(body="a", email="a@example.com"))
    b = services.conversations.receive(IncomingMessage(body="b", phone="+15550123"))
    mixed = services.conversations.receive(IncomingMessage(body="both", email="a@example.com", phone="+15550123"))
    assert mixed.customer_id == a.customer_id  # the email (more specific) wins
    assert services.customers.get_profile(b.customer_id).identifiers == {"phone": ["+15550123"]}
    assert services.customers.get_profile(a.customer_id).identifiers == {"email": ["a@example.com"]}


def test_customer_history_lists_every_conversation_newest_first(services, ann, clock):
    first = services.conversations.receive(IncomingMessage(body="first problem", email="f@example.com"))
    services.conversations.reply(first.conversation_id, ann, "fixed", then="resolved")
    clock.advance(days=3)
    second = services.conversations.receive(IncomingMessage(body="second problem", email="f@example.com"))
    history = services.customers.history(first.customer_id)
    assert [c.id for c in history.conversations] == [second.conversation_id, first.conversation_id]
    assert history.profile.first("email") == "f@example.com"


def test_what_the_events_api_says_of_a_returning_customer(services, ann):
    def said(body):  # the customer as the message's message.received event names them
        [event] = [e for e in services.outbox.events_after(0) if e.payload["body"] == body]
        return event.payload["customer"]

    first = services.conversations.receive(IncomingMessage(body="hi", email="fay@example.com", phone="+15550142",
                                                           name="Fay Field"))
    again = services.conversations.receive(IncomingMessage(body="by sms", phone="+1 555 0142", name="Someone"))
    assert again.conversation_id == first.conversation_id and not again.created
    assert said("by sms") == {"id": first.customer_id, "name": "Fay Field", "email": "fay@example.com",
                              "phone": "+15550142", "external_id": None}  # a name is never overwritten

    nameless = services.conversations.receive(IncomingMessage(body="who?", email="gus@example.com"))
    named = services.conversations.receive(IncomingMessage(body="Gus here", email="gus@example.com", name="Gus"))
    assert said("who?")["name"] == "" and said("Gus here")["name"] == "Gus"  # filled in where there was none
    assert named.conversation_id == nameless.conversation_id

    services.conversations.set_status(first.conversation_id, "resolved", ann)
    later = services.conversations.receive(IncomingMessage(body="one more thing", email="fay@example.com"))
    assert later.customer_id == first.customer_id and later.created
    assert later.conversation_id != first.conversation_id
    assert said("one more thing")["phone"] == "+15550142"
