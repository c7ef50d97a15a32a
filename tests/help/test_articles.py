"""Help articles as agents write them and visitors find them: full-text search over what is
published, addresses that stay put, the visitor's language, drafts saved from a conversation
with the customer's data masked, and what agents and tokens may do."""

from __future__ import annotations

import pytest

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import Forbidden, ValidationFailed
from helpdesk.services.help.markdown import to_html


@pytest.fixture
def published(services, ann):
    articles = services.articles
    pads = articles.create(ann, "When to change brake pads", "Check the **pads** every month. Squealing in the "
                           "rain is normal; grinding is not.", category="Repairs", status="published")
    tyres = articles.create(ann, "Tubeless tyres", "Sealant lasts about six months.", category="Repairs",
                            status="published")
    german = articles.create(ann, "Bremsbeläge wechseln", "Prüfen Sie die Beläge jeden Monat.", category="Reparatur",
                             language="de", status="published")
    draft = articles.create(ann, "Brake cables (draft)", "Not ready.", category="Repairs")
    return pads, tyres, german, draft


def test_search_finds_published_articles_by_any_word_and_a_typed_prefix(services, published):
    pads, tyres, german, draft = published
    assert [h.article.id for h in services.articles.search("squeal", "en")] == [pads.id]  # a prefix while typing
    assert [h.article.id for h in services.articles.search("sealant months")] == [tyres.id]
    assert [h.article.id for h in services.articles.search("Beläge")] == [german.id]  # accents folded
    assert services.articles.search("brake cables") == []  # a draft is nobody's answer yet
    assert [h.article.id for h in services.articles.search("brake cables", published_only=False)] == [draft.id]
    hit = services.articles.search("grinding")[0]
    assert ("grinding", True) in hit.segments
    assert services.articles.suggest("pa", "en") == []  # too little to go on
    assert [a.id for a in services.articles.suggest("my brake pads squeal", "en")] == [pads.id]


def test_an_article_keeps_its_address_and_titles_make_unique_ones(services, ann, published):
    pads = published[0]
    assert pads.path == "/help/repairs/when-to-change-brake-pads"
    again = services.articles.create(ann, "When to change brake pads!", "Twice.", category="Repairs")
    assert again.slug == "when-to-change-brake-pads-2"
    renamed = services.articles.change(pads.id, ann, title="Brake pads: when to change them")
    assert renamed.path == pads.path  # links out there keep working
    assert services.articles.find("repairs", pads.slug, "en").title == "Brake pads: when to change them"
    assert services.articles.find("repairs", "brake-cables-draft", "en") is None  # drafts are not on the site


def test_the_visitors_language_among_those_the_shop_wrote(services, published):
    pick = services.articles.pick_language
    assert pick("de-AT,de;q=0.9,en;q=0.5") == "de"
    assert pick("fr-FR,fr;q=0.9") == "en"  # the shop's main language
    assert pick("fr, en;q=0.1, de;q=0.8") == "de"
    assert pick("de", asked="en") == "en"
    assert pick("q=;;,,;q=x") == "en"  # nonsense is no language


def test_bad_articles_are_refused_by_field(services, ann):
    with pytest.raises(ValidationFailed) as refused:
        services.articles.create(ann, "  ", "x", language="English", status="live")
    assert set(refused.value.fields) == {"title", "language", "status"}
    with pytest.raises(ValidationFailed) as refused:
        services.articles.create(ann, "Empty", "   ", status="published")
    assert refused.value.fields == {"body": "an article is published with something in it"}


def test_agents_write_articles_a_bot_does_not(services, bob):
    assert services.articles.create(bob, "Opening hours", "Mon-Fri 9-17").author == "Bob Agent"
    token = services.tokens.create("bot", actor=Actor.system(), scopes=["read", "reply"])
    bot = Actor.for_token(token.token)
    with pytest.raises(Forbidden):
        services.articles.create(bot, "Spam", "Buy")


def test_a_draft_from_a_conversation_masks_the_customers_data(services, ann):
    cid = services.conversations.receive(IncomingMessage(
        body="Hi, my rear brake squeaks. Call me on +49 151 2345 6789 or lena.vogel@example.de, order #10598.",
        email="lena.vogel@example.de", name="Lena Vogel", subject="Squeaky rear brake")).conversation_id
    services.conversations.reply(cid, ann, "Hi Lena, squeaking in the rain is normal: the pads are wet. "
                                           "If it grinds, bring it in.\n\nAnn")
    saved = services.articles.save_from_conversation(cid, ann)
    article = saved.article
    assert (article.title, article.status, article.source_conversation_id) == ("Squeaky rear brake", "draft", cid)
    assert "+49" not in article.body and "lena.vogel@example.de" not in article.body and "10598" not in article.body
    assert "Lena" not in article.body
    assert "[phone]" in article.body and "[email]" in article.body and "[order number]" in article.body
    assert "squeaking in the rain is normal" in article.body
    assert not article.body.rstrip().endswith("Ann")  # the sign-off was for one customer
    assert saved.masked >= 4


def test_markdown_becomes_safe_html():
    html = to_html("# Title\n\n<script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.com)")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html.split("&lt;")[0] or 'href="javascript' not in html
    assert 'href="javascript' not in html and 'href="https://example.com"' in html
    assert "<h2>Title</h2>" in html  # the page's h1 is the article's title
