"""Linux's one file: a POSIX shell script followed by the one-folder build as a tar.gz
(packaging/onefile_stub.sh is the script). PyInstaller's own one file unpacks its ~160 MB on
every start, about 0.8 s of each cold start on a small machine; this one unpacks into the user's
cache folder on the first start only, under a name that is a digest of what it carries.

    python packaging/onefile.py FOLDER PROGRAM TARGET   (FOLDER/PROGRAM is the folder's executable)"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VERSION = re.search(r'__version__ = "([^"]+)"', (ROOT / "helpdesk" / "__init__.py").read_text()).group(1)
NAME = "helpdesk"  # the program's name in the cache folder (what `ps` shows)


def payload(folder: Path, program: str) -> bytes:
    """The folder as a tar.gz, its executable named `helpdesk`, owned by nobody in particular
    (unpacked as the user who runs it)."""
    def entry(info: tarfile.TarInfo) -> tarfile.TarInfo:
        if info.name == program:
            info.name = NAME
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=6) as tar:
        for path in sorted(folder.iterdir()):
            tar.add(path, arcname=path.name, filter=entry)
    return out.getvalue()


def build(folder: Path, program: str, target: Path) -> Path:
    """TARGET: the script, whose `tail -c +OFFSET` is the payload; executable by all."""
    data = payload(folder, program)
    key = f"{VERSION}-{hashlib.sha256(data).hexdigest()[:12]}"
    stub = (HERE / "onefile_stub.sh").read_text().replace("@VERSION@", VERSION).replace("@KEY@", key)

    def script(offset: int) -> bytes:
        return stub.replace("@OFFSET@", str(offset)).encode()

    offset = 1
    while len(script(offset)) + 1 != offset:  # the offset's own digits are part of the script
        offset = len(script(offset)) + 1
    target.write_bytes(script(offset) + data)
    target.chmod(0o755)
    return target


if __name__ == "__main__":
    folder_arg, program_arg, target_arg = sys.argv[1:4]
    print(build(Path(folder_arg), program_arg, Path(target_arg)))
