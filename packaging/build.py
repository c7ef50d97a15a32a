"""Build Helpdesk for the OS this runs on (PyInstaller does not cross-compile) and lay out the
release files in DIST/release, named by version, OS and architecture, with their SHA-256 sums:

  Linux    helpdesk-<v>-linux-<arch>           the one file (packaging/onefile.py: unpacked once, into the user's cache)
           helpdesk_<v>_<debarch>.deb          the same program as one folder, a Debian package with a menu entry
  Windows  helpdesk-<v>-windows-<arch>.exe
  macOS    Helpdesk-<v>-macos-<arch>.zip       Helpdesk.app, zipped

Signing happens between the build and the layout when its secrets are in the environment
(packaging/sign.py). `make package` and the release workflow run this; tests/e2e/test_package.py
too. The last line printed is the path of the program to smoke-test (packaging/smoke.py).

    python packaging/build.py [--dist DIR] [--work DIR]"""

from __future__ import annotations

import argparse
import hashlib
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

import onefile  # noqa: E402  (beside this file)
import sign  # noqa: E402

VERSION = re.search(r'__version__ = "([^"]+)"', (ROOT / "helpdesk" / "__init__.py").read_text()).group(1)
OS_NAMES = {"Linux": "linux", "Windows": "windows", "Darwin": "macos"}
ARCHES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
DEB_ARCHES = {"x86_64": "amd64", "arm64": "arm64"}
FOLDER_PROGRAM = "helpdesk-folder"  # the spec's one-folder build (Linux), its folder and program


def arch() -> str:
    machine = platform.machine().lower()
    return ARCHES.get(machine, machine)


def pyinstaller(dist: Path, work: Path) -> Path:
    subprocess.run([sys.executable, "-m", "PyInstaller", str(ROOT / "packaging" / "helpdesk.spec"), "--noconfirm",
                    "--distpath", str(dist), "--workpath", str(work), "--log-level", "WARN"], check=True, cwd=ROOT)
    system = platform.system()
    if system == "Linux":  # the spec built one folder; the one file carries it
        return onefile.build(dist / FOLDER_PROGRAM, FOLDER_PROGRAM, dist / "helpdesk")
    built = {"Windows": dist / "helpdesk.exe", "Darwin": dist / "Helpdesk.app"}.get(system, dist / "helpdesk")
    if not built.exists():
        raise SystemExit(f"PyInstaller finished but {built} is missing")
    return built


def debian_package(folder: Path, out: Path) -> Path | None:
    """The one-folder build as a .deb: the program in /usr/lib/helpdesk, `helpdesk` on the PATH,
    a menu entry and the icon (Debian, Ubuntu). A folder, not the one file: an installed program
    starts without unpacking itself first."""
    if shutil.which("dpkg-deb") is None or arch() not in DEB_ARCHES:
        print("no dpkg-deb here (or an architecture Debian does not name): no .deb")
        return None
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "root"
        (root / "DEBIAN").mkdir(parents=True)
        shutil.copytree(folder, root / "usr/lib/helpdesk", symlinks=True)
        (root / "usr/lib/helpdesk" / FOLDER_PROGRAM).rename(root / "usr/lib/helpdesk/helpdesk")
        (root / "usr/bin").mkdir(parents=True)
        (root / "usr/bin/helpdesk").symlink_to("../lib/helpdesk/helpdesk")
        (root / "usr/share/applications").mkdir(parents=True)
        (root / "usr/share/applications/helpdesk.desktop").write_text(
            "[Desktop Entry]\nType=Application\nName=Helpdesk\nComment=The shop's shared inbox\n"
            "Exec=/usr/bin/helpdesk\nIcon=helpdesk\nTerminal=false\nCategories=Office;Network;\n")
        icons = root / "usr/share/icons/hicolor/256x256/apps"
        icons.mkdir(parents=True)
        shutil.copy2(ROOT / "assets" / "icon.png", icons / "helpdesk.png")
        files = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
        size_kib = sum(p.stat().st_size for p in files) // 1024
        (root / "DEBIAN/control").write_text(
            f"Package: helpdesk\nVersion: {VERSION}\nArchitecture: {DEB_ARCHES[arch()]}\n"
            f"Maintainer: Helpdesk <helpdesk@localhost>\nInstalled-Size: {size_kib}\nSection: mail\n"
            "Priority: optional\nDepends: libgtk-3-0, libgstreamer-plugins-base1.0-0, libmpv2 | libmpv1\n"
            "Description: self-hosted, offline shared inbox for small businesses\n"
            " One program: the desktop app, the inbox for colleagues' browsers on the LAN, email, SMS and chat.\n")
        for path in root.rglob("*"):
            if not path.is_symlink():  # root-owned, readable by all, executable where it was built so
                path.chmod(0o755 if path.is_dir() or path.stat().st_mode & 0o100 else 0o644)
        deb = out / f"helpdesk_{VERSION}_{DEB_ARCHES[arch()]}.deb"
        # gzip at its fastest: a few seconds, where the best compression costs a minute.
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build", str(root), str(deb)],
                       check=True, stdout=subprocess.DEVNULL)
    return deb


def zip_app(app: Path, target: Path) -> Path:
    """macOS: ditto keeps the bundle's symlinks and signature; zipfile would not."""
    subprocess.run(["ditto", "-c", "-k", "--sequesterRsrc", "--keepParent", str(app), str(target)], check=True)
    return target


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_sums(folder: Path) -> Path:
    sums = folder / "SHA256SUMS"
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != sums.name)
    sums.write_text("".join(f"{sha256(p)}  {p.name}\n" for p in files))
    return sums


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build Helpdesk for this OS and lay out the release files.")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    args = parser.parse_args(argv)
    built = pyinstaller(args.dist, args.work)
    sign.sign(built)
    release = args.dist / "release"
    shutil.rmtree(release, ignore_errors=True)
    release.mkdir(parents=True)
    system = platform.system()
    name = f"helpdesk-{VERSION}-{OS_NAMES.get(system, system.lower())}-{arch()}"
    if system == "Darwin":
        zip_app(built, release / f"Helpdesk-{VERSION}-macos-{arch()}.zip")
        program = built / "Contents" / "MacOS" / "helpdesk"
    elif system == "Windows":
        shutil.copy2(built, release / f"{name}.exe")
        program = built
    else:
        shutil.copy2(built, release / name)
        debian_package(args.dist / FOLDER_PROGRAM, release)
        program = built
    write_sums(release)
    for path in sorted(release.iterdir()):
        print(f"{path.stat().st_size / 1e6:8.1f} MB  {path}")
    print(program)
    return 0


if __name__ == "__main__":
    sys.exit(main())
