"""The style sheets: the house style, and the book's own sheets layered over it.

In: the names of the sheets a book has. Out: which sheets each edition links,
in cascade order, and where each one comes from. The house sheets are package
data (``builder/styles/``): base.css for both editions, epub.css, print.css. A
book's own ``styles/base.css``, ``epub.css`` or ``print.css`` is linked right
after the house sheet of the same name, and ``styles/custom.css`` last in both
editions, so a book's sheet adds to the house style instead of replacing it.
Kept apart from the manuscript stage (Markdown, Jinja2) so that the layout can
name a sheet in a message without loading it.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from builder.model import Target

HOUSE_STYLES = Path(__file__).resolve().parent / "styles"
HOUSE_SHEETS = ("base.css", "epub.css", "print.css")
STYLES_DIR = Path("styles")
BOOK_SHEETS = ("base.css", "epub.css", "print.css", "custom.css")
EDITION_SHEETS: dict[Target, tuple[str, ...]] = {
    "epub": ("base.css", "epub.css"),
    "print": ("base.css", "print.css"),
}
_OWN = "book-"  # a book's own sheet is named so in both editions, beside the house sheet


def own_name(file_name: str) -> str:
    """The name a book's ``styles/<file_name>`` has in the editions."""
    return _OWN + file_name


def edition_sheets(target: Target, names: Collection[str]) -> list[str]:
    """The sheets *target* links, in cascade order, of the *names* the book has."""
    order = []
    for house in EDITION_SHEETS[target]:
        order.append(house)
        if own_name(house) in names:
            order.append(own_name(house))
    if own_name("custom.css") in names:
        order.append(own_name("custom.css"))
    return order


def style_path(book_dir: Path, name: str) -> Path:
    """Where sheet *name* comes from: the book's styles/ folder, or the house style."""
    if name.startswith(_OWN):
        return book_dir / STYLES_DIR / name.removeprefix(_OWN)
    return HOUSE_STYLES / name
