#!/usr/bin/env bash
# Writes the lock files from pyproject.toml's ranges, every file's sha256 listed:
#   requirements/runtime.lock   what `make book` installs
#   requirements/test.lock      the same versions plus the test extra (what `make test` installs)
# Usage:
#   bash scripts/lock.sh             keep the locked versions; change only what pyproject.toml now requires
#   bash scripts/lock.sh --upgrade   the newest versions pyproject.toml allows (`make upgrade` runs this)
# The locks are resolved for Python 3.11 and later on any platform (uv's universal mode): where a
# package's newest release needs a newer Python than some 3.11 (Debian 12 has 3.11.2), the lock
# holds both versions, each behind a python_full_version marker.
# uv itself, pinned here, is installed into .tools/uv (gitignored) with $PYTHON (default python3).
set -euo pipefail

UV_VERSION=0.13.9
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools/uv"
UV="$TOOLS/bin/uv"

if ! [ -x "$UV" ] || [ "$("$UV" --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  echo "lock: installing uv $UV_VERSION into $TOOLS" >&2
  rm -rf "$TOOLS"
  "${PYTHON:-python3}" -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
fi

cd "$ROOT"
mkdir -p requirements
common=(--python-version 3.11 --universal --generate-hashes --quiet
        --custom-compile-command "bash scripts/lock.sh")
"$UV" pip compile pyproject.toml "${common[@]}" "$@" -o requirements/runtime.lock
# The runtime lock constrains the test lock, so the versions the two share are the same.
"$UV" pip compile pyproject.toml --extra test -c requirements/runtime.lock "${common[@]}" "$@" \
  -o requirements/test.lock
echo "lock: wrote requirements/runtime.lock and requirements/test.lock" >&2
