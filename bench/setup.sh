#!/usr/bin/env bash
# Installs the Debian tools the benchmark needs, only those that are missing:
#   pandoc         the baseline we measure against (Debian's, 2.17 on bookworm)
#   time           /usr/bin/time (not used for the numbers, handy for checking them)
#   poppler-utils  pdfinfo, for the page counts
# As root it uses apt-get (and `apt-get update` once if the first try fails);
# otherwise it prints the line to run and fails.
set -euo pipefail

declare -A provides=([pandoc]=pandoc [time]=/usr/bin/time [poppler-utils]=pdfinfo)
missing=()
for package in pandoc time poppler-utils; do
  command -v "${provides[$package]}" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "bench/setup: missing Debian packages: ${missing[*]}" >&2
  echo "bench/setup: run: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "bench/setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
  || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
