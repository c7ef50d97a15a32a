"""Settings → Teams on an offline page, as an admin uses it: a team made from the dialog (its
members ticked, a lead picked) closes the dialog and shows the team; a source's new
conversations routed to it from the list; a save that says "Saved" closes its dialog (a note at
the bottom once took the close instead, leaving the dialog open)."""

from __future__ import annotations

import asyncio

import flet as ft

from helpdesk.services.base import Actor
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.ui.context import UiContext
from helpdesk.ui.settings.teams import TeamsSection
from helpdesk.ui.widgets import close_dialog
from tests.ui.flet_wire import offline_page


def open_dialogs(page):
    return [d for d in page._dialogs.controls if d.open]


def test_a_team_made_from_the_dialog_and_a_token_routed_to_it(app, ann):
    services = app.services
    services.agents.create("tom@shop.example", "Tom Mechanic", "tom's password", actor=Actor.system())
    token = services.tokens.create("Website form", actor=ann)

    async def scenario() -> None:
        page, _wire = offline_page()
        shown: list[ft.Control] = []

        async def navigate(_where: str) -> None: ...

        ctx = UiContext(page, services, app.settings, services.agents.get(ann.id), "test", navigate)
        section = TeamsSection(ctx, lambda: None)

        async def rerender() -> None:
            shown.append(await section.build())

        section.rerender = rerender
        await rerender()
        await section._edit(None)
        [dialog] = open_dialogs(page)
        fields = dialog.content.controls
        name = next(c for c in fields if isinstance(c, ft.TextField))
        name.value = "Workshop"
        next(c for c in fields if isinstance(c, ft.Checkbox) and c.label.startswith("Tom")).value = True
        lead = next(c for c in fields if isinstance(c, ft.Dropdown))
        lead.value = next(o.key for o in lead.options if o.text == "Tom Mechanic")
        save = next(b for b in dialog.actions if isinstance(b, ft.FilledButton))
        await save.on_click(None)
        assert [type(d).__name__ for d in open_dialogs(page)] == ["SnackBar"]  # the dialog closed, the note shows
        [team] = services.teams.all()
        assert (team.name, team.lead.name, [m.name for m in team.members]) == ("Workshop", "Tom Mechanic",
                                                                               ["Tom Mechanic"])
        texts = [c.value for c in _walk(shown[-1]) if isinstance(c, ft.Text)]
        assert "Tom Mechanic (lead)" in texts

        route = next(c for c in _walk(shown[-1]) if isinstance(c, ft.Dropdown))  # the token's row
        route.value = str(team.id)
        await route.on_select(type("Event", (), {"control": route})())
        assert services.teams.routes("token") == {token.token.id: team.id}

    asyncio.run(scenario())


def test_a_workshop_that_opens_at_eight_keeps_its_own_hours_and_targets(app, ann):
    services = app.services
    services.sla.set_calendar(BusinessCalendar.office("Europe/Berlin"), ann)
    workshop = services.teams.create("Workshop", [], ann)

    async def scenario() -> None:
        page, _wire = offline_page()
        shown: list[ft.Control] = []

        async def navigate(_where: str) -> None: ...

        ctx = UiContext(page, services, app.settings, services.agents.get(ann.id), "test", navigate)
        section = TeamsSection(ctx, lambda: None)

        async def rerender() -> None:
            shown.append(await section.build())

        section.rerender = rerender
        await rerender()
        assert "The shop's business hours; the shop's response targets." in _texts(shown[-1])
        await section._edit(services.teams.get(workshop.id))
        [dialog] = open_dialogs(page)
        controls = list(_walk(dialog.content))
        own_hours = next(c for c in controls if isinstance(c, ft.Checkbox) and c.label.startswith("Own business"))
        own_hours.value = True
        opens = [c for c in controls if isinstance(c, ft.TextField) and c.label == "Opens"]  # one a weekday
        assert [o.value for o in opens] == ["09:00"] * 7  # starts from the shop's
        saturday = next(c for c in controls if isinstance(c, ft.Checkbox) and c.label == "Sat")
        assert saturday.value is False
        saturday.value = True
        [*_, saturday_closes, _] = [c for c in controls if isinstance(c, ft.TextField) and c.label == "Closes"]
        saturday_closes.value = "12:00"  # closes at noon
        opens[0].value = "25:00"  # refused with words, nothing saved
        save = next(b for b in dialog.actions if isinstance(b, ft.FilledButton))
        await save.on_click(None)
        assert services.sla.team_time(workshop.id).calendar is None
        assert any("not a time of day" in d.content.value for d in open_dialogs(page) if isinstance(d, ft.SnackBar))
        for o in opens:
            o.value = "8:00"  # as people type it
        own_targets = next(c for c in controls if isinstance(c, ft.Checkbox) and c.label.startswith("Own response"))
        own_targets.value = True
        first = next(c for c in controls if isinstance(c, ft.TextField) and c.label == "First reply")  # urgent's
        first.value = "15"
        await save.on_click(None)
        own = services.sla.team_time(workshop.id)
        assert own.calendar is not None and own.calendar.hours[0][0][0].hour == 8
        assert own.policies["urgent"].first_response_minutes == 15
        assert "Own hours: Mon-Fri 08:00-17:00, Sat 08:00-12:00 (Europe/Berlin); own response targets." in _texts(shown[-1])

    asyncio.run(scenario())


def _texts(control):
    return [c.value for c in _walk(control) if isinstance(c, ft.Text)]


def test_closing_a_dialog_leaves_the_note_shown_over_it():
    async def scenario() -> None:
        page, _wire = offline_page()
        dialog = ft.AlertDialog(title=ft.Text("Edit webhook"))
        page.show_dialog(dialog)
        page.show_dialog(ft.SnackBar(ft.Text("Webhook saved")))
        close_dialog(page)
        assert not dialog.open
        assert [type(d).__name__ for d in open_dialogs(page)] == ["SnackBar"]

    asyncio.run(scenario())


def _walk(control):
    yield control
    for attr in ("controls", "content"):
        child = getattr(control, attr, None)
        for c in (child if isinstance(child, list) else [child] if child is not None else []):
            if isinstance(c, ft.Control):
                yield from _walk(c)
