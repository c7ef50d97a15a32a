"""Take docs/install.md's screenshots: the desktop window on a new installation (a real window
under Xvfb), the owner's "Helpdesk is ready" page with the address colleagues open, Settings →
This computer, and "What's new" after an upgrade (real server, real Chromium).

    .venv/bin/python scripts/install_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk.app import HelpdeskApp, ServerThread  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, open_app, shown, type_into  # noqa: E402
from tests.helpers import free_port  # noqa: E402


def desktop_first_run(out: Path) -> None:
    """`helpdesk` on a new PC: the window, which needs no setup code, offering the demo shop."""
    display = ":57"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1100x760x24", "-nolisten", "tcp"])
    data = Path(tempfile.mkdtemp())
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update(DISPLAY=display, HELPDESK_DATA_DIR=str(data / "data"), HELPDESK_HOST="127.0.0.1",
               HELPDESK_PORT=str(free_port()))
    log = open(data / "log.txt", "w")
    window = subprocess.Popen([sys.executable, str(ROOT / "main.py")], env=env, start_new_session=True,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while "the owner account form, in the desktop window" not in (data / "log.txt").read_text():
            if time.monotonic() > deadline:
                raise SystemExit("the window never showed the first run:\n" + (data / "log.txt").read_text())
            time.sleep(0.3)
        time.sleep(5)  # Flutter's first frames
        subprocess.run(["import", "-display", display, "-window", "root", str(out / "install-first-run.png")],
                       check=True)
    finally:
        os.killpg(window.pid, signal.SIGTERM)
        window.wait(timeout=20)
        xvfb.terminate()


def browser_screens(out: Path) -> None:
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()  # "start at login" looks here, not at this machine's
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), host="127.0.0.1", port=0,
                        public_url="http://192.168.1.20:8080")
    app = HelpdeskApp(settings).start()
    code = app.services.auth.setup_code()
    with ServerThread(app) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = open_app(browser.new_context(viewport={"width": 1100, "height": 760}), server.url)
        type_into(page, "Setup code", code)
        type_into(page, "Your name", "Sam Larsen")
        type_into(page, "Email", "sam@larsen-bikes.example")
        type_into(page, "Password", "a long owner password")
        page.get_by_role("button", name="Create owner account").click()
        shown(page, "Helpdesk is ready").wait_for()
        time.sleep(1.5)
        page.screenshot(path=out / "install-ready.png")
        page.get_by_role("button", name="Open the inbox").click()
        shown(page, "All clear").wait_for()
        page.get_by_role("button", name="Account").or_(page.get_by_role("button", name="Sam")).first.click()
        page.get_by_role("menuitem", name="Settings").click()
        shown(page, "Add an agent").wait_for()
        page.get_by_text("This computer").first.click()
        shown(page, "Starting at login").wait_for()
        time.sleep(1)
        page.screenshot(path=out / "settings-this-computer.png")
        page.get_by_role("button", name="What's new").click()
        shown(page, "Got it").wait_for()
        time.sleep(1)
        page.screenshot(path=out / "whats-new.png")
        browser.close()
    app.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    desktop_first_run(args.out)
    browser_screens(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
