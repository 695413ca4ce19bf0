#!/bin/sh
# Debian packages renkei needs at run time and for its tests: Chromium and its headless
# shell (Playwright cannot download its own browser on a closed network), a Japanese font
# (without one every kanji in a screenshot is a box), Xvfb (the X display the test of
# `renkei record` and the desktop driver's tests start), xclip and Tesseract with Japanese
# (the desktop driver's clipboard and OCR), Tk and the PostgreSQL server (the tests
# start their own throw-away server on loopback from /usr/lib/postgresql/<version>/bin;
# Debian's cluster service is not needed and is not started). Installs only what is
# missing; uses sudo when not root.
set -eu
missing=""
if [ -n "${RENKEI_CHROMIUM:-}" ]; then
    [ -x "$RENKEI_CHROMIUM" ] || missing="$missing chromium"
else
    # The full browser for headed runs (watching the bot), the old headless shell for
    # scheduled ones: lighter, and what Playwright itself uses headless.
    [ -x /usr/bin/chromium ] || missing="$missing chromium"
    [ -x /usr/bin/chromium-headless-shell ] || missing="$missing chromium-headless-shell"
fi
fc-list :lang=ja 2>/dev/null | grep -q . || missing="$missing fonts-ipafont-gothic"
# An X display for the headed browser of `renkei record`'s test and for the desktop
# (thick-client) driver's tests (they start their own Xvfb, with its own cookie: xauth).
command -v Xvfb >/dev/null 2>&1 || missing="$missing xvfb"
command -v xauth >/dev/null 2>&1 || missing="$missing xauth"
# The desktop driver: Japanese text goes in through the clipboard (pyperclip uses xclip),
# values the client does not let you copy are read by OCR (Tesseract with Japanese), and
# the desktop mock core system is a Tk application.
command -v xclip >/dev/null 2>&1 || missing="$missing xclip"
command -v tesseract >/dev/null 2>&1 || missing="$missing tesseract-ocr"
tesseract --list-langs 2>/dev/null | grep -qx jpn || missing="$missing tesseract-ocr-jpn"
"${PYTHON:-python3}" -c "import tkinter" 2>/dev/null || missing="$missing python3-tk"
pg=""
for initdb in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$initdb" ] && pg="$initdb"
done
[ -n "$pg" ] || missing="$missing postgresql"
[ -z "$missing" ] && exit 0
echo "installing Debian packages:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Installing postgresql would start Debian's own cluster: forbid service starts while
# apt runs (policy-rc.d, the Debian way), unless the machine already has a policy.
policy=/usr/sbin/policy-rc.d
if [ -z "$pg" ] && [ ! -e "$policy" ]; then
    trap '$SUDO rm -f "$policy"' EXIT
    trap 'exit 130' INT TERM HUP
    printf '#!/bin/sh\n# renkei scripts/system-deps.sh: no service starts during install\nexit 101\n' \
        | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing fontconfig >/dev/null
