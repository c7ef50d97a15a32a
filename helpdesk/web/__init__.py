"""Customer-facing HTML: Jinja2 templates with autoescape on, rendered on the server, and
the security headers every such page sends. No page runs a script (but /chat, which runs
the chat's own /widget.js); the one stylesheet is inline and allowed by its hash, so the
Content-Security-Policy allows nothing else."""

from __future__ import annotations

import base64
import functools
import hashlib
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).with_name("templates")
STYLE = (Path(__file__).with_name("static") / "customer.css").read_text(encoding="utf-8")
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# The website chat: one script, no framework, no third-party requests (served as /widget.js).
WIDGET_JS = (Path(__file__).with_name("static") / "widget.js").read_text(encoding="utf-8")

PAGE_HEADERS = {
    "Content-Security-Policy": f"default-src 'none'; style-src '{STYLE_HASH}'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the link is the customer's credential
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["style"] = STYLE
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
