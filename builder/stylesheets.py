"""The book's style sheets: which there are, and where each one comes from.

In: a book folder and a sheet's name. Out: the path of the book's own sheet,
else of the project's default. Kept apart from the manuscript stage (Markdown,
Jinja2) so that the PDF stage can name a sheet in a message without loading it.
"""

from __future__ import annotations

from pathlib import Path

STYLES_DIR = Path("styles")
STYLE_SHEETS = ("base.css", "epub.css", "print.css")
# A book folder without styles/ is typeset with this project's own sheets.
DEFAULT_STYLES = Path(__file__).resolve().parent.parent / "styles"


def style_path(book_dir: Path, name: str) -> Path:
    """Where style sheet *name* comes from: the book's own, else the project's default."""
    own = book_dir / STYLES_DIR / name
    return own if own.is_file() else DEFAULT_STYLES / name
