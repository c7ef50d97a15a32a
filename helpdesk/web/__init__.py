"""Customer-facing HTML: Jinja2 templates with autoescape on, rendered on the server, and
the security headers every such page sends. No page runs a script (but /chat, which runs
the chat's own /widget.js); the one stylesheet is inline and allowed by its hash, so the
Content-Security-Policy allows nothing else."""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).with_name("templates")
STYLE = (Path(__file__).with_name("static") / "customer.css").read_text(encoding="utf-8")
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# The website chat: one script, no framework, no third-party requests. It is served at an
# address named by its content hash (`/widget-<hash>.js`, cached for a year: a new version is a
# new address); the `/widget.js` a shop pastes into its pages is a loader of a few hundred
# bytes that names the current one and is cached for five minutes.
WIDGET_JS = (Path(__file__).with_name("static") / "widget.js").read_text(encoding="utf-8")
WIDGET_HASH = hashlib.sha256(WIDGET_JS.encode()).hexdigest()[:16]
WIDGET_PATH = f"/widget-{WIDGET_HASH}.js"
WIDGET_LOADER = (
    "/* Helpdesk chat loader: fetches the chat script by its content hash. */\n"
    "(function(){var s=document.currentScript;if(!s||!s.dataset.helpdesk)return;"
    "var n=document.createElement('script');n.src=new URL('" + WIDGET_PATH + "',s.src).href;n.async=true;"
    "Object.keys(s.dataset).forEach(function(k){n.dataset[k]=s.dataset[k];});"
    "(document.head||document.documentElement).appendChild(n);})();\n")
# Compressed once: a shop's every page view asks for them.
WIDGET_JS_GZ = gzip.compress(WIDGET_JS.encode(), 9, mtime=0)
WIDGET_LOADER_GZ = gzip.compress(WIDGET_LOADER.encode(), 9, mtime=0)
# Customer pages are private links; the help center is the one part for search engines.
ROBOTS_TXT = "User-agent: *\nAllow: /help\nDisallow: /\n"

PAGE_HEADERS = {
    # connect-src 'self' lets a crawler's in-page check read /robots.txt; the page runs no script,
    # so nothing else can connect anywhere.
    "Content-Security-Policy": f"default-src 'none'; style-src '{STYLE_HASH}'; img-src 'self'; media-src 'self'; connect-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the link is the customer's credential
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
}


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["style"] = STYLE
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
