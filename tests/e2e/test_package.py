"""The one-file executable and the Debian package, tested as built: the artefacts, not the source tree."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from helpdesk import __version__
from helpdesk.db.migrate import head_revision, upgrade

from tests.helpers import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.package, pytest.mark.slow,
              pytest.mark.skipif(sys.platform != "linux", reason="the artefact tests run on Linux")]


def build_key() -> str:
    """What the artefact is built from: the source, the packaging, the Python and every package
    installed (a change to any of them builds anew)."""
    digest = hashlib.sha256(sys.version.encode())
    for folder in ("helpdesk", "packaging", "assets"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    digest.update((ROOT / "pyproject.toml").read_bytes())
    for installed in sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()):
        digest.update(installed.encode())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def dist() -> Path:
    """What packaging/build.py (the script `make package` and the release workflow run) lays out;
    HELPDESK_DIST names a folder it already built into. Built once per source (build/test-package,
    git-ignored): `make test`'s PostgreSQL pass tests the artefact its SQLite pass built."""
    given = os.environ.get("HELPDESK_DIST")
    if given:
        return Path(given)
    cache = ROOT / "build" / "test-package"
    out = cache / build_key()
    cache.parent.mkdir(parents=True, exist_ok=True)
    import fcntl  # Linux only, as these tests are

    # `make test` runs its two passes side by side: one builds, the other waits for it and reuses it.
    with open(ROOT / "build" / "test-package.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "complete").exists():
            shutil.rmtree(cache, ignore_errors=True)  # artefacts of other sources: ~170 MB each
            subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--dist", str(out / "dist"),
                            "--work", str(out / "build")], check=True, cwd=ROOT, timeout=900)
            (out / "complete").touch()
    return out / "dist"


@pytest.fixture(scope="module", autouse=True)
def unpack_cache(tmp_path_factory):
    """Where Linux's one file unpacks its program (once for this module), not the user's cache."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(cache))
        yield cache


@pytest.fixture(scope="module")
def binary(dist) -> Path:
    built = dist / "helpdesk"
    assert built.exists()
    return built


@pytest.mark.sqlite_only
def test_the_built_file_passes_the_release_smoke_test(dist):
    """The same script the release workflow runs on each OS's runner, here on Linux."""
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "smoke.py"), "--built", str(dist)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stopped cleanly" in result.stdout and "restarted, message kept" in result.stdout
    print("\n" + result.stdout)


@pytest.mark.sqlite_only
def test_the_release_files_are_named_summed_and_packaged(dist, binary):
    release = dist / "release"
    name = f"helpdesk-{__version__}-linux-x86_64"
    assert (release / name).read_bytes() == binary.read_bytes()
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=release, capture_output=True, text=True)
    assert check.returncode == 0 and f"{name}: OK" in check.stdout
    debs = list(release.glob("*.deb"))
    if not shutil.which("dpkg-deb"):
        pytest.skip("no dpkg-deb here to check the Debian package")
    assert [d.name for d in debs] == [f"helpdesk_{__version__}_amd64.deb"]
    fields = subprocess.run(["dpkg-deb", "-f", str(debs[0]), "Package", "Version"], capture_output=True,
                            text=True, check=True).stdout
    assert f"Version: {__version__}" in fields
    listing = subprocess.run(["dpkg-deb", "-c", str(debs[0])], capture_output=True, text=True, check=True).stdout
    assert "./usr/bin/helpdesk -> ../lib/helpdesk/helpdesk" in listing
    assert "./usr/share/applications/helpdesk.desktop" in listing
    program = next(line for line in listing.splitlines() if line.endswith(" ./usr/lib/helpdesk/helpdesk"))
    assert program.startswith("-rwxr-xr-x root/root")


@pytest.mark.sqlite_only
def test_the_debian_package_installs_a_program_that_passes_the_smoke_test(dist, tmp_path):
    """The .deb carries the one-folder build (no unpacking at each start): unpacked as dpkg would
    install it, the program on the PATH (a link into /usr/lib/helpdesk) passes the release smoke test."""
    if not shutil.which("dpkg-deb"):
        pytest.skip("no dpkg-deb here to unpack the Debian package")
    (deb,) = (dist / "release").glob("*.deb")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path / "root")], check=True)
    program = tmp_path / "root" / "usr" / "bin" / "helpdesk"
    assert program.is_symlink()
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "smoke.py"), str(program)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "restarted, message kept" in result.stdout
    print("\n" + result.stdout)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_") and k != "DISPLAY"}
    env.update(extra)
    return env


