"""Spam and retention in the services, with a moved clock: reports leave spam out, a blocked chat
visitor sees an empty chat, spam and old resolved conversations are erased by the daily job."""

from datetime import timedelta

from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.inbox import InboxQuery


def receive(services, email, body="hello"):
    return services.conversations.receive(IncomingMessage(body=body, email=email, name=email.split("@")[0]))


def test_spam_leaves_the_inbox_and_the_reports_and_is_erased_after_thirty_days(app, services, ann, clock):
    real = receive(services, "real@example.com")
    junk = receive(services, "junk@example.com", "cheap watches")
    today = clock.now().date()
    assert services.reports.summary(today, today, exact=True).conversations_created == 2
    services.conversations.mark_spam(junk.conversation_id, ann)
    assert services.reports.summary(today, today, exact=True).conversations_created == 1
    assert services.reports.summary(today, today).conversations_created == 1  # the stored days follow too
    assert [r.id for r in services.inbox.page(InboxQuery(status="any"), ann.id).rows] == [real.conversation_id]
    assert [r.id for r in services.inbox.page(InboxQuery(view="spam"), ann.id).rows] == [junk.conversation_id]
    assert "Marked as spam by Ann Agent" in [m.body for m in services.conversations.get(junk.conversation_id).messages]
    clock.advance(timedelta(days=29))
    assert app.job_runner.run("privacy").startswith("0 spam")
    clock.advance(timedelta(days=2))
    assert app.job_runner.run("privacy").startswith("1 spam")
    gone = services.conversations.get(junk.conversation_id)
    assert gone.customer_name == "Erased customer"  # nothing else of theirs was kept: their name and address go
    assert [m.body for m in gone.messages if m.kind == "reply"] == [""]
    assert services.search.search("watches") == [] and services.search.search("junk") == []
    assert services.conversations.get(real.conversation_id).customer_name == "real"
    assert app.job_runner.run("privacy").startswith("0 spam")  # erased once: the next night finds nothing


def test_a_blocked_chat_visitor_sees_an_empty_chat_but_is_answered_as_usual(services, ann):
    site = services.messaging.channels.add("website", "Site", {"origins": ["https://bikes.example"]}, ann)
    visitor = services.chat.visitor(site.config["key"], "v" * 20)
    services.chat.send(visitor, "first question")
    conversation_id = services.chat.conversation_of(visitor)
    customer = services.conversations.get(conversation_id).conversation.customer_id
    [(kind, value)] = services.blocklist.candidates(customer)
    assert kind == "visitor"
    services.conversations.mark_spam(conversation_id, ann, block=[(kind, value)])
    thread = services.chat.send(visitor, "are you ignoring me?")  # taken as usual
    assert thread.conversation_id is None and thread.messages == []  # as a visitor never seen
    spam = services.inbox.page(InboxQuery(view="spam"), ann.id).rows
    assert [r.preview for r in spam] == ["are you ignoring me?"]


def test_retention_counts_first_then_erases_what_was_resolved_long_ago(app, services, ann, clock):
    old = receive(services, "old@example.com", "a question from long ago")
    services.conversations.set_status(old.conversation_id, "resolved", ann)
    clock.advance(timedelta(days=400))
    recent = receive(services, "new@example.com", "a question from last week")
    services.conversations.set_status(recent.conversation_id, "resolved", ann)
    assert services.privacy.retention_months() is None
    assert services.privacy.due_for_retention(12)[0] == 1  # the dry run before switching it on
    assert app.job_runner.run("privacy").startswith("0 spam and 0 old")  # off by default
    services.privacy.set_retention(12, ann)
    assert app.job_runner.run("privacy").startswith("0 spam and 1 old")
    assert services.search.search("long ago") == [] and services.search.search("last week")
    assert services.privacy.due_for_retention(12)[0] == 0  # erased once, not counted again
    assert services.conversations.get(old.conversation_id).customer_name == "Erased customer"
    assert "privacy.retention_erased" in [e.action for e in services.auditlog.recent()]
