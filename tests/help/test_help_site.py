"""/help as visitors and search engines meet it, over HTTP: categories and articles with no
script and a strict CSP, indexable, in the visitor's language; search with what was not found
reported; "Did this help?" without JavaScript; "Write to us" starting a conversation the agent
sees the article on; and every anonymous path within its budget."""

from __future__ import annotations

import re
from datetime import date

import pytest

from helpdesk.services.base import Actor


@pytest.fixture
def site(services, ann):
    articles = services.articles
    pads = articles.create(ann, "When to change brake pads", "Check the **pads** every month.\n\n## Grinding\n\n"
                           "Grinding means metal on metal: bring it in.", category="Repairs", status="published")
    articles.create(ann, "Opening hours", "Mon-Fri 9:00-18:00, Sat 9:00-13:00.", status="published")
    german = articles.create(ann, "Bremsbeläge wechseln", "Prüfen Sie die Beläge jeden Monat.", category="Reparatur",
                             language="de", status="published")
    articles.create(ann, "Secret draft", "Not yet.", category="Repairs")
    return pads, german


def test_the_home_page_lists_categories_with_no_script_and_is_indexable(client, site):
    page = client.get("/help")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="en">' in html and "<script" not in html
    assert "noindex" not in html and "X-Robots-Tag" not in page.headers
    assert [m for m in re.findall(r"<h2[^>]*><a[^>]*>([^<]+)</a>", html)] == ["Repairs", "General"]  # General last
    assert 'href="/help/repairs/when-to-change-brake-pads"' in html and "Secret draft" not in html
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "style-src 'sha256-" in csp
    assert '<link rel="canonical" href="http://shop.test/help">' in html  # the configured address, never Host
    assert 'hreflang="de"' in html  # the other language the shop wrote in
    robots = client.get("/robots.txt").text
    assert "Allow: /help" in robots and "Disallow: /" in robots


def test_an_article_page_renders_markdown_and_counts_its_view_and_votes(client, services, site):
    pads, _ = site
    page = client.get(pads.path)
    assert page.status_code == 200
    assert "<h1>When to change brake pads</h1>" in page.text and "<h2>Grinding</h2>" in page.text
    assert "<strong>pads</strong>" in page.text and 'action="/help/repairs/when-to-change-brake-pads/vote"' in page.text
    voted = client.post(pads.path + "/vote", data={"helped": "yes"}, follow_redirects=False)
    assert voted.status_code == 303 and voted.headers["location"].endswith("?voted=yes#vote")
    assert "Glad it helped" in client.get(voted.headers["location"]).text
    assert client.post(pads.path + "/vote", data={"helped": "maybe"}).status_code == 422
    report = services.help_counts.report(date(2026, 1, 1), date(2026, 12, 31))
    [figures] = [a for a in report.articles if a.article_id == pads.id]
    assert (figures.views, figures.helped) == (1, 1)  # the page after the vote is not a second view
    assert client.get("/help/repairs/no-such-thing").status_code == 404
    assert client.get("/help/repairs/secret-draft").status_code == 404  # drafts are nobody's page


def test_the_visitors_language_and_the_address_asking_for_another(client, site):
    _, german = site
    home = client.get("/help", headers={"Accept-Language": "de-AT,de;q=0.9"})
    assert '<html lang="de">' in home.text and "Bremsbeläge wechseln" in home.text
    assert "When to change" not in home.text
    english = client.get("/help?lang=en", headers={"Accept-Language": "de"})
    assert "When to change brake pads" in english.text
    assert 'href="/help/repairs/when-to-change-brake-pads?lang=en"' in english.text  # it stays in English


def test_search_finds_answers_and_reports_what_it_could_not(client, services, site):
    found = client.get("/help/search", params={"q": "grind"})
    assert "1 answer for “grind”" in found.text and "<mark>Grinding</mark>" in found.text
    missed = client.get("/help/search", params={"q": "gift vouchers"})
    assert "Nothing found for “gift vouchers”" in missed.text and 'href="/help/ask"' in missed.text
    client.get("/help/search", params={"q": "Gift   Vouchers"})
    report = services.help_counts.report(date(2026, 1, 1), date(2026, 12, 31))
    assert report.unanswered == [("gift vouchers", 2)] and report.searches == 3
    long = client.get("/help/search", params={"q": "x" * 5000})
    assert long.status_code == 200  # cut to 200 characters, not an error


