"""Write our final print HTML where bare WeasyPrint can read it.

In: a book folder and a target folder. Out: the target folder holds a copy of the
book folder, ``print.html`` (the builder's one print document, exactly as the PDF
stage gets it), ``styles/*.css`` (the stylesheets the builder actually used,
which for a book without ``styles/`` are the project's own, served from memory
when we build) and ``images/*`` (the chapters' images under the names the HTML
uses, which the builder also serves from memory). The HTML links ``styles/base.css`` and ``styles/print.css``
relative to itself, so ``weasyprint target/print.html out.pdf`` lays out what our
builder lays out, reading the same files.

Run with the project's interpreter: ``.venv/bin/python bench/print_html.py BOOK TARGET``.
It uses the builder's API: config -> manuscript -> render.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from builder import render
from builder.config import load_config
from builder.manuscript import read_book


def write_print_html(book_dir: Path, target: Path) -> Path:
    """Copy *book_dir* to *target*, add print.html and the styles; return the HTML's path."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(book_dir, target, ignore=shutil.ignore_patterns("dist", ".cache", ".git"))
    book = read_book(load_config(target))
    # render_book() gives both editions; render_print() is the print half alone.
    if hasattr(render, "render_book"):
        html = render.render_book(book).print_html
    else:
        html = render.render_print(book)
    styles = target / "styles"
    styles.mkdir(exist_ok=True)
    for name, css in book.styles:
        (styles / name).write_text(css, encoding="utf-8")
    # The builder serves each image from memory as images/<name>-<hash>.<ext>; the
    # floor reads the same bytes from a file of that name next to print.html.
    for image in book.images:
        (target / image.href).parent.mkdir(parents=True, exist_ok=True)
        (target / image.href).write_bytes(image.data)
    out = target / "print.html"
    out.write_text(html, encoding="utf-8")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: print_html.py BOOK_DIR TARGET_DIR", file=sys.stderr)
        return 2
    print(write_print_html(Path(argv[0]), Path(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
