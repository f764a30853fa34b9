"""Runs every hostile case in one process and reports each outcome as JSON.

Usage: python -m tests.hostile.run WORK_DIR REPORT_FILE
For each case: a copy of the small fixture book in WORK_DIR/<case>/book and a
folder outside it, WORK_DIR/<case>/outside; the case is made, the command run
in this process (as `python -m builder` runs it, with a time guard), and what
came of it recorded: exit code, what was said, the text of both editions, what
changed outside, temporary files left in dist/. One process, so WeasyPrint is
imported once; run under strace by tests/test_hostile.py, which reads only what
happened between each case's BUILDER-START and BUILDER-END marks.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from builder.cli import main
from tests.hostile.books import CASES, Case

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "small-book"
TIME_GUARD = 120  # seconds; a case that takes longer hangs


class _Hang(Exception):
    pass


def _on_alarm(signum: int, frame: object) -> None:
    raise _Hang


def _snapshot(folder: Path) -> dict[str, str]:
    seen = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            seen[str(path.relative_to(folder))] = "other"
        elif path.stat().st_size < 50_000_000:
            seen[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def _edition_texts(dist: Path) -> dict[str, str]:
    texts = {}
    for epub in [path for path in dist.glob("*.epub") if path.is_file()]:
        with zipfile.ZipFile(epub) as archive:
            texts["epub"] = "\n".join(archive.read(name).decode("utf-8", "replace")
                                      for name in archive.namelist()
                                      if name.endswith((".xhtml", ".css", ".opf")))
    for pdf in [path for path in dist.glob("*.pdf") if path.is_file()]:
        # In the order the text is drawn: a table's cell whole, though its lines sit beside others'.
        texts["pdf"] = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                      check=False).stdout
    return texts


def _mark(text: str) -> None:
    """A line in the strace log (an open that fails) between a case's set-up and its run."""
    with contextlib.suppress(OSError):
        os.open(f"/dev/null/{text}", os.O_RDONLY)


def run_case(case: Case, work: Path) -> dict[str, Any]:
    home = work / case.name
    book, outside = home / "book", home / "outside"
    shutil.copytree(FIXTURE, book)
    outside.mkdir(parents=True)
    case.make(book, outside)
    before = _snapshot(outside)
    said = io.StringIO()
    argv = {"build": ["build", str(book)], "epub": ["build", "--epub", str(book)],
            "import": ["import", str(book / "src"), str(home / "imported")]}[case.command]
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(TIME_GUARD)
    _mark(f"BUILDER-START-{case.name}")
    try:
        code = main(argv, stderr=said)
        if case.command != "import" and code == 0:
            check = io.StringIO()
            main(["check", str(book)], stderr=check)
            said.write(check.getvalue())
    except _Hang:
        code = "hang"
    except BaseException as exc:  # what `main` let through: a crash
        code = f"escaped {exc!r}"
    finally:
        signal.alarm(0)
        _mark(f"BUILDER-END-{case.name}")
    dist = book / "dist" if case.command != "import" else home / "imported" / "dist"
    return {
        "code": code,
        "said": said.getvalue(),
        "texts": _edition_texts(dist) if dist.is_dir() else {},
        "leftovers": [p.name for p in dist.glob(".*")] if dist.is_dir() else [],
        "outside_changed": _snapshot(outside) != before or (outside / "program-ran").exists(),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def main_(argv: list[str]) -> int:
    work, report = Path(argv[0]), Path(argv[1])
    wanted = set(argv[2:])
    results = {}
    for case in CASES:
        if not wanted or case.name in wanted:
            results[case.name] = run_case(case, work)
            report.write_text(json.dumps(results), encoding="utf-8")  # what is done so far
    return 0


if __name__ == "__main__":
    os.environ.setdefault("SOURCE_DATE_EPOCH", "")
    sys.exit(main_(sys.argv[1:]))
