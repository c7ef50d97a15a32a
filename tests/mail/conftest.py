"""Email tests run against a private Dovecot (IMAP) and aiosmtpd (SMTP) on loopback."""

from __future__ import annotations

import itertools

import pytest

from helpdesk.channels.email import EmailChannel
from helpdesk.services.base import Actor
from helpdesk.services.mail.mailboxes import MailboxInput
from tests.mailservers import Dovecot, SmtpSink, dovecot_available

_users = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot():
    if not dovecot_available():
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it)")
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def user() -> str:
    """This test's own IMAP account (its own Maildir) on the shared Dovecot."""
    return f"shop{next(_users)}"


@pytest.fixture
def mailbox(services, dovecot, smtp, user):
    box, _ = services.mail.mailboxes.add(MailboxInput(
        name="Support", address=f"{user}@shop.example", imap=dovecot.url(user), smtp=smtp.url), Actor.system())
    return box


@pytest.fixture
def channel(services, mailbox):
    """The email channel as the running app runs it (fetch loop, sender), on the app's services."""
    running = EmailChannel(services, send_interval=0.05).start()
    yield running
    running.stop()
