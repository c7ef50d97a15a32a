"""Automation replies with a help article: the one a rule names, or the published one that best
answers the customer's words; no match (or only a draft) is a skip with its reason, never an
empty reply."""

from __future__ import annotations

import pytest

from helpdesk.services.errors import ValidationFailed
from tests.services.test_automation import public_out, receive, rule, run


@pytest.fixture
def articles(services, ann):
    pads = services.articles.create(ann, "When to change brake pads", "Check the pads every month; grinding "
                                    "means now.", category="Repairs", status="published")
    services.articles.create(ann, "Opening hours", "Monday to Friday, 9 to 18.", status="published")
    services.articles.create(ann, "Tubeless tyres", "Sealant lasts six months.", category="Repairs")  # a draft
    return pads


def test_the_best_matching_article_goes_to_the_customer_with_its_link(services, ann, articles):
    made = rule(services, ann, title="Answer from the help center", actions=[{"type": "reply_article"}])
    assert services.automation.describe(made) == ("When a conversation is created: reply with the help article "
                                                  "that best answers the customer")
    cid = receive(services, "My brake pads are grinding, should I change them?").conversation_id
    run(services)
    [reply] = public_out(services, cid)
    assert reply.body == ("This may answer your question:\n\nWhen to change brake pads\n"
                          "http://shop.test/help/repairs/when-to-change-brake-pads")
    [done] = services.automation.history(made.id)
    assert done.outcome == "done"

    other = receive(services, "Do you sell tubeless sealant?", email="dan@example.com").conversation_id
    run(services)
    assert public_out(services, other) == []  # the only match is a draft: no customer can read it
    skipped = services.automation.history(made.id)[0]
    assert skipped.outcome == "skipped" and "no published help article matches" in str(skipped.detail)


def test_a_named_article_with_the_rules_own_words(services, ann, articles):
    rule(services, ann, title="Hours", conditions=[{"field": "text", "op": "contains", "value": "open"}],
         actions=[{"type": "reply_article", "article": "opening hours",
                   "body": "Hi {{customer.first_name}}, here are our hours:"}])
    cid = receive(services, "Are you open on Saturday?").conversation_id
    run(services)
    [reply] = public_out(services, cid)
    assert reply.body == "Hi Carol, here are our hours:\n\nOpening hours\nhttp://shop.test/help/general/opening-hours"

    services.articles.change(articles.id, ann, status="draft")
    rule(services, ann, title="Pads", conditions=[{"field": "text", "op": "contains", "value": "pads"}],
         actions=[{"type": "reply_article", "article": "When to change brake pads"}])
    receive(services, "How often to check pads?", email="eve@example.com")
    run(services)
    [skipped] = services.automation.history(services.automation.get("pads").id)
    assert "no published help article is called 'When to change brake pads'" in str(skipped.detail)


def test_a_title_too_long_is_refused(services, ann):
    with pytest.raises(ValidationFailed) as refused:
        rule(services, ann, actions=[{"type": "reply_article", "article": "x" * 201}])
    assert "actions[0].article" in refused.value.fields
