#!/usr/bin/env bash
# Vendor the bpmn-js viewer (pinned) into webui/static/vendor/bpmn-js/, so a machine without npm still serves it.
# Run again after changing VERSION below; commit the copied files and the VERSION file it writes.
# bpmn-js's licence requires the bpmn.io watermark to stay visible: keep LICENSE beside it, never hide it.
set -euo pipefail
VERSION=18.31.1
# The registry's integrity of that tarball: a re-published or tampered package stops the script.
INTEGRITY="sha512-Hc7LzrgwfcBRUAdI/380Q2v1MJ115atGEVGadawLfDbHdo+r+IkmNj8fuYPFmWglUYt1KYIaC46OeX16HGTKQw=="
FILES=(LICENSE dist/bpmn-navigated-viewer.production.min.js dist/assets/bpmn-js.css dist/assets/diagram-js.css)

cd "$(dirname "$0")/.."
target=webui/static/vendor/bpmn-js
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "bpmn-js@$VERSION" >/dev/null)
tarball="$work/bpmn-js-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [[ "$actual" != "$INTEGRITY" ]]; then
  echo "bpmn-js@$VERSION: integrity $actual, expected $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"

mkdir -p "$target"
{
  echo "bpmn-js $VERSION (npm pack bpmn-js@$VERSION, $INTEGRITY)"
  echo "# sha256  file — written by scripts/vendor_bpmn_js.sh; tests check the files against it"
} > "$work/VERSION"
for file in "${FILES[@]}"; do
  name=$(basename "$file")
  cp "$work/package/$file" "$target/$name"
  (cd "$target" && sha256sum "$name") >> "$work/VERSION"
done
mv "$work/VERSION" "$target/VERSION"
echo "vendored bpmn-js $VERSION into $target"
