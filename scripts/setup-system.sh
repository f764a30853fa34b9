#!/usr/bin/env bash
# Installs the Debian packages the project needs that PyPI cannot provide.
#   scripts/setup-system.sh build   fonts and libraries `make book` needs
#   scripts/setup-system.sh test    ... plus the tools the tests use
# Installs only what is missing; as root it uses apt-get, otherwise it says
# which packages to install and fails.
set -euo pipefail

build_packages=(
  fonts-ebgaramond          # the book typeface (SIL OFL)
  libharfbuzz-subset0       # WeasyPrint's fast font subsetting
  fonts-dejavu-core         # the monospace face for code
  libpango-1.0-0 libpangoft2-1.0-0 fontconfig
)
test_packages=(
  poppler-utils             # pdftotext, pdffonts, pdftoppm, pdfinfo
  qpdf                      # qpdf --check
  default-jre-headless      # EPUBCheck runs on Java
)

wanted=("${build_packages[@]}")
if [ "${1:-build}" = "test" ]; then wanted+=("${test_packages[@]}"); fi

missing=()
for package in "${wanted[@]}"; do
  if [ "$package" = default-jre-headless ] && command -v java >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system: missing Debian packages: ${missing[*]}" >&2
  echo "setup-system: run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "setup-system: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
  || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
fc-cache -f >/dev/null 2>&1 || true
