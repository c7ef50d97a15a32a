"""Helpdesk announces itself on the shop's network by mDNS (python-zeroconf): colleagues
open http://helpdesk.local:PORT/ instead of an IP address that changes, and browsers that
list `_http._tcp` services find it. Android resolves `.local` names unreliably, which is why
"Connect a device" shows the IP address and its QR code too.

Only when Helpdesk listens on the LAN (host 0.0.0.0); HELPDESK_MDNS=0 turns it off. The
announcement is made in the background: a busy or multicast-less network never delays
the start, and a failure is one log line."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any, Mapping

from helpdesk import __version__
from helpdesk.config import Settings
from helpdesk.host.netinfo import lan_addresses

log = logging.getLogger(__name__)
HOST_NAME = "helpdesk.local."
SERVICE_TYPE = "_http._tcp.local."


def wanted(settings: Settings, env: Mapping[str, str] | None = None) -> bool:
    given = os.environ if env is None else env
    return settings.host in ("0.0.0.0", "::") and given.get("HELPDESK_MDNS", "1") not in ("0", "false", "no")


def service_info(port: int, addresses: list[str]) -> Any:
    """The record: an `_http._tcp` service named "Helpdesk" on helpdesk.local at these addresses."""
    from zeroconf import ServiceInfo

    return ServiceInfo(SERVICE_TYPE, f"Helpdesk.{SERVICE_TYPE}", port=port, server=HOST_NAME,
                       addresses=[socket.inet_aton(a) for a in addresses],
                       properties={"path": "/", "version": __version__})


class LanAnnouncement:
    def __init__(self, port: int, addresses: list[str] | None = None) -> None:
        self.port = port
        self.addresses = addresses if addresses is not None else lan_addresses()
        self._zeroconf: Any = None
        self._info: Any = None
        self._thread = threading.Thread(target=self._register, name="mdns", daemon=True)

    def start(self) -> "LanAnnouncement":
        if self.addresses:
            self._thread.start()
        return self

    def _register(self) -> None:
        try:
            from zeroconf import IPVersion, Zeroconf

            self._zeroconf = Zeroconf(interfaces=self.addresses, ip_version=IPVersion.V4Only)
            self._info = service_info(self.port, self.addresses)
            self._zeroconf.register_service(self._info, allow_name_change=True)
            log.info("announced on the LAN as http://helpdesk.local:%s/", self.port)
        except Exception as exc:  # no multicast on this network, a firewall: the IP addresses still work
            log.warning("could not announce helpdesk.local on the LAN (%s); use the IP address", exc)

    def stop(self) -> None:
        if self._thread.ident is not None:
            self._thread.join(timeout=5)
        if self._zeroconf is not None:
            try:
                if self._info is not None:
                    self._zeroconf.unregister_service(self._info)
            finally:
                self._zeroconf.close()
