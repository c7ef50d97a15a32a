"""Flet 0.82's `Session.patch_control`, with its mount bookkeeping by sets.

After each update Flet checks, for every control removed, whether it was also added (a
control moved), and for every control added whether it was also removed: two nested loops.
A change of inbox view removes ~500 controls and adds ~170, so those loops took ~170,000
steps, a quarter of the update. Here each check is a set lookup; the rest is Flet's own code,
line for line, without its debug lines (they format every control added or removed).

If the method is not the source this was written against (another Flet version), nothing is
replaced: updates stay correct, only slower, and a warning says so."""

from __future__ import annotations

import logging
from typing import Any, Optional

from flet.controls.base_control import BaseControl
from flet.messaging.protocol import ClientAction, ClientMessage, PatchControlBody
from flet.messaging.session import Session

from helpdesk.ui.flet_source import is_known

log = logging.getLogger(__name__)

KNOWN_SOURCE = "47c6faafa8f48181"  # the start of sha256 of Session.patch_control's source in Flet 0.82.2
_ORIGINAL = Session.patch_control


def patch_control(self: Session, control: BaseControl, prev_control: Optional[BaseControl] = None,
                  parent: Any = None, path: Optional[list[Any]] = None, frozen: bool = False) -> None:
    # Flet's private (name-mangled) parts, read by name: install() checks the source they come from.
    patch, added_controls, removed_controls = getattr(self, "_Session__get_update_control_patch")(
        control=control, prev_control=prev_control or control, parent=parent, path=path, frozen=frozen)
    index = getattr(self, "_Session__index")
    added_ids = {added._i for added in added_controls}
    removed_ids = {removed._i for removed in removed_controls}
    for removed_control in removed_controls:
        if removed_control._i not in added_ids:
            removed_control.will_unmount()
        index.pop(removed_control._i, None)
    if len(patch) > 1:
        getattr(self, "_Session__send_message")(
            ClientMessage(ClientAction.PATCH_CONTROL, PatchControlBody(parent._i if parent else control._i, patch)))
    for added_control in added_controls:
        index[added_control._i] = added_control
        if added_control._i not in removed_ids:
            added_control.did_mount()


def install() -> bool:
    if not is_known(_ORIGINAL, KNOWN_SOURCE):
        log.warning("Flet's Session.patch_control is not the one this speedup was written for (another "
                    "Flet version?): left as it is")
        return False
    setattr(Session, "patch_control", patch_control)
    return True
