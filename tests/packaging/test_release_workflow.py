"""The release workflow cannot run here (GitHub's Windows and macOS runners), so it is kept a
thin caller of the scripts under packaging/ that do run here (`make package`, the Linux smoke
test in tests/e2e/test_package.py), and linted with actionlint."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # schemathesis's dependency, already among the test tools

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")


@pytest.mark.skipif(ACTIONLINT is None, reason="actionlint is not installed (pip install -e '.[test]')")
def test_the_release_workflow_passes_actionlint():
    result = subprocess.run([ACTIONLINT, "-no-color", str(WORKFLOW)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_a_broken_workflow(tmp_path):
    """The lint is real: a workflow with a typo in an expression and a missing runner fails it."""
    if ACTIONLINT is None:
        pytest.skip("actionlint is not installed")
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text("on: push\njobs:\n  a:\n    steps:\n      - run: echo ${{ matrix.nope }}\n")
    result = subprocess.run([ACTIONLINT, "-no-color", str(broken)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode != 0 and "runs-on" in result.stdout


def test_every_step_of_the_workflow_is_an_action_or_a_script_under_packaging():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    build = workflow["jobs"]["build"]
    assert build["strategy"]["matrix"]["os"] == ["windows-latest", "macos-latest", "ubuntu-latest"]
    runs = [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]
    scripts = set()
    for run in runs:
        called = re.match(r"python (packaging/\w+\.py)", run)
        assert called or run.startswith("gh release create"), f"logic in the workflow instead of a script: {run}"
        if called:
            scripts.add(called.group(1))
            assert (ROOT / called.group(1)).is_file()
    # install, fast tests, build, smoke, publish: each one the Makefile or the tests run too
    assert scripts == {"packaging/install.py", "packaging/fast_tests.py", "packaging/build.py",
                       "packaging/smoke.py", "packaging/publish.py"}
    makefile = (ROOT / "Makefile").read_text()
    assert "packaging/build.py" in makefile and "packaging/smoke.py" in makefile
    assert "packaging/fast_tests.py" in makefile
    release = workflow["jobs"]["release"]
    assert release["if"] == "startsWith(github.ref, 'refs/tags/v')" and release["needs"] == "build"


def test_publish_writes_one_checksum_file_and_the_update_feed(tmp_path):
    from helpdesk import __version__

    files = tmp_path / "files"
    files.mkdir()
    (files / f"helpdesk-{__version__}-linux-x86_64").write_bytes(b"linux")
    (files / f"helpdesk-{__version__}-windows-x86_64.exe").write_bytes(b"windows")
    (files / "SHA256SUMS").write_text("stale  from one runner\n")
    done = subprocess.run([sys.executable, str(ROOT / "packaging" / "publish.py"), str(files), "--tag",
                           f"v{__version__}", "--repo", "shop/helpdesk"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    sums = (files / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 3 and all("stale" not in line for line in sums)  # the two files and latest.json
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=files, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    assert f'"version": "{__version__}"' in (files / "latest.json").read_text()
    assert (tmp_path / "NOTES.md").read_text().startswith(f"Helpdesk {__version__}")
    wrong = subprocess.run([sys.executable, str(ROOT / "packaging" / "publish.py"), str(files), "--tag", "v0.0.1",
                            "--repo", "shop/helpdesk"], capture_output=True, text=True)
    assert wrong.returncode == 1 and "does not match" in wrong.stdout
