#!/usr/bin/env bash
# Install the EPUB reading system used for reader screenshots (idempotent).
#
#   bash scripts/reader/setup.sh
#
# Installs into .tools/reader/ (gitignored), from the npm registry, exactly the
# versions in scripts/reader/package.json and package-lock.json (npm ci):
#   epubjs 0.3.93          the epub.js reading system (renders the EPUB in a browser)
#   jszip 3.10.1           epub.js opens the .epub zip with it (loaded beside it)
#   puppeteer-core 24.43.1 drives the system Chromium; it downloads no browser
# A second run with the same lockfile already installed does nothing.
# To change a version: edit package.json, run `npm install --package-lock-only`
# in scripts/reader/, and commit both files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="$root/.tools/reader"
stamp="$tools/.installed"

die() { echo "reader-setup: error: $*" >&2; exit 1; }

bash "$root/scripts/setup-system.sh" browser  # Debian's Chromium, if missing

command -v node >/dev/null || die "node is not installed (Node 18 or newer is needed)"
command -v npm >/dev/null || die "npm is not installed"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 18 ] || die "Node $(node --version) is too old: puppeteer-core needs Node 18 or newer"

want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && [ -f "$tools/node_modules/epubjs/dist/epub.min.js" ] \
   && [ -f "$tools/node_modules/jszip/dist/jszip.min.js" ] \
   && [ -f "$tools/node_modules/puppeteer-core/package.json" ]; then
  exit 0
fi

echo "reader-setup: installing epubjs, jszip and puppeteer-core into ${tools#"$root"/}"
mkdir -p "$tools"
rm -f "$stamp"
cp "$here/package.json" "$here/package-lock.json" "$tools/"
# PUPPETEER_SKIP_DOWNLOAD: belt and braces, puppeteer-core never downloads a browser.
PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix "$tools" --no-audit --no-fund --loglevel=error \
  || die "npm ci failed (is the npm registry reachable?)"
for file in epubjs/dist/epub.min.js jszip/dist/jszip.min.js puppeteer-core/package.json; do
  [ -f "$tools/node_modules/$file" ] || die "npm ci left no node_modules/$file"
done
echo "$want" >"$stamp"
echo "reader-setup: done ($(cd "$tools" && node -p '["epubjs","jszip","puppeteer-core"].map(n => n + " " + require(n + "/package.json").version).join(", ")'))"
