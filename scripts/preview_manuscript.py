"""Pictures of a technical manuscript in both editions, for the README.

Usage: python scripts/preview_manuscript.py OUT_DIR [BOOK_DIR]

Builds BOOK_DIR (default: tests/fixtures/tech-book, a manuscript written for
GitHub/mdBook) into a temporary folder, then writes into OUT_DIR:
  manuscript-code-spread.png   the PDF page with the most code and its facing page
  manuscript-figures.png       the PDF page with the figures
  manuscript-epub-code.png     the same code chapter in a reading system (epub.js)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from preview import render  # noqa: E402  (scripts/preview.py)

from builder.pipeline import build  # noqa: E402


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")


def main(out_dir: Path, book: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "book"
        shutil.copytree(book, copy, ignore=shutil.ignore_patterns(".cache", "dist"))
        result = build(copy, Path(scratch) / "dist")
        epub, pdf = sorted(result.files)
        pages = page_texts(pdf)
        # The spread (a verso and its recto) holding the most code.
        code_lines = [sum(line.startswith("    ") for line in text.splitlines()) for text in pages]
        verso = max(range(2, len(pages), 2), key=lambda n: code_lines[n - 1] + code_lines[n])
        render(pdf, [verso, verso + 1], out_dir / "manuscript-code-spread.png")
        figures = next(n + 1 for n, text in enumerate(pages) if "Figure 1" in text)
        render(pdf, [figures], out_dir / "manuscript-figures.png")
        shots = Path(scratch) / "shots"
        env = {**os.environ, "READER_SHOW": "ch-01-code.xhtml=manuscript-epub-code.png"}
        subprocess.run(["bash", str(ROOT / "scripts" / "reader" / "screenshots.sh"), str(epub), str(shots)],
                       env=env, check=True)
        shutil.copy(shots / "manuscript-epub-code.png", out_dir / "manuscript-epub-code.png")
        print(f"preview: {out_dir / 'manuscript-epub-code.png'}")


if __name__ == "__main__":
    default_book = ROOT / "tests" / "fixtures" / "tech-book"
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else default_book)
