"""Sending over SMTP (smtplib): SMTPS, STARTTLS or plain, AUTH when the URL has a user.
A refusal the server means for good (5xx on the recipient or the content) is permanent;
anything else (unreachable, 4xx, a refused login) is tried again later."""

from __future__ import annotations

import contextlib
import smtplib
import ssl

from helpdesk.channels.email.errors import MailServerError, explain, login_refused
from helpdesk.services.mail.urls import SSL, STARTTLS, MailUrl

TIMEOUT = 30


def _connect(url: MailUrl, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context()
    try:
        if url.security == SSL:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(url.host, url.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(url.host, url.port, timeout=timeout)
            if url.security == STARTTLS:
                smtp.starttls(context=context)
        if url.username:
            try:
                smtp.login(url.username, url.password)
            except smtplib.SMTPAuthenticationError:
                smtp.close()
                raise login_refused(url) from None
            except smtplib.SMTPNotSupportedError:
                smtp.close()
                raise MailServerError(f"the SMTP server at {url.where()} offers no login here; "
                                      f"use smtp+starttls:// or smtps://") from None
        return smtp
    except MailServerError:
        raise
    except (smtplib.SMTPException, OSError) as exc:
        raise MailServerError(explain(exc, url)) from None


def send(url: MailUrl, sender: str, recipients: list[str], data: bytes, timeout: float = TIMEOUT) -> None:
    smtp = _connect(url, timeout)
    try:
        refused = smtp.sendmail(sender, recipients, data)
        if recipients and recipients[0] in refused:  # the customer refused, only a Cc'd address accepted
            code, text = refused[recipients[0]]
            raise MailServerError(_said(code, text, recipients[0]), permanent=500 <= code < 600)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise MailServerError(_said(code, text, ", ".join(exc.recipients)), permanent=500 <= code < 600) from None
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
        permanent = isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600
        raise MailServerError(_said(exc.smtp_code, exc.smtp_error, ""), permanent=permanent) from None
    except MailServerError:
        raise
    except (smtplib.SMTPException, OSError) as exc:
        raise MailServerError(explain(exc, url)) from None
    finally:
        try:
            smtp.quit()
        except Exception:
            smtp.close()


def _said(code: int, text: bytes | str, who: str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"the mail server refused{' ' + who if who else ''}: {code} {' '.join(words.split())}"[:300]


def check_smtp(url: MailUrl) -> str:
    """"" when connecting (and logging in) works; else the reason in one line."""
    try:
        smtp = _connect(url, timeout=15)
    except MailServerError as exc:
        return exc.reason
    try:
        with contextlib.suppress(Exception):  # logged in already: a server that refuses NOOP still works
            smtp.noop()
    finally:
        try:
            smtp.quit()
        except Exception:
            smtp.close()
    return ""
