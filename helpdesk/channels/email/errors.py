"""Mail server trouble in one line a shop owner can act on ("IMAP login refused for
shop@example.com: check the password"), never a traceback and never the password."""

from __future__ import annotations

import socket
import ssl

from helpdesk.services.mail.urls import MailUrl


class MailServerError(Exception):
    """`permanent`: the server said no for good (a bad recipient); otherwise try again later."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def explain(exc: BaseException, url: MailUrl) -> str:
    kind = url.kind.upper()
    where = url.where()
    if isinstance(exc, MailServerError):
        return exc.reason
    if isinstance(exc, socket.gaierror):
        return f"cannot find the {kind} server {url.host}: check its name, or the internet connection"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot reach the {kind} server at {where}: connection refused (is the port right?)"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"the {kind} server at {where} did not answer in time"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the {kind} server at {where} has a certificate this computer does not trust ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"a secure connection to the {kind} server at {where} failed: {exc.reason or exc}" + \
            (" (try +starttls for port 587/143, or imaps/smtps for 993/465)" if "WRONG_VERSION" in str(exc) else "")
    if isinstance(exc, OSError):
        return f"cannot reach the {kind} server at {where}: {exc.strerror or exc.__class__.__name__}"
    text = str(exc).strip() or exc.__class__.__name__
    if url.password:
        text = text.replace(url.password, "••••")
    return f"the {kind} server at {where} said: {text[:200]}"


def login_refused(url: MailUrl) -> MailServerError:
    return MailServerError(f"{url.kind.upper()} login refused for {url.username}: check the password")
