"""Helpdesk starting by itself at login, headless (`helpdesk serve`), so colleagues' browsers
and the mail keep working after the shop PC reboots. One registration per operating system:

- Linux: a systemd user unit, `$XDG_CONFIG_HOME/systemd/user/helpdesk.service`, enabled for
  `default.target` (started by the user's manager at login);
- macOS: a LaunchAgent, `~/Library/LaunchAgents/app.helpdesk.serve.plist` (RunAtLoad);
- Windows: a Task Scheduler task "Helpdesk" with a logon trigger (`schtasks /Create /XML`).

Each backend writes its file (owner-only: the command line can carry a database URL) and then
asks the OS to load it; where the OS cannot be asked (no systemd user manager, as in a
container), the file alone does it at the next login, and `status` says which it is."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence
from xml.sax.saxutils import escape

from helpdesk.services.host_facts import AutostartError, AutostartStatus

NAME = "helpdesk"
LAUNCH_LABEL = "app.helpdesk.serve"
TASK_NAME = "Helpdesk"
# `serve` exits 2 on a setting it cannot use (e.g. another Helpdesk holds the data): restarting
# would only fail again, every few seconds, forever.
CONFIG_ERROR_EXIT = 2


def serve_command(data_dir: Path, host: str | None = None, port: int | None = None,
                  database_url: str | None = None) -> list[str]:
    """The command the OS runs at login: this very executable (or interpreter and main.py); for
    Linux's one file, the file itself, not the folder it unpacked the program into."""
    one_file = os.environ.get("HELPDESK_ONE_FILE", "")
    if getattr(sys, "frozen", False):
        command = [one_file if one_file and Path(one_file).is_file() else sys.executable]
    else:
        command = [sys.executable, str(Path(__file__).resolve().parents[2] / "main.py")]
    command += ["serve", "--data-dir", str(Path(data_dir).resolve())]
    if host:
        command += ["--host", host]
    if port:
        command += ["--port", str(port)]
    if database_url:
        command += ["--database-url", database_url]
    return command


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".new")
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)
    os.replace(temp, path)


def _run(args: Sequence[str], timeout: float = 20) -> subprocess.CompletedProcess | None:
    """Ask the OS; None when the tool is missing or does not answer."""
    if shutil.which(args[0]) is None:
        return None
    try:
        return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None


# ---- Linux: systemd user unit ----------------------------------------------------------------

def _systemd_quote(arg: str) -> str:
    """One ExecStart word: quoted, with systemd's specifiers (%) and escapes doubled."""
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


def systemd_unit(command: Sequence[str]) -> str:
    return "\n".join([
        "[Unit]",
        "Description=Helpdesk shared inbox (serves colleagues' browsers, fetches mail)",
        "",
        "[Service]",
        "Type=simple",
        "ExecStart=" + " ".join(_systemd_quote(a) for a in command),
        "Restart=on-failure",
        "RestartSec=5",
        f"RestartPreventExitStatus={CONFIG_ERROR_EXIT}",
        "TimeoutStopSec=20",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ])


class SystemdUser:
    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = os.environ if env is None else env
        config = self.env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        self.units = Path(config) / "systemd" / "user"
        self.where = self.units / f"{NAME}.service"
        self.wants = self.units / "default.target.wants" / f"{NAME}.service"

    def _manager(self) -> bool:
        result = _run(["systemctl", "--user", "show-environment"], timeout=5)
        return result is not None and result.returncode == 0

    def install(self, command: Sequence[str], start_now: bool) -> str:
        _write_private(self.where, systemd_unit(command))
        if self._manager():
            _run(["systemctl", "--user", "daemon-reload"])
            enable = ["systemctl", "--user", "enable"] + (["--now"] if start_now else []) + [f"{NAME}.service"]
            result = _run(enable)
            if result is None or result.returncode != 0:
                raise AutostartError(f"systemctl could not enable {self.where}: "
                                     f"{(result.stderr if result else 'no answer').strip()}")
            return "enabled in the systemd user manager" + (" and started" if start_now else "")
        # No manager to ask (no login session, e.g. over ssh or in a container): link it as
        # `systemctl enable` would, so the manager starts it at the next login.
        self.wants.parent.mkdir(parents=True, exist_ok=True)
        self.wants.unlink(missing_ok=True)
        self.wants.symlink_to(Path("..") / self.where.name)
        return "linked for default.target; systemd's user manager is not running here, so it starts at the next login"

    def uninstall(self) -> bool:
        existed = self.where.exists()
        if existed and self._manager():
            _run(["systemctl", "--user", "disable", "--now", f"{NAME}.service"])
        self.wants.unlink(missing_ok=True)
        self.where.unlink(missing_ok=True)
        if existed and self._manager():
            _run(["systemctl", "--user", "daemon-reload"])
        return existed

    def status(self) -> AutostartStatus:
        installed = self.where.exists() and (self.wants.is_symlink() or self._enabled())
        running: bool | None = None
        detail = ""
        if self._manager():
            result = _run(["systemctl", "--user", "is-active", f"{NAME}.service"])
            running = result is not None and result.stdout.strip() == "active"
        elif self.where.exists():
            detail = "(systemd's user manager is not running in this session)"
        return AutostartStatus(installed, running, self.where, detail)

    def _enabled(self) -> bool:
        result = _run(["systemctl", "--user", "is-enabled", f"{NAME}.service"], timeout=5)
        return result is not None and result.stdout.strip() == "enabled"


