"""`helpdesk help export DIR`: the help center as plain files for the shop's own web host (or
to open from the folder): every published article, category and home page, in each language
the shop wrote in (its main one at the top, the others in a folder by code), the logo beside
them, the articles' pictures in _images/. Links are relative and name their files (repairs/brake-pads.html), so the pages open
from a folder as from any host. Search, "Did this help?" and "Write to us" need Helpdesk: they
point at the shop's public address when it has one, and are left out when it has none."""

from __future__ import annotations

import functools
import posixpath
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from helpdesk.services.help.articles import ArticleService
from helpdesk.web.help_pages import LANGUAGE_NAMES, HelpPage, categories_of


@dataclass(frozen=True)
class Exported:
    folder: Path
    pages: int
    languages: list[str]


_PICTURE = re.compile(r'src="/help/_images/([0-9a-f]{64}\.[a-z]{3,4})"')


def _file_of(site_path: str) -> str:
    """/help → index.html, /help/repairs → repairs/index.html, /help/repairs/x → repairs/x.html."""
    parts = [p for p in site_path.split("?")[0].split("/") if p][1:]
    if not parts:
        return "index.html"
    if len(parts) == 1:
        return f"{parts[0]}/index.html"
    return f"{parts[0]}/{parts[1]}.html"


def export_site(articles: ArticleService, folder: Path, shop: str, logo: tuple[bytes, str] | None,
                public_url: str | None) -> Exported:
    folder.mkdir(parents=True, exist_ok=True)
    languages = articles.languages() or ["en"]
    site = articles.site()
    live = (public_url or "").rstrip("/")
    logo_name = ""
    if logo is not None:
        logo_name = "logo." + {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(logo[1], "png")
        (folder / logo_name).write_bytes(logo[0])
    pages = 0

    def _copied(name: str) -> str:
        """A published article's picture, beside the pages in _images/ (once)."""
        found = articles.public_image(name.partition(".")[0])
        copy = folder / "_images" / name
        if found is not None and found[0].is_file() and not copy.exists():
            copy.parent.mkdir(exist_ok=True)
            shutil.copyfile(found[0], copy)
        return name

    for language in languages:
        prefix = "" if language == languages[0] else f"{language}/"

        def write(site_path: str, html_of: Callable[[HelpPage], str]) -> None:
            nonlocal pages
            here = prefix + _file_of(site_path)

            def url(target: str) -> str:
                if target.startswith("/help/ask") or target.startswith("/help/search"):
                    return live + target if live else ""
                return posixpath.relpath(prefix + _file_of(target), posixpath.dirname(here) or ".")

            others = [(code, LANGUAGE_NAMES.get(code, code),
                       posixpath.relpath(("" if code == languages[0] else f"{code}/") + "index.html",
                                         posixpath.dirname(here) or "."))
                      for code in languages if code != language]
            page = HelpPage(shop=shop, title=site.title, language=language, url=url,
                            logo=posixpath.relpath(logo_name, posixpath.dirname(here) or ".") if logo_name else "",
                            colour=site.colour, search_action=f"{live}/help/search" if live else "",
                            contact=f"{live}/help/ask" if live else "",
                            canonical=live + site_path if live else "", others=others)
            target = folder / here
            target.parent.mkdir(parents=True, exist_ok=True)
            pictures = posixpath.relpath("_images", posixpath.dirname(here) or ".")
            target.write_text(_PICTURE.sub(lambda m: f'src="{pictures}/{_copied(m.group(1))}"', html_of(page)),
                              encoding="utf-8")
            pages += 1

        published = articles.published(language)
        categories = categories_of(published)
        write("/help", lambda page: page.render("home.html", categories=categories))
        for category in categories:
            write(f"/help/{category.slug}", functools.partial(_category, category=category))
        for article in published:
            write(article.path, functools.partial(_article, article=article))
    return Exported(folder, pages, languages)


def _category(page: HelpPage, category: Any) -> str:
    return page.render("category.html", category=category)


def _article(page: HelpPage, article: Any) -> str:
    return page.article(article)
