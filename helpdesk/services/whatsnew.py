"""What each version brought, for the "What's new" shown once after an upgrade. Newest first;
a person reads these, so they say what changed for them, not how."""

from __future__ import annotations

NOTES: list[tuple[str, list[str]]] = [
    ("0.2.0", [
        "Helpdesk can start by itself when you log in to this computer, without its window, so colleagues' "
        "browsers and your mail keep working after a restart: in Settings under This computer, or "
        "`helpdesk service install`. Opening the window then joins the Helpdesk that already runs.",
        "Before a new version changes your database it makes a backup first "
        "(backups/pre-upgrade-<old>-<new>.zip beside the database), and an older version refuses to open a "
        "database a newer one has used instead of damaging it.",
        "A first start offers the demo shop in a window of its own, and shows the address and QR code "
        "colleagues open once the owner account exists.",
        "An optional check for new versions (off unless you turn it on in Settings under This computer).",
    ]),
]
