"""Render pictures of the built PDF for the README.

Usage: python scripts/preview.py BOOK.pdf OUT_DIR

Writes OUT_DIR/title-page.png (the title page) and OUT_DIR/chapter-opening.png
(the first chapter's opening page next to the page after it), with pdftoppm at
60 dpi. Pages are found through the PDF's own bookmarks, so any book works.
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


def main(pdf: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    reader = PdfReader(pdf)
    render(pdf, [page_of(reader, "Title Page")], out_dir / "title-page.png")
    opening = page_of(reader, None)
    render(pdf, [opening, opening + 1], out_dir / "chapter-opening.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
