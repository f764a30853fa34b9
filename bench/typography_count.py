"""The typography pass on the bench's books: what it leaves, and what it costs.

In: book folders (default: the long and the technical bench books, written by
make_long_book.py into a temporary folder). Out: one line per book, e.g.
``typography long: 0 ladders, 0 page-end hyphens, 0 runts, 0 uneven headings (304 pages,
8,046 lines, 702 hyphenated; 3 layouts, 40.8 s; first layout 16.3 s)``, and exit
status 1 when anything is left (the target is 0 of each). `make bench` runs it
(bench/run.sh); it is too slow for `make test`, whose tests/test_typography.py
counts the fixture books.

Run: ``python bench/typography_count.py [BOOK_DIR ...]``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def count(book_dir: Path) -> tuple[str, bool]:
    from builder import typography
    from builder.config import load_config
    from builder.layout import layout, print_resources
    from builder.manuscript import read_book
    from builder.render import render_print

    book = read_book(load_config(book_dir))
    resources = print_resources(book)
    times: list[float] = []
    shipped = typography.settle

    def timed_settle(html: str, lay_out: Any, rounds: int = typography.MAX_ROUNDS) -> typography.Outcome:
        def timed(text: str) -> Any:
            start = time.perf_counter()
            document = lay_out(text)
            times.append(time.perf_counter() - start)
            return document
        return shipped(html, timed, rounds)

    import builder.layout

    builder.layout.settle = timed_settle  # type: ignore[attr-defined]
    try:
        document, _ = layout(book, render_print(book), resources)
    finally:
        builder.layout.settle = shipped  # type: ignore[attr-defined]
    lines = typography.read_lines(document)
    if lines is None:
        return f"typography {book_dir.name}: typography pass off (see the adapter's note)", False
    left = Counter(finding.kind for finding in typography.findings(lines))
    hyphenated = sum(line.hyphenated for line in lines)
    line = (f"typography {book_dir.name}: {left['ladder']} ladders, {left['page-end']} page-end hyphens, "
            f"{left['runt']} runts, {left['heading']} uneven headings ({len(document.pages)} pages, "
            f"{len(lines):,} lines, {hyphenated:,} hyphenated; {len(times)} layouts, {sum(times):.1f} s; "
            f"first layout {times[0]:.1f} s)")
    return line, not left


def main(argv: Sequence[str]) -> int:
    books = [Path(arg) for arg in argv]
    with tempfile.TemporaryDirectory(prefix="typography-bench-") as scratch:
        if not books:
            for kind in ("long", "technical"):
                subprocess.run([sys.executable, str(HERE / "make_long_book.py"), f"{scratch}/{kind}",
                                "--kind", kind], check=True, capture_output=True)
                books.append(Path(scratch) / kind)
        settled = True
        for book in books:
            line, clean = count(book)
            print(line, flush=True)
            settled = settled and clean
    return 0 if settled else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
