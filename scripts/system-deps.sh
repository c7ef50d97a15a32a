#!/usr/bin/env bash
# Debian packages the test suite needs beyond Python: Chromium (browser tests), Xvfb and
# ImageMagick (the desktop window and its screenshot), the libraries Flet's desktop
# client links against, PostgreSQL (the suite's second pass starts a private server) and
# Dovecot (the email tests start a private IMAP server). Installs what is missing when it can (root, or passwordless sudo);
# otherwise says which tests will be skipped.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb xauth)
command -v import >/dev/null 2>&1 || missing+=(imagemagick)
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v dovecot >/dev/null 2>&1 || missing+=(dovecot-imapd)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)  # the load of `bench/intake.py --wrk` (make bench)
if command -v ldconfig >/dev/null 2>&1; then
    ldconfig -p | grep -q 'libmpv.so.2' || missing+=(libmpv2)
    ldconfig -p | grep -q 'libgtk-3.so.0' || missing+=(libgtk-3-0)
    ldconfig -p | grep -q 'libgstapp-1.0.so.0' || missing+=(libgstreamer-plugins-base1.0-0)
    ldconfig -p | grep -q 'libsecret-1.so.0' || missing+=(libsecret-1-0)
fi
# axe-core (the accessibility checks in the browser tests) and Lighthouse (the help center's
# scores), from the npm registry, pinned by their locks.
axe() {
    if [ ! -f tests/a11y/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null 2>&1; then
        npm ci --prefix tests/a11y --no-audit --no-fund --loglevel=error >/dev/null
    fi
    if [ ! -x bench/lighthouse/node_modules/.bin/lighthouse ] && command -v npm >/dev/null 2>&1; then
        npm ci --prefix bench/lighthouse --no-audit --no-fund --loglevel=error >/dev/null
    fi
}
if [ ${#missing[@]} -eq 0 ]; then axe; exit 0; fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then SUDO="sudo"; else SUDO="none"; fi
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$SUDO" = "none" ]; then
    echo "note: missing system packages: ${missing[*]}" >&2
    echo "      browser, desktop-window and email tests (and the PostgreSQL pass) will be skipped; install them with:" >&2
    echo "      sudo apt-get install ${missing[*]}" >&2
    axe
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "installing system packages for the tests: ${missing[*]}"
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
axe
