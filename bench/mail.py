"""Email: importing a mailbox's history, and how soon a new mail is in the inbox.

    python bench/mail.py                 # 10,000 mails, 20 APPENDs timed
    python bench/mail.py --mails 2000

1. `mailbox import NAME PATH` of a generated mbox (10,000 mails from 2,000 customers in
   threads of up to five, one in five with a PDF or photo attached, some HTML, some
   Latin-1), through the real command line on a fresh SQLite data folder: time, rate.
2. A real server process (`serve`) fetching from a private Dovecot with IMAP IDLE: the time
   from IMAP APPEND until the conversation is listed by the API, sampled N times.
Needs Dovecot (apt-get install dovecot-imapd)."""

from __future__ import annotations

import argparse
import mailbox as stdlib_mailbox
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port, wait_until_healthy  # noqa: E402
from tests.mailservers import Dovecot, SmtpSink, dovecot_available  # noqa: E402

PDF = b"%PDF-1.4\n" + os.urandom(60_000)
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(120_000)


def generated_mail(n: int, rng: random.Random) -> bytes:
    customer = rng.randrange(2000)
    thread = n // 5
    reply = n % 5
    subject = f"Order {10000 + thread}: question {thread}"
    headers = (f"From: Customer {customer} <c{customer}@example.com>\r\nTo: shop@bench.example\r\n"
               f"Subject: {'Re: ' if reply else ''}{subject}\r\nMessage-ID: <bench-{n}@example.com>\r\n"
               f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(1_700_000_000 + n * 600))}\r\n"
               + (f"In-Reply-To: <bench-{n - 1}@example.com>\r\n" if reply else "") + "MIME-Version: 1.0\r\n")
    words = " ".join(rng.choice(["helmet", "size", "delivery", "brake", "invoice", "refund", "colour", "thanks",
                                 "when", "order", "tyre", "light"]) for _ in range(rng.randint(15, 80)))
    quoted = "\r\n\r\nOn Mon, Shop wrote:\r\n> " + words[:200] if reply else ""
    if n % 5 == 3:  # one in five carries a file
        data, name, kind = (PDF, "invoice.pdf", "application/pdf") if n % 2 else (PNG, "photo.png", "image/png")
        import base64
        encoded = base64.encodebytes(data).decode().replace("\n", "\r\n")
        return (headers + 'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
                "Content-Type: text/plain; charset=utf-8\r\n\r\n" + words + quoted + "\r\n--B\r\n"
                f'Content-Type: {kind}\r\nContent-Disposition: attachment; filename="{name}"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n" + encoded + "--B--\r\n").encode()
    if n % 7 == 0:
        return (headers + "Content-Type: text/html; charset=utf-8\r\n\r\n<p>" + words + "</p>\r\n").encode()
    if n % 11 == 0:
        return (headers + "Content-Type: text/plain; charset=iso-8859-1\r\n\r\n").encode() + \
            ("Café " + words + quoted).encode("latin-1")
    return (headers + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + words + quoted + "\r\n").encode()


def cli(data: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    full.update(env or {})
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args, "--data-dir", str(data)],
                          capture_output=True, text=True, env=full, cwd=ROOT, timeout=3600)


def import_history(count: int, dovecot: Dovecot, smtp: SmtpSink, rows: list) -> None:
    work = Path(tempfile.mkdtemp(prefix="helpdesk-mail-bench-"))
    path = work / "history.mbox"
    rng = random.Random(7)
    box = stdlib_mailbox.mbox(str(path))
    box.lock()
    for n in range(count):
        box.add(generated_mail(n, rng))
    box.flush()
    box.unlock()
    box.close()
    data = work / "data"
    cli(data, "mailbox", "add", "--name", "Shop", "--address", "shop@bench.example", "--imap",
        dovecot.url("benchimport"), "--smtp", smtp.url)
    started = time.perf_counter()
    done = cli(data, "mailbox", "import", "Shop", str(path))
    took = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    rows.append((f"mailbox import, {count:,} mails ({path.stat().st_size / 1e6:.0f} MB mbox)",
                 f"{took:.1f} s", f"{count / took:,.0f} mails/s · {done.stdout.strip().split(': ', 1)[1]}"))
    started = time.perf_counter()
    again = cli(data, "mailbox", "import", "Shop", str(path))
    rows.append(("the same mbox again (nothing new)", f"{time.perf_counter() - started:.1f} s",
                 again.stdout.strip().split(": ", 1)[1].split(" (")[0]))


def append_to_inbox(samples: int, dovecot: Dovecot, smtp: SmtpSink, rows: list) -> None:
    data = Path(tempfile.mkdtemp(prefix="helpdesk-mail-bench-")) / "data"
    port = free_port()
    token = cli(data, "token", "create", "bench", "--scope", "read").stdout.strip().splitlines()[-1]
    cli(data, "mailbox", "add", "--name", "Shop", "--address", "shop@bench.example", "--imap",
        dovecot.url("benchidle"), "--smtp", smtp.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update(HELPDESK_DATA_DIR=str(data), HELPDESK_HOST="127.0.0.1", HELPDESK_PORT=str(port))
    server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latencies = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, server)
        time.sleep(2)  # the fetch loop logs in and starts IDLE
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
            for n in range(samples):
                subject = f"Latency probe {n}"
                started = time.perf_counter()
                dovecot.append("benchidle", (f"From: p{n}@example.com\r\nSubject: {subject}\r\n"
                                             f"Message-ID: <probe-{n}@example.com>\r\n\r\nhello\r\n").encode())
                while True:
                    listed = http.get("/api/v1/conversations", params={"limit": 5}).json()["conversations"]
                    if any(c["subject"] == subject for c in listed):
                        break
                    if time.perf_counter() - started > 30:
                        raise RuntimeError("a mail did not arrive within 30 s")
                    time.sleep(0.01)
                latencies.append((time.perf_counter() - started) * 1000)
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    rows.append((f"IMAP APPEND → listed by the API, IDLE ({samples} mails)",
                 f"{statistics.median(latencies):,.0f} ms",
                 f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:,.0f} ms, max {latencies[-1]:,.0f} ms"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    if not dovecot_available():
        print("Dovecot is not installed (apt-get install dovecot-imapd)", file=sys.stderr)
        return 2
    dovecot, smtp = Dovecot().start(), SmtpSink().start()
    rows: list[tuple[str, str, str]] = []
    try:
        import_history(args.mails, dovecot, smtp, rows)
        append_to_inbox(args.samples, dovecot, smtp, rows)
    finally:
        smtp.stop()
        dovecot.stop()
    print(f"# mail benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite, Dovecot and aiosmtpd on loopback")
    width = max(len(r[0]) for r in rows) + 2
    for measure, took, detail in rows:
        print(f"{measure:<{width}}{took:>10}  {detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
