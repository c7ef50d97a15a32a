"""The machine's own network addresses, for showing colleagues where to connect and for
knowing which names the agent UI answers to."""

from __future__ import annotations

import contextlib
import socket


def lan_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses. Only asks the OS; sends no traffic.
    Each network interface's (ifaddr, which zeroconf brings), and what the machine's own name
    resolves to: the name alone misses addresses on machines whose name maps to 127.0.1.1."""
    addresses: set[str] = set()
    with contextlib.suppress(Exception):  # an OS ifaddr cannot read: the name lookup below still answers
        import ifaddr

        for adapter in ifaddr.get_adapters():
            for ip in adapter.ips:
                if isinstance(ip.ip, str) and not ip.ip.startswith(("127.", "169.254.")):
                    addresses.add(ip.ip)
    with contextlib.suppress(OSError):  # a name that does not resolve: the interfaces above answered
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if not address.startswith("127."):
                addresses.add(address)
    return sorted(addresses)


def lan_urls(port: int) -> list[str]:
    """http://<address>:<port>/ for each of lan_addresses()."""
    return [f"http://{a}:{port}/" for a in lan_addresses()]
