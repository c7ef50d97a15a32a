"""Settings: built explicitly (CLI flags over environment variables over defaults).
Nothing here runs at import time; every app gets its own Settings object."""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import platformdirs

log = logging.getLogger(__name__)

DEFAULT_PORT = 8080
DEFAULT_HOST = "0.0.0.0"  # the product serves colleagues on the LAN by design
DB_FILENAME = "helpdesk.db"
MAX_REQUEST_BYTES = 1024 * 1024


class ConfigError(Exception):
    """A setting is unusable; the message is one line for a person to read."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("Helpdesk", appauthor=False))


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str | None = None  # None: SQLite file in data_dir
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    # Absolute base for links given to customers (e.g. behind a reverse proxy).
    # None: taken from the request that asked.
    public_url: str | None = None
    # Region used to read phone numbers written without a country code ("0612...").
    default_phone_region: str | None = None
    # FULL: an acknowledged message survives a power cut, not only a crash.
    sqlite_synchronous: str = "FULL"
    # Conversations pending on the customer this many days resolve by themselves.
    auto_resolve_days: int = 10
    # How often the response-time check runs.
    sla_scan_minutes: int = 1
    # Messages one API token may post per minute (bursts up to a sixth of it); 0: no limit.
    intake_per_minute: int = 6000
    # Website chat messages per client address (0: no limit, e.g. behind a proxy that is not trusted to
    # name the client); each visitor has its own, smaller limit on top.
    chat_per_address_per_minute: int = 120
    # Reverse proxies whose X-Forwarded-For / -Proto are believed (addresses or networks).
    # None by default: every address limit counts the peer that actually connected.
    trusted_proxies: tuple[str, ...] = ()
    # More names the agent UI answers to, beyond this machine's own names and addresses.
    allowed_hosts: tuple[str, ...] = ()
    # Files: the most one file, and one message's files together, may be (megabytes).
    max_file_mb: int = 25
    max_message_mb: int = 50

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / DB_FILENAME}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def with_overrides(self, **overrides: object) -> "Settings":
        clean: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **clean)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        values: dict[str, Any] = {}  # each checked as it is read
        if env.get("HELPDESK_DATA_DIR"):
            values["data_dir"] = Path(env["HELPDESK_DATA_DIR"]).expanduser()
        if env.get("HELPDESK_DATABASE_URL"):
            values["database_url"] = env["HELPDESK_DATABASE_URL"]
        if env.get("HELPDESK_HOST"):
            values["host"] = env["HELPDESK_HOST"]
        if env.get("HELPDESK_PORT"):
            values["port"] = parse_port(env["HELPDESK_PORT"], "HELPDESK_PORT")
        if env.get("HELPDESK_PUBLIC_URL"):
            values["public_url"] = env["HELPDESK_PUBLIC_URL"].rstrip("/")
        for name, key in (("trusted_proxies", "HELPDESK_TRUSTED_PROXIES"), ("allowed_hosts", "HELPDESK_ALLOWED_HOSTS")):
            if env.get(key):
                values[name] = tuple(part.strip() for part in env[key].split(",") if part.strip())
        if values.get("trusted_proxies"):
            for proxy in values["trusted_proxies"]:
                try:
                    ipaddress.ip_network(proxy, strict=False)
                except ValueError:
                    raise ConfigError(f"HELPDESK_TRUSTED_PROXIES: {proxy!r} is not an address or network") from None
        if env.get("HELPDESK_PHONE_REGION"):
            values["default_phone_region"] = env["HELPDESK_PHONE_REGION"].upper()
        if env.get("HELPDESK_SQLITE_SYNCHRONOUS"):
            sync = env["HELPDESK_SQLITE_SYNCHRONOUS"].upper()
            if sync not in {"FULL", "NORMAL"}:
                raise ConfigError("HELPDESK_SQLITE_SYNCHRONOUS must be FULL or NORMAL")
            values["sqlite_synchronous"] = sync
        for name, key, low, high in (("auto_resolve_days", "HELPDESK_AUTO_RESOLVE_DAYS", 1, 3650),
                                     ("sla_scan_minutes", "HELPDESK_SLA_SCAN_MINUTES", 1, 1440),
                                     ("intake_per_minute", "HELPDESK_INTAKE_PER_MINUTE", 0, 10_000_000),
                                     ("chat_per_address_per_minute", "HELPDESK_CHAT_PER_ADDRESS_PER_MINUTE", 0,
                                      1_000_000),
                                     ("max_file_mb", "HELPDESK_MAX_FILE_MB", 1, 2000),
                                     ("max_message_mb", "HELPDESK_MAX_MESSAGE_MB", 1, 4000)):
            if env.get(key):
                try:
                    number = int(env[key])
                    if not low <= number <= high:
                        raise ValueError
                except ValueError:
                    raise ConfigError(f"{key} must be a whole number from {low} to {high}") from None
                values[name] = number
        return cls(**values)


def parse_port(raw: str | int, name: str = "port") -> int:
    try:
        port = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number from 1 to 65535, not {raw!r}") from None
    if not 0 <= port <= 65535:  # 0 asks the OS for a free port (tests, benchmarks)
        raise ConfigError(f"{name} must be a number from 1 to 65535, not {raw!r}")
    return port


def ensure_data_dir(path: Path) -> Path:
    """Create the data directory owner-only (0700), tighten it and what is in it if looser
    (with a warning), and prove it is writable, or raise ConfigError. It holds customers,
    their links and every secret: other users of the PC have no business reading it."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        tighten(path)
        probe = path / ".write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigError(f"data directory {path} is not writable: {reason}") from None
    return path


def tighten(path: Path) -> list[Path]:
    """Owner-only modes for the data directory, its folders (0700) and files (0600); returns
    what was looser, which is logged. A no-op on Windows, whose user folders are private."""
    if os.name != "posix":
        return []
    loosened: list[Path] = []
    for item in [path, *path.rglob("*")]:
        if item.is_symlink():
            continue
        wanted = 0o700 if item.is_dir() else 0o600
        mode = item.stat().st_mode & 0o777
        if mode & 0o077:
            item.chmod(wanted)
            loosened.append(item)
    if loosened:
        log.warning("tightened permissions of %d item(s) in %s to owner-only (was readable by others): %s",
                    len(loosened), path, ", ".join(p.name for p in loosened[:5]))
    return loosened


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600), from the moment it exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
