#!/bin/sh
# Debian's Chromium for the browser tests (tests/browser), which drive it with Playwright.
# Installs it only where /usr/bin/chromium is missing and we are root; never fails the
# build: without Chromium (no apt, no network, not root) the browser tests skip.
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: /usr/bin/chromium is missing (not root or no apt-get): browser tests will skip" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; } ||
    echo "ensure_chromium: could not install chromium with apt-get: browser tests will skip" >&2
exit 0