class Running:
    def __init__(self, binary: Path, data_dir: Path, env: dict | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([str(binary), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                         "--data-dir", str(data_dir)], env=env or clean_env(),
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.start_seconds = wait_until_healthy(self.url, self.process, timeout=60)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def test_version_matches_the_project(binary):
    result = subprocess.run([str(binary), "--version"], capture_output=True, text=True, env=clean_env(), timeout=60)
    assert result.stdout.strip() == f"helpdesk {__version__}"


def test_the_binary_serves_the_api_and_ui_and_keeps_data_across_restarts(binary, tmp_path, database_url):
    """On the PostgreSQL pass the same binary runs on PostgreSQL: one setting."""
    data = tmp_path / "data"
    env = clean_env(**({"HELPDESK_DATABASE_URL": database_url} if database_url else {}))
    token = subprocess.run([str(binary), "token", "create", "website", "--data-dir", str(data)], env=env,
                           capture_output=True, text=True, check=True, timeout=60).stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    server = Running(binary, data, env)
    try:
        health = httpx.get(server.url + "/api/v1/health").json()
        assert health == {"status": "ok", "version": __version__}
        created = httpx.post(server.url + "/api/v1/messages", headers=headers, json={
            "customer": {"email": "ann@example.com", "phone": "+1 555 0100"}, "body": "Sent to the binary"}).json()
        assert "<flt-" in httpx.get(server.url + "/").text or "flutter" in httpx.get(server.url + "/").text
        page = httpx.get(created["conversation_url"].replace(created["conversation_url"].split("/c/")[0], server.url))
        assert "Sent to the binary" in page.text
    finally:
        server.stop()
    print(f"\ncold start to first HTTP 200: {server.start_seconds:.2f} s; size {binary.stat().st_size / 1e6:.1f} MB")

    again = Running(binary, data, env)
    try:
        conversation = httpx.get(f"{again.url}/api/v1/conversations/{created['conversation_id']}", headers=headers)
        assert [m["body"] for m in conversation.json()["messages"]] == ["Sent to the binary"]
        assert conversation.json()["customer"]["phone"] == "+15550100"  # phone metadata is inside
    finally:
        again.stop()
    assert (data / "helpdesk.db").exists() != bool(database_url)


@pytest.mark.sqlite_only
def test_the_one_file_runs_from_the_user_s_cache_and_starts_at_login_as_itself(binary, tmp_path, unpack_cache):
    """It unpacked its program once, into the cache, and runs it from there (no unpacking at each
    start); starting at login names the one file, not the folder it unpacked into."""
    server = Running(binary, tmp_path / "data")
    try:
        running = Path(os.readlink(f"/proc/{server.process.pid}/exe"))
    finally:
        server.stop()
    (folder,) = (unpack_cache / "helpdesk").iterdir()
    assert running == folder / "helpdesk" and folder.name.startswith(__version__)
    assert (folder.stat().st_mode & 0o777) == 0o700
    env = clean_env(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_RUNTIME_DIR="", DBUS_SESSION_BUS_ADDRESS="")
    subprocess.run([str(binary), "service", "install", "--no-start", "--data-dir", str(tmp_path / "data")],
                   env=env, capture_output=True, text=True, check=True, timeout=60)
    unit = (tmp_path / "config" / "systemd" / "user" / "helpdesk.service").read_text()
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert shlex.split(exec_start[len("ExecStart="):])[:2] == [str(binary), "serve"]


@pytest.mark.sqlite_only
def test_the_binary_migrates_an_older_database_in_place(binary, tmp_path):
    data = tmp_path / "old"
    data.mkdir()
    engine = sa.create_engine(f"sqlite:///{data / 'helpdesk.db'}")
    upgrade(engine, "0001")  # a database as the first release left it
    engine.dispose()
    server = Running(binary, data)
    server.stop()
    engine = sa.create_engine(f"sqlite:///{data / 'helpdesk.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()
        assert conn.exec_driver_sql("SELECT count(*) FROM sla_policy").scalar() == 4
    engine.dispose()


@pytest.mark.sqlite_only
def test_data_goes_to_the_platform_user_data_folder_by_default(binary, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run([str(binary), "token", "create", "x"], capture_output=True, text=True, timeout=60,
                            env=clean_env(HOME=str(home), XDG_DATA_HOME=""))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (home / ".local" / "share" / "Helpdesk" / "helpdesk.db").exists()


@pytest.mark.sqlite_only
@pytest.mark.skipif(not shutil.which("Xvfb") or not shutil.which("import"), reason="needs Xvfb and ImageMagick")
def test_the_binary_opens_the_desktop_window(binary, tmp_path):
    from tests.e2e.test_desktop import open_window_and_screenshot

    number = 150 + os.getpid() % 50
    display = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            assert display.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        # With an agent already there, the window opens on the sign-in form (the first run has
        # its own test): the form draws icons, which the one file must carry.
        created = subprocess.run([str(binary), "admin", "create", "--data-dir", str(tmp_path / "data"), "--email",
                                  "owner@shop.example", "--name", "Owner", "--password", "correct horse battery"],
                                 capture_output=True, text=True, timeout=120, env=clean_env())
        assert created.returncode == 0, created.stdout + created.stderr
        shot = open_window_and_screenshot([str(binary)], f":{number}", tmp_path)
        artifacts = ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        shutil.copy(shot, artifacts / "binary-window.png")
    finally:
        display.terminate()
        display.wait(timeout=10)
