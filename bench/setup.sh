#!/usr/bin/env bash
# Installs the Debian tools the benchmark needs, only those that are missing:
#   pandoc         the baseline we measure against (Debian's, 2.17 on bookworm)
#   time           /usr/bin/time (not used for the numbers, handy for checking them)
#   poppler-utils  pdfinfo, for the page counts
# The project's one installer does it (scripts/setup-system.sh, profile "bench").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$root/scripts/setup-system.sh" bench
