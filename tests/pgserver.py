"""A private PostgreSQL server for the test suite's PostgreSQL pass.

`make test` runs the suite a second time with `--database postgresql`. Unless
HELPDESK_TEST_POSTGRES_URL names a server to use, this starts a throwaway cluster
from the machine's PostgreSQL binaries (Debian's `postgresql` package) in a temporary
directory on a free loopback port, and removes it afterwards. Every test gets its own
database, copied from a template that is migrated once.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from tests.helpers import free_port

SUPERUSER = "helpdesk"
TEMPLATE = "helpdesk_template"


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class PostgresServer:
    def __init__(self, admin_url: str, stop=None) -> None:  # type: ignore[no-untyped-def]
        self.admin_url = admin_url  # a superuser connection to the "postgres" database
        self._stop = stop
        self._admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)

    @classmethod
    def start(cls, durable: bool = False) -> "PostgresServer":
        """durable=False (tests): fsync and synchronous commit off, since the databases are
        thrown away. durable=True (benchmarks): PostgreSQL's defaults, as a shop would run it."""
        given = os.environ.get("HELPDESK_TEST_POSTGRES_URL")
        if given:
            return cls(given)
        initdb, postgres = find_bin("initdb"), find_bin("postgres")
        if not (initdb and postgres):
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql), "
                               "or set HELPDESK_TEST_POSTGRES_URL")
        root = Path(tempfile.mkdtemp(prefix="helpdesk-pg-"))
        run_as: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            run_as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(root, "postgres")
        data = root / "data"
        subprocess.run([*run_as, initdb, "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                        "--encoding=UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
        port = free_port()
        fast = [] if durable else ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        process = subprocess.Popen(
            [*run_as, postgres, "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
             "-k", str(root), *fast, "-c", "max_connections=300"],
            stdout=subprocess.DEVNULL, stderr=open(root / "server.log", "wb"))

        def stop() -> None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            shutil.rmtree(root, ignore_errors=True)

        server = cls(f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres", stop)
        deadline = time.monotonic() + 30
        while True:
            try:
                with server._admin.connect():
                    break
            except sa.exc.OperationalError:
                if process.poll() is not None or time.monotonic() > deadline:
                    stop()
                    raise RuntimeError("the test PostgreSQL server did not start") from None
                time.sleep(0.1)
        return server

    def url_for(self, name: str) -> str:
        return sa.make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def prepare_template(self) -> None:
        """A database migrated to the newest revision, copied for each test."""
        from helpdesk.db import Database
        from helpdesk.db.migrate import upgrade

        self.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        self.execute(f"CREATE DATABASE {TEMPLATE}")
        db = Database(self.url_for(TEMPLATE))
        try:
            upgrade(db.engine)
        finally:
            db.dispose()

    def create_database(self, migrated: bool = True) -> str:
        name = "t_" + uuid.uuid4().hex[:16]
        self.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE if migrated else 'template0'}")
        return self.url_for(name)

    def drop_database(self, url: str) -> None:
        name = sa.make_url(url).database
        try:
            self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except sa.exc.DBAPIError:
            pass  # the cluster is thrown away at the end anyway

    def execute(self, statement: str) -> None:
        with self._admin.connect() as conn:
            conn.exec_driver_sql(statement)

    def stop(self) -> None:
        self._admin.dispose()
        if self._stop:
            self._stop()


if __name__ == "__main__":  # `python -m tests.pgserver --available`: can the PostgreSQL pass run here?
    import sys

    usable = bool(os.environ.get("HELPDESK_TEST_POSTGRES_URL")) or bool(find_bin("initdb") and find_bin("postgres"))
    sys.exit(0 if usable else 1)
