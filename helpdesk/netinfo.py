"""The machine's own network addresses, for showing colleagues where to connect and for
knowing which names the agent UI answers to."""

from __future__ import annotations

import socket


def lan_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses. Only asks the OS; sends no traffic."""
    addresses: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if not address.startswith("127."):
                addresses.add(address)
    except OSError:
        pass
    return sorted(addresses)


def lan_urls(port: int) -> list[str]:
    """http://<address>:<port>/ for each of lan_addresses()."""
    return [f"http://{a}:{port}/" for a in lan_addresses()]
