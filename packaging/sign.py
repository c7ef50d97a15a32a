"""Code signing, when its secrets are given (the release workflow passes them as environment
variables; without them the build is unsigned and says so). Nothing here is needed to build.

Windows (Authenticode, signtool from the Windows SDK):
  WINDOWS_CERTIFICATE_BASE64    the .pfx, base64
  WINDOWS_CERTIFICATE_PASSWORD  its password
macOS (codesign, then notarisation with notarytool and stapling):
  MACOS_CERTIFICATE_BASE64      a "Developer ID Application" .p12, base64
  MACOS_CERTIFICATE_PASSWORD    its password
  MACOS_SIGNING_IDENTITY        e.g. "Developer ID Application: Larsen Bikes (TEAMID)"
  APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD   for notarytool (an app-specific password)"""

from __future__ import annotations

import base64
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMESTAMP_URL = "http://timestamp.digicert.com"


def sign(built: Path) -> bool:
    system = platform.system()
    if system == "Windows" and os.environ.get("WINDOWS_CERTIFICATE_BASE64"):
        _sign_windows(built)
        return True
    if system == "Darwin" and os.environ.get("MACOS_CERTIFICATE_BASE64"):
        _sign_macos(built)
        return True
    print(f"not signed: no certificate given for {system} (see packaging/sign.py)")
    return False


def _sign_windows(exe: Path) -> None:
    signtool = shutil.which("signtool") or _find_signtool()
    with tempfile.TemporaryDirectory() as temp:
        pfx = Path(temp) / "certificate.pfx"
        pfx.write_bytes(base64.b64decode(os.environ["WINDOWS_CERTIFICATE_BASE64"]))
        subprocess.run([signtool, "sign", "/f", str(pfx), "/p", os.environ.get("WINDOWS_CERTIFICATE_PASSWORD", ""),
                        "/fd", "sha256", "/tr", TIMESTAMP_URL, "/td", "sha256", str(exe)], check=True)
    print(f"signed {exe}")


def _find_signtool() -> str:
    kits = Path(os.environ.get("ProgramFiles(x86)", r"C:\Program Files (x86)")) / "Windows Kits" / "10" / "bin"
    found = sorted(kits.glob("*/x64/signtool.exe"))
    if not found:
        raise SystemExit("signtool.exe not found (install the Windows SDK)")
    return str(found[-1])


def _sign_macos(app: Path) -> None:
    identity = os.environ["MACOS_SIGNING_IDENTITY"]
    with tempfile.TemporaryDirectory() as temp:
        keychain = Path(temp) / "signing.keychain-db"
        p12 = Path(temp) / "certificate.p12"
        p12.write_bytes(base64.b64decode(os.environ["MACOS_CERTIFICATE_BASE64"]))
        password = os.environ.get("MACOS_CERTIFICATE_PASSWORD", "")
        run = lambda *args: subprocess.run(list(args), check=True)  # noqa: E731
        run("security", "create-keychain", "-p", "build", str(keychain))
        run("security", "unlock-keychain", "-p", "build", str(keychain))
        run("security", "import", str(p12), "-k", str(keychain), "-P", password, "-T", "/usr/bin/codesign")
        run("security", "set-key-partition-list", "-S", "apple-tool:,apple:", "-s", "-k", "build", str(keychain))
        run("security", "list-keychains", "-d", "user", "-s", str(keychain))
        run("codesign", "--force", "--deep", "--options", "runtime", "--timestamp", "--keychain", str(keychain),
            "--sign", identity, str(app))
        if os.environ.get("APPLE_ID"):
            archive = Path(temp) / "notarise.zip"
            run("ditto", "-c", "-k", "--keepParent", str(app), str(archive))
            run("xcrun", "notarytool", "submit", str(archive), "--apple-id", os.environ["APPLE_ID"],
                "--team-id", os.environ["APPLE_TEAM_ID"], "--password", os.environ["APPLE_APP_PASSWORD"], "--wait")
            run("xcrun", "stapler", "staple", str(app))
    print(f"signed {app}" + (" and notarised" if os.environ.get("APPLE_ID") else ""))
