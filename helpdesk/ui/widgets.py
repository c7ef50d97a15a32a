"""Small pieces shared by the views."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import flet as ft


async def sync_value(_e: Any) -> None:
    """A no-op change handler. A TextField with a change handler sends its value with
    every keystroke, so a button pressed right after typing never reads a stale value."""
    updates_itself()  # nothing changed: no update at all


def updates_itself() -> None:
    """First thing in an event handler that sends what it changes itself (`page.update(c)`).
    After every handler Flet otherwise updates the nearest isolated ancestor of the control
    that fired, which for most controls is the page: a diff of everything on screen, for
    every keystroke in a text field. Only inside event handlers: it switches off the
    automatic update for the event being handled, not for the app."""
    ft.context.disable_auto_update()


def local_zone() -> tzinfo | None:
    """This computer's time zone: agents read times as the shop's clock shows them."""
    return datetime.now().astimezone().tzinfo


def labelled_icon(icon: str, label: str) -> ft.Icon:
    """An icon that screen readers (and the browser tests) know by name; a tooltip alone is
    only announced on hover."""
    return ft.Icon(icon, semantics_label=label)


def icon_button(icon: str, label: str, **kwargs: Any) -> ft.IconButton:
    return ft.IconButton(labelled_icon(icon, label), tooltip=label, **kwargs)


@ft.control(isolated=True)
class Isolated(ft.Container):
    """A container whose insides an update of its parent does not walk (Flet's isolated
    controls). Flet's diff otherwise visits every descendant of what is updated: a list of
    50 inbox rows is some 900 controls compared on every refresh. Whoever changes what is
    inside updates it itself (`page.update(this)`); its own properties (a row's highlight)
    still go with the parent."""


def close_dialog(page: ft.Page) -> None:
    """Close the topmost open dialog. Flet's `pop_dialog` closes whatever opened last, and a
    note at the bottom (a SnackBar, `UiContext.toast`) is opened the same way: after a save
    that said "Saved", it closed the note and left the dialog open."""
    dialogs = getattr(page, "_dialogs").controls  # Flet's dialog stack (base_page.py), read by name
    dialog = next((d for d in reversed(dialogs) if d.open and not isinstance(d, ft.SnackBar)), None)
    if dialog is not None:
        dialog.open = False
        dialog.update()
