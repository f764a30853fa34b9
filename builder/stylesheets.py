"""The style sheets: the house style, and the book's own sheets layered over it.

In: the names of the sheets a book has. Out: which sheets each edition links,
in cascade order, and where each one comes from. The house sheets are package
data (``builder/styles/``): base.css for both editions, epub.css, print.css. A
book's own ``styles/base.css``, ``epub.css`` or ``print.css`` is linked right
after the house sheet of the same name, and ``styles/custom.css`` last in both
editions, so a book's sheet adds to the house style instead of replacing it.

book.toml's [style] (a Style) becomes up to two generated sheets: ``style-base.css``
(the faces, both editions) right after the house base.css, and ``style-print.css``
(size, leading, the running heads' face; print only) right after the house
print.css, each before the book's own sheet of the same name, so a book's sheet
still has the last word. A book without [style] gets neither.
Kept apart from the manuscript stage (Markdown, Jinja2) so that the layout can
name a sheet in a message without loading it.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from builder.model import Style, Target

HOUSE_STYLES = Path(__file__).resolve().parent / "styles"
HOUSE_SHEETS = ("base.css", "epub.css", "print.css")
STYLES_DIR = Path("styles")
BOOK_SHEETS = ("base.css", "epub.css", "print.css", "custom.css")
EDITION_SHEETS: dict[Target, tuple[str, ...]] = {
    "epub": ("base.css", "epub.css"),
    "print": ("base.css", "print.css"),
}
_OWN = "book-"  # a book's own sheet is named so in both editions, beside the house sheet
_GENERATED = "style-"  # a sheet made from book.toml's [style]
GENERATED_SOURCE = Path("book") / "book.toml"  # where a generated sheet's rules come from

# The faces [style] may name: those scripts/setup-system.sh installs for the build
# (fonts-ebgaramond, SIL OFL; fonts-dejavu-core, the free Bitstream Vera licence),
# each with the fallbacks a reading system without it uses.
FONT_FAMILIES: dict[str, str] = {
    "EB Garamond": '"EB Garamond", Garamond, "Linux Libertine O", Georgia, serif',
    "DejaVu Serif": '"DejaVu Serif", "Bitstream Vera Serif", Georgia, serif',
    "DejaVu Sans": '"DejaVu Sans", "Bitstream Vera Sans", Verdana, sans-serif',
    "DejaVu Sans Mono": '"DejaVu Sans Mono", Menlo, Consolas, monospace',
}
MONOSPACE_FAMILIES = ("DejaVu Sans Mono",)  # the ones code_font may name: code needs even widths
_HEADINGS = "h1, h2, h3, h4, h5, h6, .halftitle-title"
_CODE = "pre, code, kbd, samp, .codehilite .filename"


def own_name(file_name: str) -> str:
    """The name a book's ``styles/<file_name>`` has in the editions."""
    return _OWN + file_name


def edition_sheets(target: Target, names: Collection[str]) -> list[str]:
    """The sheets *target* links, in cascade order, of the *names* the book has."""
    order = []
    for house in EDITION_SHEETS[target]:
        order.append(house)
        for layer in (_GENERATED + house, own_name(house)):
            if layer in names:
                order.append(layer)
    if own_name("custom.css") in names:
        order.append(own_name("custom.css"))
    return order


def style_path(book_dir: Path, name: str) -> Path:
    """Where sheet *name* comes from: the book's styles/ folder, book.toml (a
    generated sheet), or the house style."""
    if name.startswith(_OWN):
        return book_dir / STYLES_DIR / name.removeprefix(_OWN)
    if name.startswith(_GENERATED):
        return book_dir / GENERATED_SOURCE
    return HOUSE_STYLES / name


def generated_sheets(style: Style) -> tuple[tuple[str, str], ...]:
    """The sheets *style* makes, as (name, CSS text): none for the house defaults.
    The faces go to both editions; the size and leading to print only, since an
    e-reader leaves those to its reader."""
    faces = [(selector, family) for selector, family in
             (("body", style.body_font), (_HEADINGS, style.heading_font), (_CODE, style.code_font))
             if family is not None]
    sheets = []
    if faces:
        rules = "".join(f"{selector} {{ font-family: {FONT_FAMILIES[family]}; }}\n"
                        for selector, family in faces)
        sheets.append((_GENERATED + "base.css", "/* book.toml [style]: the faces */\n" + rules))
    print_rules = []
    if style.font_size is not None:
        print_rules.append(f"html {{ font-size: {style.font_size}; }}\n")
    if style.leading is not None:
        print_rules.append(f"body {{ line-height: {style.leading:g}; }}\n")
    if style.body_font is not None:
        # The running heads and folios are set in the body's face, at their own size.
        family = FONT_FAMILIES[style.body_font]
        print_rules.append(f"@page {{ @top-center {{ font-family: {family}; }} "
                           f"@bottom-center {{ font-family: {family}; }} }}\n")
    if print_rules:
        sheets.append((_GENERATED + "print.css",
                       "/* book.toml [style]: print size, leading and running heads */\n"
                       + "".join(print_rules)))
    return tuple(sheets)
