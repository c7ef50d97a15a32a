"""Linux's one file (packaging/onefile.py and its script), built around small stand-in programs
so that what the launcher does is checked in a second: unpacked once into the user's cache,
reused, replaced when damaged or superseded, and run from a temporary folder when there is no
cache to write to. tests/e2e/test_package.py runs the real one."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import onefile  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the one file is Linux's")

# Tells what it was started as, with what, from where, and shows a data file beside it.
PROGRAM = """#!/bin/sh
echo "program=$0"
echo "args=$*"
echo "one_file=$HELPDESK_ONE_FILE"
echo "data=$(cat "$(dirname "$0")/_internal/data.txt")"
if [ "${1:-}" = wait ]; then
    trap 'echo stopped > "$2"; exit 7' TERM
    echo started > "$2"
    while :; do sleep 0.05; done
fi
exit "${EXIT_WITH:-0}"
"""


def folder_with(tmp_path: Path, data: str, program: str = PROGRAM) -> Path:
    folder = tmp_path / f"folder-{data}"
    (folder / "_internal").mkdir(parents=True)
    (folder / "_internal" / "data.txt").write_text(data)
    (folder / "helpdesk-folder").write_text(program)
    (folder / "helpdesk-folder").chmod(0o755)
    return folder


def one_file(tmp_path: Path, data: str = "first") -> Path:
    return onefile.build(folder_with(tmp_path, data), "helpdesk-folder", tmp_path / f"helpdesk-{data}")


def run(program: Path, *args: str, cache: Path | str | None, **env: str) -> subprocess.CompletedProcess:
    environment = {"PATH": os.environ["PATH"], "HOME": env.pop("HOME", "/nonexistent"), **env}
    if cache is not None:
        environment["XDG_CACHE_HOME"] = str(cache)
    return subprocess.run([str(program), *args], capture_output=True, text=True, env=environment, timeout=30)


def said(result: subprocess.CompletedProcess) -> dict[str, str]:
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def unpacked(cache: Path) -> list[Path]:
    return sorted((cache / "helpdesk").iterdir()) if (cache / "helpdesk").exists() else []


def test_the_first_start_unpacks_into_the_cache_for_its_owner_only_and_runs_the_program(tmp_path):
    program, cache = one_file(tmp_path), tmp_path / "cache"
    result = run(program, "serve", "--port", "8080", cache=cache)
    assert result.returncode == 0, result.stderr
    (folder,) = unpacked(cache)
    assert folder.name.startswith(f"{onefile.VERSION}-")
    assert said(result) == {"program": str(folder / "helpdesk"), "args": "serve --port 8080",
                            "one_file": str(program), "data": "first"}
    for path in (cache / "helpdesk", folder):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert not [p for p in (cache / "helpdesk").iterdir() if p.name.startswith(".")]


def test_later_starts_run_what_the_first_unpacked(tmp_path):
    program, cache = one_file(tmp_path), tmp_path / "cache"
    run(program, cache=cache)
    (folder,) = unpacked(cache)
    (folder / "_internal" / "data.txt").write_text("kept")  # unpacking again would undo this
    assert said(run(program, cache=cache))["data"] == "kept"
    assert unpacked(cache) == [folder]


def test_the_program_s_exit_status_and_a_relative_start_come_through(tmp_path):
    program, cache = one_file(tmp_path), tmp_path / "cache"
    result = subprocess.run([f"./{program.name}"], cwd=tmp_path, capture_output=True, text=True, timeout=30,
                            env={"PATH": os.environ["PATH"], "XDG_CACHE_HOME": str(cache), "EXIT_WITH": "3"})
    assert result.returncode == 3
    assert said(result)["one_file"] == f"{tmp_path}/./{program.name}"
    assert Path(said(result)["one_file"]).resolve() == program


def test_a_damaged_unpacked_program_is_unpacked_again(tmp_path):
    program, cache = one_file(tmp_path), tmp_path / "cache"
    run(program, cache=cache)
    (folder,) = unpacked(cache)
    (folder / "helpdesk").unlink()
    result = run(program, cache=cache)
    assert result.returncode == 0 and said(result)["data"] == "first"
    assert unpacked(cache) == [folder] and (folder / "helpdesk").exists()


def test_a_new_build_replaces_old_folders_but_not_one_still_running(tmp_path):
    cache = tmp_path / "cache"
    # A build whose program (a real executable, as PyInstaller's is) runs on meanwhile.
    busy = tmp_path / "busy"
    (busy / "_internal").mkdir(parents=True)
    shutil.copy(shutil.which("sleep"), busy / "helpdesk-folder")
    busy_file = onefile.build(busy, "helpdesk-folder", tmp_path / "helpdesk-busy")
    running = subprocess.Popen([str(busy_file), "30"], env={"PATH": os.environ["PATH"], "XDG_CACHE_HOME": str(cache)})
    try:
        deadline = time.monotonic() + 10
        while not (exe := os.readlink(f"/proc/{running.pid}/exe")).startswith(str(cache)):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        busy_folder = Path(exe).parent
        assert said(run(one_file(tmp_path, "old"), cache=cache))["data"] == "old"
        (old_folder,) = [f for f in unpacked(cache) if f != busy_folder]
        assert said(run(one_file(tmp_path, "new"), cache=cache))["data"] == "new"
        (new_folder,) = [f for f in unpacked(cache) if f != busy_folder]
        assert new_folder != old_folder and not old_folder.exists() and busy_folder.exists()
    finally:
        running.kill()
        running.wait(timeout=10)


def test_two_first_starts_at_once_both_run_and_leave_one_folder(tmp_path):
    program, cache = one_file(tmp_path), tmp_path / "cache"
    env = {"PATH": os.environ["PATH"], "XDG_CACHE_HOME": str(cache)}
    starts = [subprocess.Popen([str(program), str(n)], env=env, stdout=subprocess.PIPE, text=True) for n in range(4)]
    outputs = [start.communicate(timeout=30)[0] for start in starts]
    assert all("data=first" in out for out in outputs) and [s.returncode for s in starts] == [0] * 4
    assert len(unpacked(cache)) == 1
    assert not [p for p in (cache / "helpdesk").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("cache", ["relative/cache", "a file"])
def test_without_a_cache_to_write_to_it_runs_from_a_temporary_folder_it_removes(tmp_path, cache):
    program, temp = one_file(tmp_path), tmp_path / "temp"
    temp.mkdir()
    if cache == "a file":
        cache = tmp_path / "not-a-folder"
        cache.write_text("")
    result = run(program, "x", cache=cache, TMPDIR=str(temp), EXIT_WITH="5")
    assert result.returncode == 5
    assert said(result)["data"] == "first" and said(result)["program"].startswith(f"{temp}/helpdesk-")
    assert list(temp.iterdir()) == []


def test_stopping_the_temporary_run_stops_the_program_and_cleans_up(tmp_path):
    program, temp, mark = one_file(tmp_path), tmp_path / "temp", tmp_path / "mark"
    temp.mkdir()
    process = subprocess.Popen([str(program), "wait", str(mark)], stdout=subprocess.PIPE, text=True,
                               env={"PATH": os.environ["PATH"], "HOME": "", "TMPDIR": str(temp)})
    deadline = time.monotonic() + 10
    while not mark.exists():
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 7
    assert mark.read_text().strip() == "stopped" and list(temp.iterdir()) == []


def test_the_script_is_followed_by_exactly_the_folder_s_archive(tmp_path):
    program = one_file(tmp_path)
    data = program.read_bytes()
    offset = int(next(line for line in data.split(b"\n") if line.startswith(b"offset=")).split(b"=")[1])
    assert data[offset - 1:offset + 1] == b"\x1f\x8b"  # gzip's magic, right where tail starts
    assert data[:offset - 1].endswith(b'exit "$status"\n')
