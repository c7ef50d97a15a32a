"""Desktop notifications on the shop PC, where the platform offers a way without extra
software: notify-send (Linux desktops), osascript (macOS). Elsewhere: nothing, quietly."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys

log = logging.getLogger(__name__)


def notifier_command(title: str, body: str) -> list[str] | None:
    if sys.platform.startswith("linux") and shutil.which("notify-send"):
        return ["notify-send", "--app-name=Helpdesk", title, body]
    if sys.platform == "darwin" and shutil.which("osascript"):
        script = f'display notification {body!r} with title {title!r}'.replace("'", '"')
        return ["osascript", "-e", script]
    return None


def notify(title: str, body: str) -> bool:
    command = notifier_command(title, body)
    if command is None:
        return False
    try:
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return True
    except OSError:
        log.debug("desktop notification failed", exc_info=True)
        return False


def breach_notifier(services):
    """An event-bus subscriber that announces SLA breaches on the desktop."""
    from helpdesk.events import SLA_BREACHED
    from helpdesk.services.sla import TARGET_LABELS

    def on_event(event) -> None:
        if event.type != SLA_BREACHED:
            return
        target = TARGET_LABELS.get(event.data.get("target", ""), "Reply")
        notify("Helpdesk: a customer is waiting too long",
               f"{target} overdue in conversation #{event.conversation_id}")

    return on_event
