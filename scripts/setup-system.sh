#!/usr/bin/env bash
# Installs the Debian packages the project needs that PyPI cannot provide, by profile:
#   scripts/setup-system.sh build     fonts and libraries `make book` needs
#   scripts/setup-system.sh test      ... plus the tools the tests use
#   scripts/setup-system.sh browser   Chromium, for DAISY Ace and the reader screenshots
#   scripts/setup-system.sh bench     Pandoc and friends, for `make bench`
# Several profiles may be named. Installs only what is missing; as root it uses
# apt-get (running `apt-get update` once if a package is not found), otherwise it
# says which packages to install and fails.
set -euo pipefail

declare -A profiles=(
  # the book typeface (SIL OFL); the monospace face for code; WeasyPrint's fast
  # font subsetting; Pango and fontconfig, which WeasyPrint draws text with
  [build]="fonts-ebgaramond fonts-dejavu-core libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fontconfig"
  # (after build) pdftotext, pdffonts, pdftoppm, pdfinfo, pdfimages; qpdf --check; Java for EPUBCheck;
  # strace, the evidence of what a hostile book's build touches; Chromium, the browser the
  # live preview's test drives (tests/test_serve.py)
  [test]="poppler-utils qpdf default-jre-headless strace chromium"
  [browser]="chromium"
  [bench]="pandoc time poppler-utils"
)

wanted=()
for profile in "${@:-build}"; do
  [ -n "${profiles[$profile]+set}" ] || { echo "setup-system: no profile '$profile'" >&2; exit 2; }
  read -r -a packages <<<"${profiles[$profile]}"
  wanted+=("${packages[@]}")
done

installed() {
  case "$1" in
    default-jre-headless) command -v java >/dev/null 2>&1 ;;  # any Java will do
    chromium) [ -x /usr/bin/chromium ] ;;
    *) dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" ;;
  esac
}

missing=()
for package in "${wanted[@]}"; do
  installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system: missing Debian packages: ${missing[*]}" >&2
  echo "setup-system: run: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "setup-system: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
  || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
fc-cache -f >/dev/null 2>&1 || true
