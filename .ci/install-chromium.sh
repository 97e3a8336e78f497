#!/bin/sh
# Installs Debian's chromium (for results/tests/report_html_chromium.rs)
# unless /usr/bin/chromium is already there. Needs root (or sudo) and apt.
set -eu

if [ -x /usr/bin/chromium ]; then
    echo "install-chromium: /usr/bin/chromium present: $(/usr/bin/chromium --version 2>/dev/null || true)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null

if [ ! -x /usr/bin/chromium ]; then
    echo "install-chromium: apt-get installed chromium, but /usr/bin/chromium is missing" >&2
    exit 1
fi
echo "install-chromium: installed $(/usr/bin/chromium --version 2>/dev/null || true)"