# ---- macOS: LaunchAgent ----------------------------------------------------------------------

def launch_agent_plist(command: Sequence[str], log_dir: Path) -> str:
    args = "\n".join(f"        <string>{escape(a)}</string>" for a in command)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>Label</key>
    <string>{LAUNCH_LABEL}</string>
    <key>ProgramArguments</key>
    <array>
{args}
    </array>
    <key>RunAtLoad</key>
    <true/>
    <key>KeepAlive</key>
    <dict>
        <key>SuccessfulExit</key>
        <false/>
    </dict>
    <key>ThrottleInterval</key>
    <integer>10</integer>
    <key>ProcessType</key>
    <string>Interactive</string>
    <key>StandardOutPath</key>
    <string>{escape(str(log_dir / "helpdesk-service.log"))}</string>
    <key>StandardErrorPath</key>
    <string>{escape(str(log_dir / "helpdesk-service.log"))}</string>
</dict>
</plist>
"""


class LaunchAgent:
    def __init__(self, home: Path | None = None) -> None:
        self.where = (home or Path.home()) / "Library" / "LaunchAgents" / f"{LAUNCH_LABEL}.plist"

    def install(self, command: Sequence[str], start_now: bool, log_dir: Path) -> str:
        _write_private(self.where, launch_agent_plist(command, log_dir))
        domain = f"gui/{os.getuid()}" if hasattr(os, "getuid") else "gui"
        _run(["launchctl", "bootout", domain, str(self.where)])
        result = _run(["launchctl", "bootstrap", domain, str(self.where)])
        if result is None:
            return "written; launchd loads it at the next login"
        if result.returncode != 0:
            raise AutostartError(f"launchctl could not load {self.where}: {result.stderr.strip()}")
        return "loaded by launchd"

    def uninstall(self) -> bool:
        existed = self.where.exists()
        if existed:
            domain = f"gui/{os.getuid()}" if hasattr(os, "getuid") else "gui"
            _run(["launchctl", "bootout", domain, str(self.where)])
            self.where.unlink(missing_ok=True)
        return existed

    def status(self) -> AutostartStatus:
        result = _run(["launchctl", "list", LAUNCH_LABEL], timeout=5)
        running = None if result is None else (result.returncode == 0 and '"PID"' in result.stdout)
        return AutostartStatus(self.where.exists(), running, self.where, "")


# ---- Windows: Task Scheduler -----------------------------------------------------------------

def scheduled_task_xml(command: Sequence[str], user: str) -> str:
    executable, *arguments = command
    args = subprocess.list2cmdline(arguments)
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>Helpdesk: serves colleagues' browsers and fetches mail from login on</Description>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>
      <UserId>{escape(user)}</UserId>
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>{escape(user)}</UserId>
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>3</Count>
    </RestartOnFailure>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{escape(executable)}</Command>
      <Arguments>{escape(args)}</Arguments>
    </Exec>
  </Actions>
</Task>
"""


class ScheduledTask:
    def __init__(self, folder: Path) -> None:
        self.where = folder / "helpdesk-task.xml"  # kept beside the data, to show what was registered

    def install(self, command: Sequence[str], start_now: bool) -> str:
        user = os.environ.get("USERDOMAIN", "") + "\\" + os.environ.get("USERNAME", "")
        xml = scheduled_task_xml(command, user.strip("\\"))
        self.where.parent.mkdir(parents=True, exist_ok=True)
        self.where.write_text(xml, encoding="utf-16")
        result = _run(["schtasks", "/Create", "/TN", TASK_NAME, "/XML", str(self.where), "/F"])
        if result is None:
            raise AutostartError("schtasks is not available: Task Scheduler cannot be asked")
        if result.returncode != 0:
            raise AutostartError(f"Task Scheduler refused the task: {result.stderr.strip() or result.stdout.strip()}")
        if start_now:
            _run(["schtasks", "/Run", "/TN", TASK_NAME])
        return "registered with Task Scheduler" + (" and started" if start_now else "")

    def uninstall(self) -> bool:
        result = _run(["schtasks", "/Delete", "/TN", TASK_NAME, "/F"])
        self.where.unlink(missing_ok=True)
        return result is not None and result.returncode == 0

    def status(self) -> AutostartStatus:
        result = _run(["schtasks", "/Query", "/TN", TASK_NAME, "/FO", "LIST"], timeout=10)
        installed = result is not None and result.returncode == 0
        running = None if not installed else "Running" in (result.stdout if result else "")
        return AutostartStatus(installed, running, self.where, "")


class Autostart:
    """The registration for this OS, for one data directory (services.host_facts.Autostart)."""

    def __init__(self, data_dir: Path, system: str | None = None, env: dict[str, str] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.system = system or platform.system()
        if self.system == "Linux":
            self.backend: SystemdUser | LaunchAgent | ScheduledTask = SystemdUser(env)
        elif self.system == "Darwin":
            self.backend = LaunchAgent()
        elif self.system == "Windows":
            self.backend = ScheduledTask(self.data_dir)
        else:
            raise AutostartError(f"starting at login is not supported on {self.system}")

    @property
    def where(self) -> Path:
        return self.backend.where

    def install(self, command: Sequence[str], start_now: bool = False) -> str:
        if isinstance(self.backend, LaunchAgent):
            return self.backend.install(command, start_now, self.data_dir)
        return self.backend.install(command, start_now)

    def uninstall(self) -> bool:
        return self.backend.uninstall()

    def status(self) -> AutostartStatus:
        return self.backend.status()
