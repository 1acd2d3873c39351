#!/usr/bin/env bash
# After changing a page's text: collect the strings, merge them into the Chinese catalogue, compile it.
# Translate the new entries in webui/translations/zh/LC_MESSAGES/messages.po, then run this again.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F webui/babel.cfg -k _ -o webui/translations/messages.pot .
.venv/bin/pybabel update -i webui/translations/messages.pot -d webui/translations -l zh --no-fuzzy-matching
.venv/bin/pybabel compile -d webui/translations -l zh
