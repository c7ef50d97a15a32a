"""Smoke-test a built Helpdesk, as its owner would first meet it, on the machine it was built
for: it tells its version; starts headless on a new data folder; /api/v1/health answers; a
customer message posted to the intake API comes back from the API and on the customer's own
page; it stops cleanly when asked, and starts again with the message still there.

    python packaging/smoke.py PROGRAM        (dist/helpdesk, dist/helpdesk.exe, Helpdesk.app/Contents/MacOS/helpdesk)
    python packaging/smoke.py --built DIST   (what packaging/build.py left in DIST)

Only the standard library: it runs on a bare CI runner against the artefact, not the source tree.
Exit 0 and a table of timings, or 1 and what failed."""

from __future__ import annotations

import json
import re
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

START_TIMEOUT = 120  # a cold start unpacks the one file first; CI runners can be slow


class SmokeFailed(Exception):
    pass


# A 1 × 1 PNG: its preview is made by the image decoder, a child process of the built program.
TINY_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_") and k not in ("DISPLAY",)}
    env["HELPDESK_DATA_DIR"] = str(data)
    return env


def http(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Server:
    def __init__(self, program: Path, data: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / f"serve-{self.port}.log"
        flags = subprocess.CREATE_NEW_PROCESS_GROUP if os.name == "nt" else 0  # type: ignore[attr-defined]
        self.out = open(self.log, "w")
        self.process = subprocess.Popen([str(program), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                        env=clean_env(data), stdout=self.out, stderr=subprocess.STDOUT,
                                        creationflags=flags)
        started = time.monotonic()
        while True:
            if self.process.poll() is not None:
                raise SmokeFailed(f"it exited with {self.process.returncode} while starting:\n{self.output()}")
            try:
                status, body = http("GET", self.url + "/api/v1/health")
                if status == 200:
                    self.health = json.loads(body)
                    break
            except OSError:  # not listening yet
                time.sleep(0.1)
                continue
            if time.monotonic() - started > START_TIMEOUT:
                self.process.kill()
                raise SmokeFailed(f"no answer on {self.url} after {START_TIMEOUT} s:\n{self.output()}")
            time.sleep(0.1)
        self.start_seconds = time.monotonic() - started

    def output(self) -> str:
        if not self.out.closed:
            self.out.flush()
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> float:
        """As Ctrl+C (or the service manager) asks; it must be gone within 30 s."""
        started = time.monotonic()
        if os.name == "nt":
            self.process.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
        else:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise SmokeFailed(f"it did not stop within 30 s:\n{self.output()}") from None
        finally:
            self.out.close()
        if os.name != "nt" and code != 0:
            raise SmokeFailed(f"it stopped with exit code {code}:\n{self.output()}")
        return time.monotonic() - started


def smoke(program: Path) -> list[tuple[str, str]]:
    results: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="helpdesk-smoke-") as temp:
        data = Path(temp) / "data"
        version = subprocess.run([str(program), "--version"], capture_output=True, text=True, timeout=120,
                                 env=clean_env(data))
        if version.returncode != 0 or not version.stdout.startswith("helpdesk "):
            raise SmokeFailed(f"--version said {version.stdout!r} {version.stderr!r}")
        results.append(("version", version.stdout.strip()))
        made = subprocess.run([str(program), "token", "create", "smoke-test"], capture_output=True, text=True,
                              timeout=120, env=clean_env(data))
        if made.returncode != 0:
            raise SmokeFailed(f"token create failed: {made.stderr.strip()}")
        token = made.stdout.strip().splitlines()[-1]
        bot = subprocess.run([str(program), "token", "create", "smoke-bot", "--scope", "intake,read,reply"],
                             capture_output=True, text=True, timeout=120, env=clean_env(data))
        bank = subprocess.run([str(program), "payments", "bank", "--holder", "Smoke Shop", "--iban",
                               "DE89 3704 0044 0532 0130 00"], capture_output=True, text=True, timeout=120,
                              env=clean_env(data))
        if bot.returncode != 0 or bank.returncode != 0:  # IBANs are checked with python-stdnum's registry
            raise SmokeFailed(f"payments bank failed: {bot.stderr.strip()} {bank.stderr.strip()}")
        bot_token = bot.stdout.strip().splitlines()[-1]

        server = Server(program, data)
        results.append(("start to first HTTP 200", f"{server.start_seconds:.2f} s"))
        if server.health.get("status") != "ok" or f"helpdesk {server.health.get('version')}" != version.stdout.strip():
            raise SmokeFailed(f"health said {server.health}")
        status, body = http("POST", server.url + "/api/v1/messages", {
            "customer": {"email": "smoke@example.com", "name": "Smoke Test"}, "subject": "Smoke",
            "body": "Does the built file work?", "idempotency_key": "smoke-1"}, token)
        if status != 201:
            raise SmokeFailed(f"intake answered {status}: {body[:300]!r}")
        created = json.loads(body)
        status, body = http("GET", f"{server.url}/api/v1/conversations/{created['conversation_id']}", token=token)
        if status != 200 or b"Does the built file work?" not in body:
            raise SmokeFailed(f"the conversation answered {status}: {body[:300]!r}")
        results.append(("intake message round trip", "201, then read back"))
        link = created["conversation_url"]
        page_status, page = http("GET", server.url + "/c/" + link.rsplit("/c/", 1)[1])
        if page_status != 200 or b"Does the built file work?" not in page:
            raise SmokeFailed(f"the customer page answered {page_status}")
        results.append(("customer page", "200, shows the message"))
        status, body = http("POST", f"{server.url}/api/v1/conversations/{created['conversation_id']}/payment-requests",
                            {"amount": "49.90", "currency": "EUR", "description": "Smoke"}, bot_token)
        qr = http("GET", server.url + "/c/" + json.loads(body)["qr_url"].rsplit("/c/", 1)[1]) if status == 201 \
            else (0, b"")
        if status != 201 or qr[0] != 200 or not qr[1].startswith(b"\x89PNG"):  # ISO 4217's table, segno
            raise SmokeFailed(f"a payment request answered {status}, its QR code {qr[0]}: {body[:300]!r}")
        results.append(("a payment request", "201, its QR code a PNG"))
        status, body = http("POST", server.url + "/api/v1/messages", {
            "customer": {"email": "smoke@example.com"}, "body": "A photo", "conversation_id": created["conversation_id"],
            "attachments": [{"filename": "dot.png", "data": TINY_PNG}]}, token)
        preview = re.search(rb'<img src="([^"]+)"', http("GET", server.url + "/c/" + link.rsplit("/c/", 1)[1])[1])
        shown = http("GET", server.url + preview.group(1).decode().replace("&amp;", "&")) if preview else (0, b"")
        if status != 201 or shown[0] != 200 or not shown[1].startswith(b"\xff\xd8"):  # a JPEG
            raise SmokeFailed(f"a photo's preview answered {shown[0]} (the image decoder's child process)")
        results.append(("a photo's preview", "made by the decoder's child process"))
        if b"flutter" not in http("GET", server.url + "/")[1].lower():
            raise SmokeFailed("the agents' web app is not served at /")
        results.append(("stopped cleanly", f"{server.stop():.2f} s"))

        again = Server(program, data)
        status, body = http("GET", f"{again.url}/api/v1/conversations/{created['conversation_id']}", token=token)
        again.stop()
        if status != 200 or b"Does the built file work?" not in body:
            raise SmokeFailed("after a restart the message was gone")
        results.append(("restarted, message kept", f"{again.start_seconds:.2f} s to first 200"))
    return results


def built_program(dist: Path) -> Path:
    """What packaging/build.py left in DIST for this OS."""
    for candidate in (dist / "helpdesk.exe", dist / "Helpdesk.app" / "Contents" / "MacOS" / "helpdesk",
                      dist / "helpdesk"):
        if candidate.is_file():
            return candidate
    raise SystemExit(f"no built Helpdesk in {dist} (run packaging/build.py first)")


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--built":
        program = built_program(Path(argv[1])).resolve()
    elif len(argv) == 1 and not argv[0].startswith("-"):
        program = Path(argv[0]).absolute()  # run as given: through a link, as /usr/bin/helpdesk is
    else:
        print(__doc__)
        return 2
    try:
        results = smoke(program)
    except (SmokeFailed, OSError, subprocess.SubprocessError) as exc:
        print(f"SMOKE TEST FAILED for {program}: {exc}")
        return 1
    print(f"smoke test of {program}: passed")
    for what, value in results:
        print(f"  {what:<28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
