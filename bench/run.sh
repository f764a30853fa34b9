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
"$root/.venv/bin/python" "$here/bench.py" "$@"
# `make book` with nothing changed (target < 0.3 s): once to bring dist/ up to date, then timed.
make -s -C "$root" book >/dev/null
"$root/.venv/bin/python" - "$root" <<'PY'
import statistics, subprocess, sys, time
times = []
for _ in range(5):
    start = time.perf_counter()
    subprocess.run(["make", "-s", "-C", sys.argv[1], "book"], check=True, capture_output=True)
    times.append(time.perf_counter() - start)
median = statistics.median(times)
print(f"make book with nothing changed: median {median:.3f} s of 5 (target < 0.30 s): "
      f"{'ok' if median < 0.3 else 'MISSED'}")
PY
# The typography pass on the long and technical books: 0 ladders, page-end hyphens, runts, uneven headings.
"$root/.venv/bin/python" "$here/typography_count.py"
