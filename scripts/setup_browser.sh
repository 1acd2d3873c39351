#!/usr/bin/env bash
# Make sure the browser tests and screenshots have Debian's chromium and a CJK font (once; nothing to do after).
# Playwright drives /usr/bin/chromium: never `playwright install`, whose browser download is not Debian's.
set -euo pipefail

has_chromium() { [ -x /usr/bin/chromium ]; }
# Without a font covering Chinese, every page string is drawn as boxes in the screenshots.
has_cjk_font() { command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]; }

if has_chromium && has_cjk_font; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "The browser tests need Debian's chromium and a CJK font; as root, run:" >&2
    echo "    apt-get update && apt-get install -y chromium fonts-noto-cjk" >&2
    echo "(or run this script as root: sudo bash scripts/setup_browser.sh)" >&2
    exit 1
fi

echo "==> installing Debian's chromium and fonts-noto-cjk (browser tests and screenshots)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null

if ! has_chromium || ! has_cjk_font; then
    echo "chromium or fonts-noto-cjk did not install: /usr/bin/chromium or a font for Chinese is still missing" >&2
    exit 1
fi
