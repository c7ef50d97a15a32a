from __future__ import annotations

import functools
import gc
import os
import shutil
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest
from fastapi.testclient import TestClient

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.clock import ManualClock
from helpdesk.config import DB_FILENAME, Settings
from helpdesk.services.base import Actor
from helpdesk.services.container import Services
from tests.writer_guard import SLOW_ON_WRITER, off_the_writer

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday morning


@pytest.fixture(autouse=True)
def nothing_frozen_between_tests():
    """A workspace mounted in one test settles whatever exists (helpdesk/ui/memory.py); the next
    test starts with everything collectable again, as a new process would."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture(autouse=True)
def writer_only_writes():
    """Every test fails if argon2, the keyring or a network connection ran on the writer thread."""
    SLOW_ON_WRITER.clear()
    yield
    caught, SLOW_ON_WRITER[:] = list(SLOW_ON_WRITER), []
    assert not caught, f"slow work on the writer thread: {caught}"


@pytest.fixture(scope="session", autouse=True)
def argon2_once_per_password():
    """Argon2 takes ~0.13 s a hash here by design; tests that create the same accounts over
    and over reuse one real hash per password, and a pair of hash and password is verified in
    full once (a wrong guess as much as a right one), then answered as it was."""
    from argon2 import PasswordHasher

    from helpdesk.services import agents

    once = functools.lru_cache(maxsize=64)(PasswordHasher.hash)
    verified: dict[tuple[str, str], object] = {}

    class OnceAPassword(PasswordHasher):
        def hash(self, password, *, salt=None):  # type: ignore[no-untyped-def, override]
            off_the_writer("argon2 hash")
            return once(self, password) if salt is None else super().hash(password, salt=salt)

        def verify(self, hash, password):  # type: ignore[no-untyped-def, override]
            off_the_writer("argon2 verify")
            if (hash, password) not in verified:  # the first time in full, right or wrong
                try:
                    verified[(hash, password)] = super().verify(hash, password)
                except Exception as exc:
                    verified[(hash, password)] = exc
            outcome = verified[(hash, password)]
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

    real = agents._hasher
    agents._hasher = OnceAPassword()
    yield
    agents._hasher = real


@pytest.fixture(scope="session", autouse=True)
def no_os_keyring():
    """Tests never write to the keyring of the machine they run on: mailbox passwords go to the
    database's encrypted store unless a test puts its own stand-in keyring in place."""
    import keyring
    from keyring.backends import fail

    class Refusing(fail.Keyring):
        def get_password(self, service, username):  # type: ignore[no-untyped-def]
            off_the_writer("keyring read")
            return super().get_password(service, username)

        def set_password(self, service, username, password):  # type: ignore[no-untyped-def]
            off_the_writer("keyring write")
            return super().set_password(service, username, password)

        def delete_password(self, service, username):  # type: ignore[no-untyped-def]
            off_the_writer("keyring delete")
            return super().delete_password(service, username)

    previous = keyring.get_keyring()
    keyring.set_keyring(Refusing())
    yield
    keyring.set_keyring(previous)


@pytest.fixture(scope="session", autouse=True)
def no_connections_from_the_writer():
    """HTTP, SMTP and IMAP all open their connections through socket.create_connection."""
    real = socket.create_connection

    def create_connection(*args, **kwargs):  # type: ignore[no-untyped-def]
        off_the_writer(f"network connection to {args[0] if args else kwargs.get('address')}")
        return real(*args, **kwargs)

    socket.create_connection = create_connection  # type: ignore[assignment]
    yield
    socket.create_connection = real  # type: ignore[assignment]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def pytest_addoption(parser):
    parser.addoption("--database", choices=["sqlite", "postgresql"],
                     default=os.environ.get("HELPDESK_TEST_DATABASE", "sqlite"),
                     help="run the suite on the embedded SQLite (default) or on a real PostgreSQL")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: runs on the SQLite pass only (about the SQLite file "
                                       "itself, nothing in it depends on the database, or it drives a browser or "
                                       "the command line over services the PostgreSQL pass tests directly)")


