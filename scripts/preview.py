"""Render pictures of the built PDF for the README.

Usage: python scripts/preview.py BOOK.pdf OUT_DIR

Writes, with pdftoppm at 60 dpi, into OUT_DIR:
  title-page.png       the title page
  contents.png         the table of contents
  chapter-opening.png  the second chapter's opening page (a recto, after its verso)
  spread.png           a left and a right text page side by side
Pages are found through the PDF's own bookmarks and text, so any book works.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from pypdf import PdfReader


def page_of(reader: PdfReader, title: str | None) -> int:
    """1-based page of the bookmark with *title*, or of the first chapter if None."""
    marks = [item for item in reader.outline if not isinstance(item, list)]
    front = {"Title Page", "Copyright", "Contents"}
    for mark in marks:
        if (title is None and mark.title not in front) or mark.title == title:
            return reader.get_destination_page_number(mark) + 1
    raise SystemExit(f"preview: no bookmark {title or 'for a chapter'} in the PDF")


def render(pdf: Path, pages: list[int], target: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        images = []
        for number in pages:
            stem = Path(scratch) / f"p{number}"
            subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", "-f", str(number),
                            "-l", str(number), str(pdf), str(stem)], check=True)
            images.append(Image.open(f"{stem}.png").convert("RGB"))
        gap = 12
        width = sum(image.width for image in images) + gap * (len(images) + 1)
        height = max(image.height for image in images) + 2 * gap
        sheet = Image.new("RGB", (width, height), (128, 128, 128))
        x = gap
        for image in images:
            sheet.paste(image, (x, gap))
            x += image.width + gap
        sheet.save(target, optimize=True)
    print(f"preview: {target}")


def has_text(reader: PdfReader, number: int) -> bool:
    return bool(reader.pages[number - 1].extract_text().strip())


def chapter_pages(reader: PdfReader) -> list[int]:
    front = {"Title Page", "Copyright", "Contents"}
    return [reader.get_destination_page_number(item) + 1 for item in reader.outline
            if not isinstance(item, list) and item.title not in front]


def main(pdf: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    reader = PdfReader(pdf)
    render(pdf, [page_of(reader, "Title Page")], out_dir / "title-page.png")
    render(pdf, [page_of(reader, "Contents")], out_dir / "contents.png")
    openings = chapter_pages(reader)
    opening = openings[1] if len(openings) > 1 else openings[0]
    render(pdf, [opening - 1, opening] if opening > 1 else [opening], out_dir / "chapter-opening.png")
    # A verso of running text and the recto facing it (prefer one that is not an opener).
    candidates = [n for n in range(openings[0] + 1, len(reader.pages), 2)
                  if has_text(reader, n) and has_text(reader, n + 1)]
    spread = next((n for n in candidates if n + 1 not in openings), candidates[0] if candidates else None)
    if spread is not None:
        render(pdf, [spread, spread + 1], out_dir / "spread.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
