"""The desktop window: `python main.py` under Xvfb opens the Flet client, which connects
to the same server and shows the sign-in page."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.sqlite_only,  # the window is the same whatever the database
    pytest.mark.skipif(sys.platform != "linux", reason="the window test runs on Linux under Xvfb"),
    pytest.mark.skipif(not shutil.which("Xvfb"), reason="Xvfb is not installed (apt-get install xvfb)"),
    pytest.mark.skipif(not shutil.which("import"), reason="ImageMagick is not installed (apt-get install imagemagick)"),
]


def free_display() -> int:
    for number in range(91, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture
def xvfb():
    number = free_display()
    process = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert process.poll() is None and time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.1)
    yield f":{number}"
    process.terminate()
    process.wait(timeout=10)


def unique_colours(png: Path) -> int:
    out = subprocess.run(["convert", str(png), "-format", "%k", "info:"], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def open_window_and_screenshot(command: list[str], xvfb: str, tmp_path: Path, expect_in_log: str = "") -> Path:
    """Start Helpdesk with a display; wait until its window's client connects (and `expect_in_log`
    is logged); return a screenshot."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update({"DISPLAY": xvfb, "HELPDESK_DATA_DIR": str(tmp_path / "data"), "HELPDESK_PORT": str(port),
                "HELPDESK_HOST": "127.0.0.1"})
    app = subprocess.Popen(command, env=env, cwd=tmp_path, start_new_session=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(iter(app.stdout.readline, "")), daemon=True).start()
    blank = tmp_path / "blank.png"
    shot = tmp_path / "window.png"
    try:
        subprocess.run(["import", "-display", xvfb, "-window", "root", str(blank)], check=True)
        deadline = time.monotonic() + 60
        while not any("Start session" in line for line in log):  # the window's client has connected
            assert app.poll() is None, "".join(log)
            assert time.monotonic() < deadline, "the window never connected:\n" + "".join(log)
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200
        while expect_in_log and not any(expect_in_log in line for line in log):
            assert time.monotonic() < deadline, f"never logged {expect_in_log!r}:\n" + "".join(log)
            time.sleep(0.2)
        time.sleep(4)  # let Flutter draw the first frames
        subprocess.run(["import", "-display", xvfb, "-window", "root", str(shot)], check=True)
        assert unique_colours(blank) <= 2
        assert unique_colours(shot) > 50, "the window looks blank"
        assert any("The Helpdesk window is open" in line for line in log)
        # An error drawn in the window has colours too: the window's session must not have failed.
        assert not any("Traceback" in line or "Unhandled error" in line for line in log), "".join(log)
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        try:
            app.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(app.pid, signal.SIGKILL)
    return shot


def test_the_desktop_window_opens_connects_and_offers_the_first_run(xvfb, tmp_path):
    # On a fresh install the window, recognised by the OS as this process's own, may create the
    # owner account without the setup code that any browser would need.
    shot = open_window_and_screenshot([sys.executable, str(ROOT / "main.py")], xvfb, tmp_path,
                                      expect_in_log="the owner account form, in the desktop window")
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(shot, artifacts / "desktop-window.png")


def test_the_window_joins_a_helpdesk_already_running_at_login_and_leaves_it_running(xvfb, tmp_path):
    """`helpdesk service install` starts `serve` at login; opening Helpdesk later must show that
    one's window, not start a second server (which the run lock would refuse)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_") and k != "DISPLAY"}
    env.update({"HELPDESK_DATA_DIR": str(tmp_path / "data"), "HELPDESK_PORT": str(port), "HELPDESK_HOST": "127.0.0.1"})
    serve = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=env, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    served: list[str] = []
    threading.Thread(target=lambda: served.extend(iter(serve.stdout.readline, "")), daemon=True).start()
    window = None
    try:
        deadline = time.monotonic() + 60
        while not any("on this computer" in line for line in served):
            assert serve.poll() is None and time.monotonic() < deadline, "".join(served)
            time.sleep(0.1)
        window = subprocess.Popen([sys.executable, str(ROOT / "main.py")], env={**env, "DISPLAY": xvfb},
                                  cwd=tmp_path, start_new_session=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        said: list[str] = []
        threading.Thread(target=lambda: said.extend(iter(window.stdout.readline, "")), daemon=True).start()
        while not any("Start session" in line for line in served):  # the window's client reached `serve`
            assert window.poll() is None, "".join(said)
            assert time.monotonic() < deadline, "the window never connected:\n" + "".join(said + served)
            time.sleep(0.2)
        assert any(f"Helpdesk is already running (http://127.0.0.1:{port}/)" in line for line in said)
        assert not any("cannot listen" in line or "already running with the data" in line for line in said)
        os.killpg(window.pid, signal.SIGTERM)  # the owner closes the window
        window.wait(timeout=15)
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200  # still serving
    finally:
        if window is not None and window.poll() is None:
            os.killpg(window.pid, signal.SIGKILL)
        serve.terminate()
        assert serve.wait(timeout=30) == 0  # a clean stop on SIGTERM
