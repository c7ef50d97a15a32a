"""An article's Markdown as HTML a customer's browser may show: CommonMark (tables and
strike-through too), raw HTML typed in the text kept as text, then nh3 (the sanitiser mail
goes through) so only harmless tags and http(s)/mailto links remain. The article's title is
the page's one h1: the text's headings start at h2."""

from __future__ import annotations

import functools
import re

import nh3
from markdown_it import MarkdownIt

_HEADING = re.compile(r"<(/?)h([1-6])>")
_LEVEL = re.compile(r"<h([1-6])>")
_SPACE = re.compile(r"\s+")
_MARKS = re.compile(r"[#*_`>|~\[\]()!-]+")


@functools.cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(["table", "strikethrough"])


def to_html(body: str) -> str:
    html = _parser().render(body or "")
    levels = [int(level) for level in _LEVEL.findall(html)]
    if levels:  # the body's top level becomes h2, the rest follow (no level skipped: screen readers list them)
        shift = 2 - min(levels)
        html = _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + shift)}>", html)
    return nh3.clean(html, url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


def plain(body: str) -> str:
    """The words of an article without its markup: for excerpts and the search index's snippets."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", body or "")  # images say nothing in a snippet
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's words, not its address
    return _SPACE.sub(" ", _MARKS.sub(" ", text)).strip()


def excerpt(body: str, words: int = 28) -> str:
    parts = plain(body).split(" ")
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")
