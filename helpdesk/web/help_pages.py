"""The help center's pages, rendered the same way for the live site (/help, api/help_site.py)
and for `help export` (a folder of files for the shop's own web host): only the links differ,
so they come from `HelpPage.url`. No page runs a script; the stylesheet is inline and named by
its hash in the Content-Security-Policy, as the customer pages' is."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from helpdesk.services.help.markdown import to_html
from helpdesk.web import STYLE, render

HELP_CSS = (Path(__file__).with_name("static") / "help.css").read_text(encoding="utf-8")
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "it": "Italiano",
                  "nl": "Nederlands", "pt": "Português", "pl": "Polski", "da": "Dansk", "sv": "Svenska",
                  "nb": "Norsk", "fi": "Suomi", "cs": "Čeština", "tr": "Türkçe", "el": "Ελληνικά", "ja": "日本語"}


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@functools.cache
def style(colour: str | None) -> tuple[str, str]:
    """(the page's CSS, its CSP hash) with the shop's colour where it stays readable: buttons
    always (their text turns dark on a light colour), links on the light page when they reach
    4.5:1 against it."""
    css = STYLE + HELP_CSS
    if colour and HEX.match(colour):
        ink = "#ffffff" if contrast(colour, "#ffffff") >= 4.5 else "#111111"
        css += f":root{{--brand:{colour};--brand-ink:{ink}}}"
        if contrast(colour, "#ffffff") >= 4.5 and contrast(colour, "#f4f5f7") >= 4.5:
            css += f"@media (prefers-color-scheme:light){{:root{{--link:{colour}}}}}"
    return css, "sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


@dataclass(frozen=True)
class Category:
    name: str
    slug: str
    articles: list[Any]


def categories_of(articles: list[Any]) -> list[Category]:
    """Articles by category, categories by name (General last), articles by title."""
    grouped: dict[str, list[Any]] = {}
    for a in sorted(articles, key=lambda a: a.title.lower()):
        grouped.setdefault(a.category_name, []).append(a)
    names = sorted(grouped, key=lambda n: (n == "General", n.lower()))
    return [Category(n, grouped[n][0].category_slug, grouped[n]) for n in names]


@dataclass
class HelpPage:
    """What every page shows around its content, and how it links."""

    shop: str
    title: str  # "Help center", or the shop's own words
    language: str
    url: Callable[[str], str]  # a site path ("/help/repairs/brake-pads") as this page links to it
    logo: str = ""  # the logo's address, or "" for none
    colour: str | None = None
    search_action: str = ""  # where the search form goes ("": no search, as in an export without an address)
    contact: str = ""  # "Write to us": the ask page, or ""
    canonical: str = ""
    others: list[tuple[str, str, str]] = field(default_factory=list)  # other languages: (code, name, href)
    language_param: bool = False  # the language was asked for in the address: searches keep it

    def render(self, template: str, **context: Any) -> str:
        css, _ = style(self.colour)
        return render(f"help/{template}", style=css, shop=self.shop, site={"title": self.title},
                      language=self.language, url=self.url, logo=self.logo, search_action=self.search_action,
                      contact=context.pop("contact", self.contact), canonical=self.canonical, others=self.others,
                      language_param=self.language_param, query=context.pop("query", ""), **context)

    def article(self, article: Any, voted: str = "", vote_action: str = "") -> str:
        """An article's page; `vote_action` "" leaves out "Did this help?" (an exported copy has
        nowhere to send it)."""
        updated = article.updated_at
        contact = self.contact + ("&" if "?" in self.contact else "?") + f"article={article.id}" if self.contact else ""
        return self.render("article.html", article=article, html=to_html(article.body), voted=voted,
                           vote_action=self.url(vote_action) if vote_action else "", updated_iso=updated.isoformat(),
                           updated=f"{updated.day} {updated:%B %Y}", contact=contact)

    @property
    def csp_hash(self) -> str:
        return style(self.colour)[1]
