#!/usr/bin/env bash
# The benchmark's single entry point (`make bench`): installs the Debian tools it
# needs (bench/setup.sh), then runs bench/bench.py with the project's interpreter.
# Arguments are passed on (see `bash bench/run.sh --help`); so are the BENCH_*
# variables: BENCH_ROUNDS_REAL, BENCH_ROUNDS_LONG, BENCH_ROUNDS_TECHNICAL, BENCH_WARMUP,
# BENCH_BOOKS, BENCH_ONLY.
# Out: the table on stdout, bench/results/latest.json.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
if [ ! -x "$root/.venv/bin/python" ]; then
  echo "bench: no $root/.venv; run \`make book\` once first" >&2
  exit 2
fi
bash "$here/setup.sh"
exec "$root/.venv/bin/python" "$here/bench.py" "$@"
