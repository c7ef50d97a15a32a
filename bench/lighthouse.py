"""Lighthouse on the customer's surfaces: the conversation page (/c/<token>), the chat as a
page (/chat) and the help center (/help and an article), on a phone and a desktop, with a real
server process and Debian's Chromium.

    npm ci --prefix bench/lighthouse      # once: Lighthouse 12.2.3 from the npm registry
    python bench/lighthouse.py            # prints a table of the four categories per page and form

The conversation page and /chat are deliberately kept out of search engines (`noindex`, robots.txt): a customer's
page is a private link. Lighthouse's SEO category weighs "Page isn't blocked from indexing"
(is-crawlable) at a third of its score, so the table gives SEO twice: as Lighthouse scores it,
and without that one audit (every other SEO audit still counted). Results go to
docs/performance.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port, wait_until_healthy  # noqa: E402

LIGHTHOUSE = ROOT / "bench" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("HELPDESK_CHROMIUM") or "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def cli(data: Path, *args: str, env: dict[str, str] | None = None) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), *args, "--data-dir", str(data)],
                          env={**base, **(env or {})}, capture_output=True, text=True, check=True, cwd=ROOT)
    return done.stdout


def audit(url: str, desktop: bool, out: Path) -> dict:
    flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync"]
    command = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
               f"--chrome-flags={' '.join(flags)}", "--only-categories=" + ",".join(CATEGORIES)]
    if desktop:
        command.append("--preset=desktop")
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=300)
    return json.loads(out.read_text())


def seo_without_crawlable(report: dict) -> int:
    refs = [r for r in report["categories"]["seo"]["auditRefs"] if r["id"] != "is-crawlable" and r["weight"]]
    total = sum(r["weight"] for r in refs)
    got = sum(r["weight"] * (report["audits"][r["id"]]["score"] or 0) for r in refs)
    return round(100 * got / total)


PAGE_KEYS = {"page": "customer page", "chat": "/chat", "help": "/help", "article": "help article"}  # --pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", default="mobile,desktop",
                        help="Lighthouse's presets to audit each page with (make bench-quick: mobile only)")
    parser.add_argument("--pages", default=",".join(PAGE_KEYS),
                        help=f"which pages, of {', '.join(PAGE_KEYS)} (make bench-quick leaves out the article)")
    args = parser.parse_args()
    forms = [f for f in args.forms.split(",") if f in ("mobile", "desktop")] or ["mobile"]
    wanted = {PAGE_KEYS[k] for k in args.pages.split(",") if k in PAGE_KEYS} or set(PAGE_KEYS.values())
    if not LIGHTHOUSE.exists():
        print("Lighthouse is not installed: npm ci --prefix bench/lighthouse", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        data, port = Path(folder) / "data", free_port()
        base = f"http://127.0.0.1:{port}"
        env = {"HELPDESK_PUBLIC_URL": base}
        token = cli(data, "token", "create", "form", "--scope", "intake", env=env).strip().splitlines()[-1]
        writer = cli(data, "token", "create", "docs", "--scope", "admin", env=env).strip().splitlines()[-1]
        key = cli(data, "channel", "add", "website", "--name", "Site", "--origin", "https://larsen.example",
                  env=env).strip().splitlines()[-1].split('data-helpdesk="')[1].split('"')[0]
        server_env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
        server_env.update(env, HELPDESK_DATA_DIR=str(data), HELPDESK_HOST="127.0.0.1", HELPDESK_PORT=str(port),
                          HELPDESK_MDNS="0")
        server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=server_env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_healthy(base, server)
            posted = httpx.post(base + "/api/v1/messages", headers={"Authorization": f"Bearer {token}"}, json={
                "customer": {"email": "nora@example.com", "name": "Nora"}, "subject": "Brake service",
                "body": "Could you look at my brakes this week? They squeal when it rains."}).json()
            article = None
            for title, body in (("When to change brake pads", "Check the **pads** every month.\n\n## Squealing or "
                                 "grinding?\n\n- Squealing in the rain is normal.\n- Grinding means metal on metal: "
                                 "bring the bike in."),
                                ("Opening hours", "Monday to Friday 9:00-18:00, Saturday 9:00-13:00.")):
                made = httpx.post(base + "/api/v1/articles", headers={"Authorization": f"Bearer {writer}"}, json={
                    "title": title, "body": body, "category": "Repairs", "status": "published"})
                made.raise_for_status()
                article = article or made.json()["url"]
            pages = {"customer page": posted["conversation_url"], "/chat": f"{base}/chat?site={key}",
                     "/help": f"{base}/help", "help article": article}
            print(f"Lighthouse 12.2.3 on {platform.node()} ({os.cpu_count()} CPUs), Chromium {CHROMIUM}")
            print(f"{'page':<15}{'form':<9}{'perf':>6}{'a11y':>6}{'bp':>6}{'seo':>6}{'seo*':>6}")
            for name, url in pages.items():
                if name not in wanted:
                    continue
                for form in forms:
                    report = audit(url, form == "desktop", Path(folder) / "report.json")
                    scores = [round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES]
                    failing = [a for a, v in report["audits"].items() if v.get("score") == 0 and
                               v.get("scoreDisplayMode") == "binary"]
                    print(f"{name:<15}{form:<9}" + "".join(f"{s:>6}" for s in scores) +
                          f"{seo_without_crawlable(report):>6}" + (f"   failing: {', '.join(failing)}" if failing else ""))
            print("seo*: the SEO category without is-crawlable (the customer page and /chat are noindex on purpose; "
                  "the help center is meant to be found)")
            if os.environ.get("LIGHTHOUSE_KEEP"):
                Path(os.environ["LIGHTHOUSE_KEEP"]).write_text((Path(folder) / "report.json").read_text())
        finally:
            server.terminate()
            server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
