#!/usr/bin/env bash
# Build the BPMN modeler of the admin pages (bpmn-js Modeler + properties panel + the CarbonFlow group) from the
# pinned npm packages of webui/modeler/ into webui/static/vendor/modeler/, so the server needs no npm and no CDN.
# Run again after changing webui/modeler/ (sources, package.json, package-lock.json) and commit the output with
# the VERSION file it writes: VERSION lists the sha256 of every source and every output file (paths from the
# repository root), so a test can tell the output was built from the current source.
# bpmn-js's licence requires the bpmn.io watermark to stay visible: keep LICENSE beside it, never hide it.
# Needs node >= 18 and npm (npm ci installs exactly what package-lock.json pins; node_modules is not committed).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
source_dir=webui/modeler
target=webui/static/vendor/modeler
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$source_dir" && npm ci --no-audit --no-fund --loglevel=error)

modules="$source_dir/node_modules"
out="$work/out"
mkdir -p "$out/bpmn-font/css" "$out/bpmn-font/font" "$out/licenses"

# the bundle: one classic script defining window.CarbonFlowModeler
"$modules/.bin/esbuild" "$source_dir/src/index.js" \
  --bundle --format=iife --minify --target=es2020 --platform=browser \
  --define:process.env.NODE_ENV='"production"' \
  --legal-comments=eof --log-level=warning \
  --metafile="$work/meta.json" --outfile="$out/modeler.js"

# styles: the diagram, the palette's icon font (bpmn.css finds its fonts at ../font/), the properties panel, ours
cp "$modules/bpmn-js/dist/assets/bpmn-js.css" "$modules/bpmn-js/dist/assets/diagram-js.css" "$out/"
cp "$modules/bpmn-js/dist/assets/bpmn-font/css/bpmn.css" "$out/bpmn-font/css/"
cp "$modules/bpmn-js/dist/assets/bpmn-font/font/"bpmn.{eot,woff2,woff,ttf,svg} "$out/bpmn-font/font/"
cp "$modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css" "$out/"
cp "$source_dir/src/carbonflow-modeler.css" "$out/"

# licences: bpmn-js's beside the bundle, and one of every package the bundle holds code of
cp "$modules/bpmn-js/LICENSE" "$out/LICENSE"
node -e '
  const meta = require(process.argv[1]);
  const packages = new Set();
  for (const input of Object.keys(meta.inputs)) {
    const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g);
    if (match) packages.add(match[match.length - 1].replace(/^node_modules\//, "").replace(/\/$/, ""));
  }
  console.log([...packages].sort().join("\n"));
' "$work/meta.json" > "$work/packages"
while read -r package; do
  dir="$modules/$package"
  # a nested copy (node_modules/a/node_modules/b) has its own folder: find it by name
  [[ -d "$dir" ]] || dir=$(find "$modules" -type d -path "*/node_modules/$package" | head -n1)
  licence=$(find "$dir" -maxdepth 1 -type f \( -iname 'LICEN[CS]E*' -o -iname 'COPYING*' \) | sort | head -n1)
  if [[ -n "$licence" ]]; then
    cp "$licence" "$out/licenses/${package//\//__}.txt"
  else
    # the package ships no licence file: record what its package.json declares
    node -e '
      const p = require(process.argv[1]);
      const author = typeof p.author === "object" ? p.author.name : p.author;
      const repository = typeof p.repository === "object" ? p.repository.url : p.repository;
      console.log(`${p.name} ${p.version}: licence ${p.license} (declared in its package.json; the package ships no licence file)`);
      if (author) console.log(`author: ${author}`);
      if (repository) console.log(`repository: ${repository}`);
    ' "$root/$dir/package.json" > "$out/licenses/${package//\//__}.txt"
  fi
done < "$work/packages"

version_of() {
  node -p "require('./$modules/$1/package.json').version"
}

{
  echo "CarbonFlow modeler built by scripts/build_modeler.sh (esbuild $(version_of esbuild), npm ci of $source_dir/package-lock.json)"
  echo "# Lines '<sha256>  <path from the repository root>' list the sources it was built from and the files it wrote:"
  echo "# run 'sha256sum --check' on them from the repository root. Other lines are information."
  for package in bpmn-js bpmn-js-properties-panel @bpmn-io/properties-panel diagram-js bpmn-moddle esbuild; do
    echo "# package $package $(version_of "$package")"
  done
  echo "# bundled packages: $(tr '\n' ' ' < "$work/packages" | sed 's/ $//')"
  echo "# sources"
  (cd "$root" && sha256sum scripts/build_modeler.sh "$source_dir/package.json" "$source_dir/package-lock.json" \
    $(find "$source_dir/src" -type f | LC_ALL=C sort))
} > "$work/VERSION"

rm -rf "$target"
mkdir -p "$target"
cp -r "$out/." "$target/"
{
  echo "# output"
  (cd "$root" && find "$target" -type f | LC_ALL=C sort | xargs sha256sum)
} >> "$work/VERSION"
mv "$work/VERSION" "$target/VERSION"

echo "built $target:"
(cd "$target" && ls -l modeler.js *.css | awk '{print "  " $5 "  " $9}')