def test_markup_in_an_article_is_text_on_the_page(client, services, ann):
    services.articles.create(ann, "<script>alert(1)</script> Tyres", "<img src=x onerror=alert(1)> **ok**",
                             status="published")
    page = client.get("/help/general/script-alert-1-script-tyres").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Tyres" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_write_to_us_starts_a_conversation_with_the_article_for_the_agent(client, services, site):
    pads, _ = site
    form = client.get(f"/help/ask?article={pads.id}")
    assert "About <a href=\"/help/repairs/when-to-change-brake-pads\">When to change brake pads</a>" in form.text
    sent = client.post("/help/ask", data={"article": str(pads.id), "name": "Nora Lind", "email": "nora@example.com",
                                          "body": "Mine grind only when braking hard. Normal?"},
                       follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/c/")
    [row] = services.conversations.list(__import__("helpdesk.services.conversations", fromlist=["x"])
                                        .ConversationFilter()).conversations
    detail = services.conversations.get(row.id)
    assert detail.conversation.subject == "About: When to change brake pads"
    assert detail.messages[0].meta["articles_seen"] == [{"id": pads.id, "title": pads.title, "path": pads.path}]
    bad = client.post("/help/ask", data={"email": "not an address", "body": "Hello?"})
    assert bad.status_code == 422 and "does not look right" in bad.text and "Hello?" in bad.text  # nothing lost
    empty = client.post("/help/ask", data={"email": "nora@example.com", "body": "  "})
    assert empty.status_code == 422


def test_searches_and_votes_are_limited_per_address(client, services, site):
    statuses = [client.get("/help/search", params={"q": f"brake {n}"}).status_code for n in range(70)]
    assert statuses.count(429) > 0 and statuses[0] == 200
    assert client.get("/help").status_code == 200  # reading goes on


def test_the_help_center_is_on_the_public_address(settings, clock):
    from fastapi.testclient import TestClient

    from helpdesk.app import HelpdeskApp

    app = HelpdeskApp(settings.with_overrides(public_url="https://help.shop.example"), clock=clock).start()
    try:
        app.services.articles.create(Actor.system(), "Opening hours", "Mon-Fri 9-18", status="published")
        with TestClient(app.asgi, base_url="https://help.shop.example") as internet:
            home = internet.get("/help")
            assert home.status_code == 200 and "Opening hours" in home.text
            assert '<link rel="canonical" href="https://help.shop.example/help">' in home.text
            assert internet.get("/help/search?q=hours").status_code == 200
            assert internet.get("/help/general/opening-hours").status_code == 200
            assert internet.get("/api/v1/articles").status_code == 404  # the agents' and bots' side stays hidden
    finally:
        app.close()


def test_the_conversation_page_offers_answers_while_the_customer_waits(client, services, site, ann):
    pads, _ = site
    from helpdesk.services.conversations import IncomingMessage

    got = services.conversations.receive(IncomingMessage(body="My brake pads are grinding, is that bad?",
                                                         email="rider@example.com"))
    token = services.conversations.get(got.conversation_id).conversation.public_token
    page = client.get(f"/c/{token}").text
    assert "While you wait, these might answer it" in page
    assert f'<a href="{pads.path}">When to change brake pads</a>' in page and "<script" not in page
    services.conversations.reply(got.conversation_id, ann, "Bring it in today, we'll have a look.")
    assert "While you wait" not in client.get(f"/c/{token}").text  # answered: the team's reply is what counts


def test_the_counter_poster_points_at_the_help_center_on_the_address_customers_use(client, services):
    from io import BytesIO

    from PIL import Image

    from helpdesk.web.poster import poster_png

    answer = client.get("/help/_poster.png")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert Image.open(BytesIO(answer.content)).size == (1240, 1754)
    expected = poster_png("http://shop.test/help", services.promise.team_name(), offline=False, help_center=True)
    assert answer.content == expected  # the QR code of the configured address's /help, never Host's
    assert expected != poster_png("http://shop.test/chat", services.promise.team_name(), offline=False)
