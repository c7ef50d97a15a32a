"""`python main.py help export DIR` as an owner runs it: the help center as files whose every
link names a file that is there, in each language, opening from the folder; with no public
address nothing points at a Helpdesk the web host cannot reach."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpdesk.app import HelpdeskApp
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from tests.api.test_files import png
from tests.cli import run

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]  # the command line's files; services run on both elsewhere


def _shop(data: Path) -> None:
    app = HelpdeskApp(Settings(data_dir=data, port=0)).start()
    try:
        articles, system = app.services.articles, Actor.system()
        picture = articles.add_image(system, app.services.files.stage_bytes(png("green", (40, 30)), "pads.png"))
        articles.create(system, "When to change brake pads", f"Check the **pads** every month.\n\n{picture}",
                        category="Repairs", status="published")
        articles.create(system, "Opening hours", "Mon-Fri 9-18.", status="published")
        articles.create(system, "Bremsbeläge", "Jeden Monat prüfen.", category="Reparatur", language="de",
                        status="published")
        articles.create(system, "Draft only", "Not yet.")
    finally:
        app.close()


def test_the_export_is_a_folder_of_pages_whose_links_all_open(tmp_path):
    data, site = tmp_path / "data", tmp_path / "site"
    _shop(data)
    done = run("help", "export", str(site), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert "Help center: 8 pages in en, de written to" in done.stdout
    files = sorted(str(p.relative_to(site)) for p in site.rglob("*.html"))
    assert files == ["de/index.html", "de/reparatur/bremsbelage.html", "de/reparatur/index.html", "general/index.html",
                     "general/opening-hours.html", "index.html", "repairs/index.html",
                     "repairs/when-to-change-brake-pads.html"]
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html and "Draft only" not in html
        for href in re.findall(r'(?:href|src)="([^"]+)"', html):
            assert not href.startswith(("/", "http")), (page, href)  # nothing reaches for a server
            assert (page.parent / href).resolve().is_file(), (page, href)
        assert "/help/search" not in html and "Did this help?" not in html and "Write to us" not in html
    pads = (site / "repairs" / "when-to-change-brake-pads.html").read_text(encoding="utf-8")
    [picture] = re.findall(r'<img src="([^"]+)"', pads)
    assert picture.startswith("../_images/") and (site / "repairs" / picture).read_bytes() == png("green", (40, 30))
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="repairs/when-to-change-brake-pads.html"' in home and 'href="de/index.html"' in home
    assert "without a public address" in done.stdout.lower() or "Without a public address" in done.stdout
