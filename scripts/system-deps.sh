#!/bin/sh
# Debian packages renkei needs at run time: Chromium (Playwright cannot download its own
# browser on a closed network) and a Japanese font (without one every kanji in a
# screenshot is a box). Installs only what is missing; uses sudo when not root.
set -eu
missing=""
[ -x "${RENKEI_CHROMIUM:-/usr/bin/chromium}" ] || missing="$missing chromium"
fc-list :lang=ja 2>/dev/null | grep -q . || missing="$missing fonts-ipafont-gothic"
[ -z "$missing" ] && exit 0
echo "installing Debian packages:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing fontconfig >/dev/null
