#!/usr/bin/env bash
# Screenshots of an EPUB as a reader sees it, in a real reading system:
# epub.js (paginated, one page at a time) in headless Chromium.
#
#   bash scripts/reader/screenshots.sh BOOK.epub OUT_DIR
#
# Writes OUT_DIR/epub-cover.png (the first spine item), epub-contents.png (the
# nav document) and epub-author-table.png (the page where the first table
# starts). Installs what it needs with scripts/reader/setup.sh; serves the
# EPUB and scripts/reader/reader.html from 127.0.0.1 only (a python3
# http.server on a free port, stopped at the end).
# Environment: CHROMIUM (default /usr/bin/chromium), READER_WIDTH and
# READER_HEIGHT (the page size in CSS pixels, default 600 x 900).
set -euo pipefail

die() { echo "reader-screenshots: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: bash scripts/reader/screenshots.sh BOOK.epub OUT_DIR"
epub="$1"
out="$2"
[ -f "$epub" ] || die "no EPUB at $epub (build it first, e.g. make epub)"
command -v python3 >/dev/null || die "python3 is not installed"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# epub.js says nothing about a file that is not an EPUB zip: check it here.
python3 - "$epub" <<'PY' || die "$epub is not an EPUB (a zip whose first entry is mimetype, application/epub+zip)"
import sys, zipfile
try:
    with zipfile.ZipFile(sys.argv[1]) as z:
        first = z.infolist()[0]
        ok = first.filename == "mimetype" and z.read(first).strip() == b"application/epub+zip"
except (zipfile.BadZipFile, IndexError, OSError):
    ok = False
sys.exit(0 if ok else 1)
PY
[ -x "$CHROMIUM" ] || die "no Chromium at $CHROMIUM (apt-get install chromium, or set CHROMIUM)"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="$root/.tools/reader"
start_ms=$(( $(date +%s%N) / 1000000 ))

bash "$here/setup.sh"

# The site: reader.html, the two libraries and the book, in a scratch folder.
site="$(mktemp -d "${TMPDIR:-/tmp}/reader-site.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$site"
}
trap cleanup EXIT
mkdir -p "$site/lib"
cp "$here/reader.html" "$site/reader.html"
cp "$tools/node_modules/jszip/dist/jszip.min.js" "$tools/node_modules/epubjs/dist/epub.min.js" "$site/lib/"
cp "$epub" "$site/book.epub"

# Port 0: the kernel picks a free port; http.server prints which one.
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$site" >"$site.log" 2>&1 &
server_pid=$!
trap 'cleanup; rm -f "$site.log"' EXIT
port=""
for _ in $(seq 1 100); do
  port="$(sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$site.log" | head -n 1)"
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || die "the HTTP server did not start: $(cat "$site.log")"
  sleep 0.1
done
[ -n "$port" ] || die "the HTTP server did not report its port within 10 s"

mkdir -p "$out"
node "$here/shoot.mjs" "http://127.0.0.1:$port/reader.html?book=book.epub" "$out" \
  || die "taking the screenshots failed (see above)"

ms=$(( $(date +%s%N) / 1000000 - start_ms ))
printf 'reader-screenshots: 3 pictures in %s  (%d.%02d s)\n' "$out" $((ms / 1000)) $((ms % 1000 / 10))
