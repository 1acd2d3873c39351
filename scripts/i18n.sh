#!/usr/bin/env bash
# After changing a page's text: collect the strings, merge them into the Chinese catalogue, compile it.
# Translate the new entries in webui/translations/zh/LC_MESSAGES/messages.po, then run this again.
set -euo pipefail
cd "$(dirname "$0")/.."
template=$(mktemp --suffix=.pot)
trap 'rm -f "$template"' EXIT
.venv/bin/pybabel extract -F webui/babel.cfg -k _ -k lazy_gettext -o "$template" .
.venv/bin/pybabel update -i "$template" -d webui/translations -l zh --no-fuzzy-matching
.venv/bin/pybabel compile -d webui/translations -l zh
