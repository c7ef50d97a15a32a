"""The machine's own network addresses, for showing colleagues where to connect."""

from __future__ import annotations

import socket


def lan_urls(port: int) -> list[str]:
    """http://<address>:<port>/ for each non-loopback IPv4 address of this machine.
    Only asks the OS; sends no traffic."""
    addresses: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if not address.startswith("127."):
                addresses.add(address)
    except OSError:
        pass
    return [f"http://{a}:{port}/" for a in sorted(addresses)]
