"""Where Helpdesk may send HTTP requests on an admin's behalf (webhooks, the update check, the
assist model): never to link-local or cloud-metadata addresses (a classic way to steal a
server's credentials), and to loopback or the LAN only when the admin allows local targets
for that receiver. The address is checked after the name is resolved, and the request goes
to the checked address, so a name that resolves elsewhere the second time gains nothing."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlparse

# Metadata services of the cloud providers, beyond 169.254.0.0/16 (link-local).
METADATA = {ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")}


class TargetRefused(Exception):
    """The address is not one Helpdesk sends to; the message says why, for a person."""


class TargetUnresolved(TargetRefused):
    """The name does not resolve now (offline, a typo): checked again at every attempt."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # the name, for the Host header and TLS
    port: int
    address: str  # the checked IP address to connect to
    path: str


def classify(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """'forbidden' (link-local, metadata, unspecified, multicast), 'local' (loopback, private
    LAN ranges) or 'public'."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address in METADATA or address.is_link_local or address.is_unspecified or address.is_multicast \
            or address.is_reserved:
        return "forbidden"
    if address.is_loopback or address.is_private:
        return "local"
    return "public"


def check_address(address: str, allow_local: bool) -> None:
    kind = classify(ipaddress.ip_address(address))
    if kind == "forbidden":
        raise TargetRefused(f"{address} is a link-local or cloud-metadata address; Helpdesk never sends there")
    if kind == "local" and not allow_local:
        raise TargetRefused(f"{address} is on this computer or the local network; "
                            "tick \"allow local targets\" for this receiver if that is intended")


def refuse_literal_target(url: str, allow_local: bool, field: str) -> None:
    """When a setting is saved: an address written as a forbidden (or, unless allowed, local) IP
    or as localhost is refused at once, in words; names are checked again at every request."""
    from helpdesk.services.errors import ValidationFailed

    host = (urlparse(url).hostname or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        host = "127.0.0.1"
    try:
        check_address(host, allow_local)
    except ValueError:
        return  # a name, not an address
    except TargetRefused as exc:
        raise ValidationFailed("the address was not saved", {field: str(exc)}) from None


def resolve(url: str, allow_local: bool) -> Target:
    """The URL's host resolved and every address checked; the first one is used."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise TargetRefused("must be an http:// or https:// address")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parsed.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TargetUnresolved(f"cannot find {parsed.hostname}: {exc.strerror or exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        check_address(address, allow_local)
    path = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
    return Target(parsed.scheme, parsed.hostname, port, addresses[0], path)


def post(url: str, body: bytes, headers: dict[str, str], allow_local: bool, timeout: float) -> int:
    """POST to the checked address (TLS still verified against the name); returns the status.
    Redirects are not followed: a receiver that answers 3xx has not received the event."""
    return request("POST", url, body, headers, allow_local, timeout, 65536)[0]


def get(url: str, allow_local: bool, timeout: float, max_bytes: int) -> tuple[int, bytes]:
    """GET from the checked address, no redirects; (status, at most max_bytes of the body)."""
    return request("GET", url, b"", {}, allow_local, timeout, max_bytes)


def request(method: str, url: str, body: bytes, headers: dict[str, str], allow_local: bool, timeout: float,
            max_bytes: int) -> tuple[int, bytes]:
    target = resolve(url, allow_local)
    if target.scheme == "https":
        context = ssl.create_default_context()
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=context)
        raw = socket.create_connection((target.address, target.port), timeout=timeout)
        connection.sock = context.wrap_socket(raw, server_hostname=target.host)
    else:
        connection = http.client.HTTPConnection(target.address, target.port, timeout=timeout)
    default_port = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    try:
        connection.request(method, target.path, body=body or None, headers={
            **headers, "Host": host if target.port == default_port else f"{host}:{target.port}",
            **({"Content-Length": str(len(body))} if method != "GET" else {})})
        response = connection.getresponse()
        return response.status, response.read(max_bytes)
    finally:
        connection.close()
