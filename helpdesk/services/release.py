"""This installation's version: what is new since the one before (shown once to each agent
after an upgrade), starting at login on this computer, and an update check that is off unless
an admin turns it on (and then asks one address, once a day, for the newest version's number:
Helpdesk never needs it)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from helpdesk import __version__
from helpdesk.db.upgrade import VERSION_KEY, version_key
from helpdesk.models import AppSetting
from helpdesk.services.base import Actor, Service, audit, require_admin, writes
from helpdesk.services.errors import Conflict, ValidationFailed
from helpdesk.services.host_facts import Autostart, AutostartError, AutostartStatus, HostFacts
from helpdesk.services.netpolicy import TargetRefused, get, refuse_literal_target
from helpdesk.services.whatsnew import NOTES
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

UPDATE_KEY = "update_check"
SEEN_PREFIX = "whats_new_seen."
UPDATE_TIMEOUT_SECONDS = 10
FEED_BYTES = 64_000  # the release feed is a few hundred bytes of JSON


@dataclass(frozen=True)
class UpdateCheck:
    enabled: bool
    url: str
    latest: str | None  # the newest version the address named, when last asked
    download: str | None
    checked_at: datetime | None
    error: str | None

    @property
    def newer(self) -> bool:
        return self.latest is not None and version_key(self.latest) > version_key(__version__)


class ReleaseService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, host: HostFacts) -> None:
        super().__init__(db, clock, settings)
        self.host = host  # starting at login is the computer's business (helpdesk/host/autostart.py)

    # The release feed is on the internet: never loopback, the LAN or a metadata address (the
    # tests, which serve their feed on loopback, allow it).
    feed_on_lan = False

    # ---- what's new -----------------------------------------------------------------------

    def previous_version(self) -> str | None:
        with self.db.read() as s:
            stamp = s.get(AppSetting, VERSION_KEY)
        return (stamp.value or {}).get("previous") if stamp else None

    def whats_new(self, agent_id: int) -> list[tuple[str, list[str]]]:
        """The notes of every version after the one this database was used with before, until
        this agent has closed them once; nothing on a new installation."""
        previous = self.previous_version()
        if not previous:
            return []
        with self.db.read() as s:
            seen = s.get(AppSetting, f"{SEEN_PREFIX}{agent_id}")
        if seen and (seen.value or {}).get("version") == __version__:
            return []
        return [(v, notes) for v, notes in NOTES
                if version_key(previous) < version_key(v) <= version_key(__version__)]

    @writes
    def whats_new_seen(self, agent_id: int) -> None:
        with self.db.write() as tx:
            key = f"{SEEN_PREFIX}{agent_id}"
            row = tx.session.get(AppSetting, key) or AppSetting(key=key)
            row.value = {"version": __version__}
            tx.session.add(row)

    # ---- starting at login ------------------------------------------------------------------

    def autostart(self) -> Autostart:
        return self.host.autostart(self.settings.data_dir)

    def autostart_status(self) -> AutostartStatus:
        return self.autostart().status()

    def set_autostart(self, enabled: bool, actor: Actor | None) -> str:
        """Register (or remove) `helpdesk serve` at login on the computer Helpdesk runs on; it
        takes over from the next login (this Helpdesk is running now)."""
        actor = require_admin(actor, "change how Helpdesk starts")
        command = self.host.serve_command(self.settings.data_dir, database_url=self.settings.database_url)
        try:
            done = self.autostart().install(command, start_now=False) if enabled else \
                ("removed" if self.autostart().uninstall() else "was not set")
        except AutostartError as exc:
            raise Conflict(str(exc)) from None
        self._audit(actor, "autostart.enabled" if enabled else "autostart.disabled")
        return done

    @writes
    def _audit(self, actor: Actor, action: str) -> None:
        with self.db.write() as tx:
            audit(tx.session, self.now(), actor, action)

    # ---- update check (opt-in) ------------------------------------------------------------

    def update_check(self) -> UpdateCheck:
        with self.db.read() as s:
            row = s.get(AppSetting, UPDATE_KEY)
        v = (row.value if row else None) or {}
        checked = v.get("checked_at")
        return UpdateCheck(bool(v.get("enabled")), v.get("url") or "", v.get("latest"), v.get("download"),
                           datetime.fromisoformat(checked) if checked else None, v.get("error"))

    @writes
    def set_update_check(self, enabled: bool, url: str, actor: Actor | None) -> UpdateCheck:
        actor = require_admin(actor, "change the update check")
        url = (url or "").strip()
        if enabled and not url.startswith(("https://", "http://")):
            raise ValidationFailed("the update check needs an address", {"url": "must start with https://"})
        if url:
            refuse_literal_target(url, allow_local=self.feed_on_lan, field="url")
        with self.db.write() as tx:
            row = tx.session.get(AppSetting, UPDATE_KEY) or AppSetting(key=UPDATE_KEY)
            row.value = {**(row.value or {}), "enabled": enabled, "url": url}
            tx.session.add(row)
            audit(tx.session, self.now(), actor, "update_check.changed", enabled=enabled)
        return self.update_check()

    def check_for_update(self) -> UpdateCheck:
        """The daily job: ask the address (a JSON document {"version", "url"}, as the release
        workflow publishes it) for the newest version, when the admin turned the check on."""
        current = self.update_check()
        if not current.enabled:
            return current
        latest, download, error = None, None, None
        try:
            # On the internet only, to the address checked, no redirects, a small document.
            status, raw = get(current.url, allow_local=self.feed_on_lan, timeout=UPDATE_TIMEOUT_SECONDS,
                              max_bytes=FEED_BYTES)
            if status != 200:
                raise ValueError(f"it answered {status}")
            feed = json.loads(raw)
            latest, download = str(feed["version"]), str(feed.get("url") or "")
            if not version_key(latest):
                raise ValueError(f"not a version number: {latest!r}")
        except TargetRefused as exc:
            error = f"could not read {current.url}: {exc}"
            latest, download = current.latest, current.download
        except (OSError, ValueError, KeyError, TypeError) as exc:
            error = f"could not read {current.url}: {exc.__class__.__name__}"
            latest, download = current.latest, current.download
        self._record_check(latest, download, error)
        return self.update_check()

    @writes
    def _record_check(self, latest: str | None, download: str | None, error: str | None) -> None:
        with self.db.write() as tx:
            row = tx.session.get(AppSetting, UPDATE_KEY) or AppSetting(key=UPDATE_KEY)
            row.value = {**(row.value or {}), "latest": latest, "download": download, "error": error,
                         "checked_at": self.now().isoformat()}
            tx.session.add(row)
