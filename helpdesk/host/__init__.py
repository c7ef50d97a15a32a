"""The computer Helpdesk runs on: the desktop window and the demo window, the run lock, starting
at login, the LAN announcement and addresses, desktop notifications. Services see these only
through `services/host_facts.py`, which `facts()` fills in for the composition root."""

from __future__ import annotations

from pathlib import Path

from helpdesk.services.host_facts import HostFacts


def facts() -> HostFacts:
    from helpdesk.host.autostart import Autostart, serve_command
    from helpdesk.host.netinfo import lan_urls
    from helpdesk.host.window import DesktopWindow

    def autostart(data_dir: Path) -> Autostart:
        return Autostart(data_dir)

    return HostFacts(window=DesktopWindow(), lan_urls=lan_urls, autostart=autostart, serve_command=serve_command)
