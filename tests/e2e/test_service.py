"""`helpdesk service install` on Linux, for the test's own user (its own XDG_CONFIG_HOME): the
unit systemd would start at login is written, enabled and accepted by systemd, and the command
in it starts this Helpdesk on this data; `status` and `uninstall` say and undo it. (No systemd
user manager runs in a container; where one does, install also asks it to enable the unit.)"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys

import httpx
import pytest

from tests.cli import run
from tests.helpers import free_port, wait_until_healthy

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only,
              pytest.mark.skipif(sys.platform != "linux", reason="the systemd unit is Linux's"),
              pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")]


def test_service_install_starts_helpdesk_at_login_for_this_user(tmp_path):
    port = free_port()
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "HELPDESK_DATA_DIR": str(tmp_path / "data")}
    installed = run("service", "install", "--port", str(port), "--host", "127.0.0.1", env=env)
    assert installed.returncode == 0, installed.stderr
    assert f"Helpdesk starts at login with the data in {tmp_path / 'data'}" in installed.stdout
    units = tmp_path / "config" / "systemd" / "user"
    unit = units / "helpdesk.service"
    assert (units / "default.target.wants" / "helpdesk.service").resolve() == unit.resolve()
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    verify = subprocess.run(["systemd-analyze", "verify", "--user", str(unit)], capture_output=True, text=True,
                            env={"XDG_RUNTIME_DIR": str(runtime), "PATH": "/usr/bin:/bin"})
    assert verify.returncode == 0, verify.stderr
    assert "installed: starts at login" in run("service", "status", env=env).stdout

    # What systemd runs at login: the ExecStart line, word for word.
    exec_start = next(line for line in unit.read_text().splitlines() if line.startswith("ExecStart="))
    command = shlex.split(exec_start[len("ExecStart="):].replace("%%", "%"))
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", server, timeout=60)
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health").json()["status"] == "ok"
        assert (tmp_path / "data" / "helpdesk.db").exists()
        # Installing again while it runs: it says so and leaves the running one alone.
        again = run("service", "install", "--port", str(port), "--host", "127.0.0.1", env=env)
        assert again.returncode == 0 and "running now already" in again.stdout
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0  # stopped as systemd stops it: cleanly

    removed = run("service", "uninstall", env=env)
    assert removed.returncode == 0 and "no longer starts at login" in removed.stdout
    assert not unit.exists() and not (units / "default.target.wants" / "helpdesk.service").exists()
    assert "not installed" in run("service", "status", env=env).stdout