def pytest_report_header(config):
    return f"helpdesk database: {config.getoption('--database')}"


def pytest_collection_modifyitems(config, items):
    if config.getoption("--database") != "postgresql":
        return
    skip = pytest.mark.skip(reason="SQLite pass only")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres(request):
    """The PostgreSQL server of the PostgreSQL pass, or None on the SQLite pass."""
    if request.config.getoption("--database") != "postgresql":
        yield None
        return
    from tests.pgserver import PostgresServer

    server = PostgresServer.start()
    try:
        server.prepare_template()
        yield server
    finally:
        server.stop()


@pytest.fixture
def new_database(postgres) -> Callable[..., str | None]:
    """Makes a database for one app: None (a SQLite file in the app's data folder) on the
    SQLite pass, a fresh PostgreSQL database on the PostgreSQL pass (migrated=False: empty)."""
    made: list[str] = []

    def make(migrated: bool = True) -> str | None:
        if postgres is None:
            return None
        made.append(postgres.create_database(migrated))
        return made[-1]

    yield make
    for url in made:
        postgres.drop_database(url)


@pytest.fixture
def database_url(new_database) -> str | None:
    return new_database()


@pytest.fixture
def database_env(database_url):
    """Command-line runs (tests/cli.py) use this test's database."""
    from tests.cli import DATABASE_ENV

    DATABASE_ENV.clear()
    if database_url:
        DATABASE_ENV["HELPDESK_DATABASE_URL"] = database_url
    yield database_url
    DATABASE_ENV.clear()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite database migrated to the head once per run; each test starts from a copy
    (migrating takes five times as long as opening a migrated file)."""
    folder = tmp_path_factory.mktemp("template")
    HelpdeskApp(Settings(data_dir=folder, port=0)).start().close()
    return folder / DB_FILENAME


@pytest.fixture
def data_dir(tmp_path: Path, database_url: str | None, sqlite_template: Path) -> Path:
    """The test's data directory: holding a copy of the migrated template on the SQLite pass."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    if database_url is None:
        shutil.copyfile(sqlite_template, folder / DB_FILENAME)
        (folder / DB_FILENAME).chmod(0o600)
    return folder


@pytest.fixture
def settings(data_dir: Path, database_url: str | None) -> Settings:
    # The address customers are given links to, as a shop behind its own domain configures it.
    return Settings(data_dir=data_dir, database_url=database_url, port=0, public_url="http://shop.test")


@pytest.fixture
def app(settings: Settings, clock: ManualClock):
    helpdesk = HelpdeskApp(settings, clock=clock).start()
    yield helpdesk
    helpdesk.close()


@pytest.fixture
def services(app: HelpdeskApp) -> Services:
    return app.services


@pytest.fixture
def ann(services: Services) -> Actor:
    agent = services.agents.create("ann@shop.example", "Ann Agent", "correct horse", role="admin", actor=Actor.system())
    return Actor.for_agent(agent)


@pytest.fixture
def bob(services: Services) -> Actor:
    agent = services.agents.create("bob@shop.example", "Bob Agent", "battery staple", actor=Actor.system())
    return Actor.for_agent(agent)


@pytest.fixture
def token(services: Services) -> str:
    return services.tokens.create("tests", actor=Actor.system()).plaintext


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(app: HelpdeskApp) -> TestClient:
    # A LAN client (the shop's own name); what the internet may reach is tested in test_public_gate.py.
    with TestClient(app.asgi, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def server(app: HelpdeskApp):
    with ServerThread(app) as running:
        yield running


def post_message(client, auth, **overrides):
    payload = {"customer": {"email": "carol@example.com", "name": "Carol Customer"},
               "body": "My order has not arrived"}
    payload.update(overrides)
    return client.post("/api/v1/messages", json=payload, headers=auth)
