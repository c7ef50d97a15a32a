"""The release job's last step: every OS's files in one folder, one SHA256SUMS for all of them,
`latest.json` for Helpdesk's opt-in update check ({"version", "url"}), and the release notes
from helpdesk/services/whatsnew.py. The workflow then attaches the folder's files to the release.

    python packaging/publish.py FOLDER --tag v0.2.0 --repo owner/name"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))
sys.path.insert(0, str(ROOT))

from build import VERSION, write_sums  # noqa: E402
from helpdesk.services.whatsnew import NOTES  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--repo", required=True, help="owner/name on GitHub")
    args = parser.parse_args(argv)
    if args.tag.lstrip("v") != VERSION:
        print(f"the tag {args.tag} does not match the version in helpdesk/__init__.py ({VERSION})")
        return 1
    for stale in args.folder.glob("SHA256SUMS*"):  # each runner's own sums: replaced by one for all
        stale.unlink()
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", args.repo):
        print(f"not a repository name: {args.repo}")
        return 1
    base = f"https://github.com/{args.repo}/releases"
    (args.folder / "latest.json").write_text(json.dumps({"version": VERSION, "url": f"{base}/tag/{args.tag}"}))
    notes = dict(NOTES).get(VERSION, [])
    (args.folder.parent / "NOTES.md").write_text(
        f"Helpdesk {VERSION}\n\n" + "".join(f"- {line}\n" for line in notes)
        + "\nCheck a download: `sha256sum -c SHA256SUMS --ignore-missing` (Linux, macOS: `shasum -a 256 -c`).\n")
    write_sums(args.folder)
    print((args.folder / "SHA256SUMS").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
