"""Agents answer with the help center: the assist panel beside a conversation offers the
published articles that answer what the customer asked, and "/" in the reply box offers them
by title; either puts the article's public link in the reply (from the shop's address)."""

from __future__ import annotations

import asyncio

import flet as ft

from helpdesk import events
from helpdesk.services.base import Actor
from tests.ui.flet_wire import customer_writes, offline_workspace, within
from tests.ui.test_settings_teams import _walk

PADS_URL = "http://shop.test/help/repairs/when-to-change-brake-pads"


def _publish(services, ann):  # type: ignore[no-untyped-def]
    articles = services.articles
    pads = articles.create(ann, "When to change brake pads", "Check the pads every month; grinding means now.",
                           category="Repairs", status="published")
    articles.create(ann, "Brake cables", "Not ready yet.", category="Repairs")  # a draft: no customer can read it
    return pads


def _texts(control: ft.Control) -> list[str]:
    return [c.value for c in _walk(control) if isinstance(c, ft.Text) and isinstance(c.value, str)]


def test_the_assist_panel_offers_the_article_that_answers_and_inserts_its_link(app, ann):
    services = app.services
    pads = _publish(services, ann)
    assert services.articles.url(pads) == PADS_URL

    async def scenario() -> None:
        workspace, _wire = await offline_workspace(app, services.agents.get(ann.agent_id))
        cid = await customer_writes(app, workspace, "rider@example.com", "My brake pads make a grinding noise, "
                                    "do they need changing?")
        await workspace.open(cid)
        assert await within(3, lambda: "Help articles" in _texts(workspace.assist.similar))
        shown = _texts(workspace.assist.similar)
        assert "When to change brake pads" in shown and "Brake cables" not in shown
        insert = next(c for c in _walk(workspace.assist.similar)
                      if isinstance(c, ft.TextButton) and c.content == "Insert link")
        workspace.composer.set_text("Hello!")
        insert.on_click(None)
        assert await within(2, lambda: workspace.composer.text == f"Hello!\n\nWhen to change brake pads: {PADS_URL}")
        await workspace.leave()

    asyncio.run(scenario())


def test_slash_in_the_reply_box_offers_published_articles_by_title(app, ann):
    services = app.services
    _publish(services, ann)
    seen: list[events.Event] = []
    services.events.subscribe(seen.append, {events.ARTICLES_CHANGED})

    async def scenario() -> None:
        workspace, _wire = await offline_workspace(app, services.agents.get(ann.agent_id))
        composer = workspace.composer

        async def type_(text: str) -> list[str]:
            composer.field.value = text
            await composer._changed(None)
            return [c.content for c in composer.links_row.controls]

        assert await type_("Have a look at /bra") == ["When to change brake pads"]  # not the draft
        assert await type_("Have a look at /brake ch") == ["When to change brake pads"]
        assert await type_("Have a look at /tyres") == []
        assert await type_("either/or brake") == [] and composer.links_row.visible is False  # "/" inside a word
        await type_("Have a look at /change")
        composer.links_row.controls[0].on_click(None)
        assert composer.text == f"Have a look at When to change brake pads: {PADS_URL} "
        assert composer.links_row.visible is False

        services.articles.create(Actor.for_agent(services.agents.get(ann.agent_id)), "Tubeless tyres",
                                 "Sealant lasts six months.", category="Repairs", status="published")
        for event in seen:  # the bus hands the workspace its events as it does in the running app
            workspace.on_event(event)
        assert await within(2, lambda: any(t == "Tubeless tyres" for t, _ in composer.linkable))
        assert await type_("See /tubel") == ["Tubeless tyres"]
        await workspace.leave()

    asyncio.run(scenario())
