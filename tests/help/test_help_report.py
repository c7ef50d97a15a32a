"""The help center's report as a shop owner reads it: per article (views, votes, suggestions,
conversations avoided) and what visitors searched for and did not find, for the period chosen;
the same in Reports, in the API and as CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta

import flet as ft

from helpdesk.services.base import Actor
from tests.ui.flet_wire import offline_page
from tests.ui.test_settings_teams import _walk


def _visits(client, services, ann):  # type: ignore[no-untyped-def]
    pads = services.articles.create(ann, "When to change brake pads", "Check the pads every month.",
                                    category="Repairs", status="published")
    client.get(pads.path)
    client.post(pads.path + "/vote", data={"helped": "yes"})
    client.get(pads.path)
    client.post(pads.path + "/vote", data={"helped": "no"})
    client.get("/help/search", params={"q": "gift vouchers"})
    client.get("/help/search", params={"q": "Gift vouchers"})
    client.get("/help/search", params={"q": "brake"})
    client.get("/help/search", params={"q": "refund to ann@example.com"})  # a customer's details are not kept
    return pads


def test_the_report_counts_per_article_and_what_was_not_found(client, services, ann, clock):
    pads = _visits(client, services, ann)
    token = services.tokens.create("reports", actor=Actor.system(), scopes=["read"]).plaintext
    headers = {"Authorization": f"Bearer {token}"}
    report = client.get("/api/v1/reports/help", headers=headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["views"], body["helped"], body["searches"]) == (2, 1, 4)
    [article] = body["articles"]
    assert (article["title"], article["views"], article["helped"], article["not_helped"]) == \
        ("When to change brake pads", 2, 1, 1)
    assert body["not_found"] == [{"query": "gift vouchers", "count": 2}, {"query": "refund to [email]", "count": 1}]

    rows = list(csv.reader(io.StringIO(client.get("/api/v1/reports/help.csv", headers=headers).text)))
    assert rows[1][:5] == ["When to change brake pads", pads.path, "2", "1", "1"]
    assert ["gift vouchers", "2"] in rows

    today = clock.now().date()
    earlier = client.get("/api/v1/reports/help", headers=headers, params={
        "from": (today - timedelta(days=60)).isoformat(), "to": (today - timedelta(days=31)).isoformat()}).json()
    assert (earlier["views"], earlier["articles"], earlier["not_found"]) == (0, [], [])  # another period
    backwards = client.get("/api/v1/reports/help", headers=headers, params={"from": "2026-05-02", "to": "2026-05-01"})
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "validation_failed"
    assert client.get("/api/v1/reports/help").status_code == 401


def test_reports_show_the_help_center_for_the_period(app, client, ann):
    from helpdesk.ui.context import UiContext
    from helpdesk.ui.reports import ReportsScreen

    services = app.services
    _visits(client, services, ann)

    async def scenario() -> None:
        page, _wire = offline_page()

        async def navigate(_where: str) -> None: ...

        screen = ReportsScreen(UiContext(page, services, app.settings, services.agents.get(ann.agent_id), "test",
                                         navigate))
        await screen.show()
        texts = [c.value for c in _walk(screen.content) if isinstance(c, ft.Text)]
        assert "Help center" in texts
        assert "Searched for, nothing found: gift vouchers (2), refund to [email] (1)" in texts
        table = next(c for c in _walk(screen.content) if isinstance(c, ft.DataTable)
                     and c.columns[0].label.value == "Article")
        assert [cell.content.value for cell in table.rows[0].cells] == ["When to change brake pads", "2", "1", "1",
                                                                        "0", "0"]

    asyncio.run(scenario())
