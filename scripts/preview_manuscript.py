"""Pictures of a technical manuscript in both editions, for the README.

Usage: python scripts/preview_manuscript.py OUT_DIR [BOOK_DIR]

Builds BOOK_DIR (default: tests/fixtures/tech-book, a manuscript written for
GitHub/mdBook) into a temporary folder, then writes into OUT_DIR:
  manuscript-code-spread.png   the PDF page with the most code and its facing page
  manuscript-figures.png       the PDF page with the figures
  manuscript-epub-code.png     the same code chapter in a reading system (epub.js)
  scholarly-print.png          PDF pages: a numbered figure with its reference, the bibliography,
                               the index
  scholarly-epub.png           the same three in a reading system (epub.js)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from PIL import Image  # noqa: E402
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
        # A figure with a reference to it, the index, the bibliography: print, then the EPUB.
        referring = re.compile(r"see\s+Figure\s+\S+\s+on\s+page")
        reference = next(n + 1 for n, text in enumerate(pages) if referring.search(text))
        lines = [[line.strip() for line in text.splitlines()] for text in pages]
        index, bibliography = (next(n + 1 for n, page in enumerate(lines) if title in page)
                               for title in ("Index", "References"))
        render(pdf, list(dict.fromkeys([reference, bibliography, index])), out_dir / "scholarly-print.png")
        shots = Path(scratch) / "shots"
        scholarly = ["ch-02-figures.xhtml#ch-02-figures--fig-map", "bibliography.xhtml", "index.xhtml"]
        shown = ",".join(["ch-01-code.xhtml=manuscript-epub-code.png",
                          *(f"{name}=scholarly-{n}.png" for n, name in enumerate(scholarly))])
        subprocess.run(["bash", str(ROOT / "scripts" / "reader" / "screenshots.sh"), str(epub), str(shots)],
                       env={**os.environ, "READER_SHOW": shown}, check=True)
        shutil.copy(shots / "manuscript-epub-code.png", out_dir / "manuscript-epub-code.png")
        side_by_side([shots / f"scholarly-{n}.png" for n in range(len(scholarly))],
                     out_dir / "scholarly-epub.png")
        print(f"preview: {out_dir / 'manuscript-epub-code.png'}, {out_dir / 'scholarly-epub.png'}")


def side_by_side(pictures: list[Path], target: Path) -> None:
    images = [Image.open(picture).convert("RGB") for picture in pictures]
    joined = Image.new("RGB", (sum(i.width for i in images) + 8 * (len(images) - 1),
                               max(i.height for i in images)), "white")
    x = 0
    for image in images:
        joined.paste(image, (x, 0))
        x += image.width + 8
    joined.save(target)


if __name__ == "__main__":
    default_book = ROOT / "tests" / "fixtures" / "tech-book"
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else default_book)
