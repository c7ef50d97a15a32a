"""Helpers for driving the Flutter web UI from Playwright with Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import time

import pytest

CHROMIUM = os.environ.get("HELPDESK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason="Chromium is not installed (apt-get install chromium; .ci/run does it)")


def open_app(context, url: str):
    """Open the web UI and switch on Flutter's accessibility tree so controls have roles and names."""
    page = context.new_page()
    page.goto(url)
    return accessible(page)


def accessible(page):  # type: ignore[no-untyped-def]
    """Switch on the accessibility tree of a page that has (re)loaded the web UI."""
    page.wait_for_function("document.querySelector('flt-semantics-placeholder') !== null", timeout=30_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
    return page


def type_into(page, name: str, text: str, role: str = "textbox") -> None:
    field = page.get_by_role(role, name=name)
    for _ in range(3):
        field.click()
        time.sleep(0.3)  # let Flutter move the focus before the keys arrive
        field.press_sequentially(text)
        if any(text in value for value in input_values(page)):
            return
        field.press("Control+a")
        field.press("Delete")
    raise AssertionError(f"could not type into {name!r}")


def sign_in(page, email: str, password: str) -> None:
    type_into(page, "Email", email)
    type_into(page, "Password", password)
    page.keyboard.press("Enter")
    # On a busy machine the Enter can be lost (a full `make test` once waited 30 s on a sign-in
    # form that never began): when nothing has begun after a while (the button still enabled,
    # the password still typed, so no answer either), the button submits instead. One that began
    # disables the button at once, and a refusal clears the password, so nothing is sent twice.
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        if not _waiting_to_submit(page, password):
            return
        time.sleep(0.2)
    if _waiting_to_submit(page, password):
        page.get_by_role("button", name="Sign in", exact=True).first.click()


def _waiting_to_submit(page, password: str) -> bool:
    """The sign-in form is there, its button enabled, the password still in it: nothing began."""
    from playwright.sync_api import Error

    button = page.get_by_role("button", name="Sign in", exact=True).first
    try:
        return button.is_enabled(timeout=300) and any(password in v for v in input_values(page))
    except Error:  # gone meanwhile (signed in, or the second step)
        return False


def input_values(page) -> list[str]:
    return page.evaluate("Array.from(document.querySelectorAll('input,textarea')).map(e => e.value)")


def shown(page, text: str):
    """A locator for text on screen, whether Flutter exposes it as text or inside a merged label."""
    return page.get_by_text(text).or_(page.get_by_label(text, exact=False)).first


def open_settings(page, section: str) -> None:
    """From the inbox: Account → Settings, then one section of it (an admin's)."""
    page.get_by_role("button", name="Account").first.click()
    page.get_by_role("menuitem", name="Settings").click()
    page.get_by_text(section).first.click()
