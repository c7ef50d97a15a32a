"""Fixtures shared by the browser tests of the website chat (tests/e2e/chat_site.py)."""

from tests.e2e.chat_site import browser, shop_site  # noqa: F401  (fixtures)
