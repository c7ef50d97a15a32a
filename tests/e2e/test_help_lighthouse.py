"""Lighthouse (12.2.3, from the npm registry: bench/lighthouse) on the help center as a phone
loads it: the home page and an article score 100 for accessibility, best practices and SEO
(they are meant to be found, unlike a customer's private page)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from tests.browser import CHROMIUM, needs_chromium

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = ROOT / "bench" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium, pytest.mark.sqlite_only,
              pytest.mark.skipif(not LIGHTHOUSE.exists(), reason="Lighthouse is not installed (npm ci --prefix "
                                                                 "bench/lighthouse; scripts/system-deps.sh does it)")]


def scores(url: str, out: Path) -> dict[str, int]:
    flags = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking " \
            "--disable-component-update --disable-sync"
    subprocess.run([str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
                    f"--chrome-flags={flags}", "--only-categories=accessibility,seo,best-practices"],
                   check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=240)
    report = json.loads(out.read_text())
    failing = [a for a, v in report["audits"].items() if v.get("score") == 0 and v.get("scoreDisplayMode") == "binary"]
    return {**{c: round(100 * (report["categories"][c]["score"] or 0)) for c in report["categories"]},
            "failing": failing}  # type: ignore[dict-item]


def test_the_help_center_scores_100_for_accessibility_best_practices_and_seo(tmp_path):
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", host="127.0.0.1", port=0)).start()
    try:
        system = Actor.system()
        app.services.articles.create(system, "When to change brake pads", "Check the **pads** every month.\n\n"
                                     "## Grinding\n\nGrinding means metal on metal: bring it in.", category="Repairs",
                                     status="published")
        app.services.articles.create(system, "Opening hours", "Mon-Fri 9:00-18:00, Sat 9:00-13:00.",
                                     status="published")
        with ServerThread(app) as server:
            for path in ("/help", "/help/repairs/when-to-change-brake-pads"):
                got = scores(server.url + path, tmp_path / "report.json")
                assert got["accessibility"] == 100 and got["best-practices"] == 100 and got["seo"] == 100, (path, got)
    finally:
        app.close()
