"""An agent who is not an admin keeps macros of their own from the reply box (Macros → My
macros…): made in the dialog, only theirs, in their Macros menu at once; the team's show but
are not theirs to change."""

from __future__ import annotations

import asyncio

import flet as ft

from helpdesk import events
from helpdesk.services.base import Actor
from tests.ui.flet_wire import offline_workspace, within
from tests.ui.test_settings_teams import _walk


def _menu(workspace) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(item.content) for item in workspace.composer.macros.items]


def test_an_agent_keeps_a_macro_of_their_own_from_the_reply_box(app, ann):
    services = app.services
    services.macros.create("Bike ready for pick-up", [{"type": "status", "value": "resolved"}], ann)
    tom = services.agents.create("tom@shop.example", "Tom Mechanic", "tom's password", actor=Actor.system())
    seen: list[events.Event] = []
    services.events.subscribe(seen.append, {events.MACROS_CHANGED})

    async def scenario() -> None:
        workspace, _wire = await offline_workspace(app, tom)
        assert _menu(workspace)[-1] == "My macros…"
        workspace.composer.macros.items[-1].on_click(None)
        assert await within(2, lambda: any(d.open for d in workspace.page._dialogs.controls))
        [host] = [d for d in workspace.page._dialogs.controls if d.open]
        shown = list(_walk(host.content))
        assert "My macros" in [c.value for c in shown if isinstance(c, ft.Text)]
        team_card_buttons = [c for c in shown if isinstance(c, ft.IconButton)]
        assert team_card_buttons == []  # the team's macro is not Tom's to change
        new = next(c for c in shown if isinstance(c, ft.FilledButton))
        new.on_click(None)
        assert await within(2, lambda: len([d for d in workspace.page._dialogs.controls if d.open]) == 2)
        editor = [d for d in workspace.page._dialogs.controls if d.open][-1]
        fields = list(_walk(editor.content))
        mine = next(c for c in fields if isinstance(c, ft.Checkbox))
        assert mine.value is True and mine.disabled is True  # only for Tom: he keeps no shared ones
        next(c for c in fields if isinstance(c, ft.TextField) and c.label == "Name").value = "Pads ordered"
        next(c for c in fields if isinstance(c, ft.TextField) and c.label == "Internal note").value = \
            "Ordered brake pads, due Thursday"
        await next(b for b in editor.actions if isinstance(b, ft.FilledButton)).on_click(None)
        [macro] = [m for m in services.macros.visible_to(Actor.for_agent(tom)) if m.name == "Pads ordered"]
        assert macro.owner_id == tom.id
        assert "Pads ordered" not in [m.name for m in services.macros.visible_to(Actor.for_agent(
            services.agents.get(ann.agent_id)))]
        for event in seen:  # the bus hands the workspace its events as it does in the running app
            workspace.on_event(event)
        assert await within(2, lambda: any(item.startswith("Pads ordered") for item in _menu(workspace)))
        await workspace.leave()

    asyncio.run(scenario())
