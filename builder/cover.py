"""The covers: BookMeta -> the EPUB's generated cover (a PNG, 1600 x 2560 px, ratio 1:1.6),
and BookMeta + the print page count -> the print cover (a PDF).

In: title, subtitle, authors (and for print the blurb, the [print] profile and paper,
the book's cover picture if it has one). Out: PNG bytes, the same bytes for the same
metadata (Pillow writes no timestamps), used when `book/cover.png` (or .jpg) is not
supplied; and `render_print_cover`'s PDF, the full wrap (back, spine, front, with bleed)
sized by builder.printers.cover_size from the page count and the paper, laid out by
WeasyPrint from templates/cover.html.j2 (the book's picture on the front, or the front
set in type). The typeface is the book's (EB Garamond via fontconfig).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import textwrap
from dataclasses import replace
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from builder.model import BookMeta

WIDTH, HEIGHT = 1600, 2560
BACKGROUND = (31, 42, 54)
INK = (244, 236, 220)
ACCENT = (196, 160, 98)
FONT_FAMILY = "EB Garamond"


@lru_cache(maxsize=4)
def _font_file(style: str) -> str | None:
    if shutil.which("fc-match") is None:
        return None
    found = subprocess.run(
        ["fc-match", "-f", "%{file}", f"{FONT_FAMILY}:style={style}"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()
    return found or None


def _font(size: int, style: str = "Regular") -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_file(style)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def _centered(draw: ImageDraw.ImageDraw, lines: list[str], top: float, font: object, gap: int) -> float:
    for line in lines:
        box = draw.textbbox((0, 0), line, font=font)  # type: ignore[arg-type]
        draw.text(((WIDTH - (box[2] - box[0])) / 2, top), line, font=font, fill=INK)  # type: ignore[arg-type]
        top += (box[3] - box[1]) + gap
    return top


def render_cover(meta: BookMeta) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((80, 80, WIDTH - 80, HEIGHT - 80), outline=ACCENT, width=6)
    top = _centered(draw, textwrap.wrap(meta.title.upper(), 14), 520, _font(150), 50)
    draw.line((WIDTH / 2 - 200, top + 60, WIDTH / 2 + 200, top + 60), fill=ACCENT, width=5)
    if meta.subtitle:
        _centered(draw, textwrap.wrap(meta.subtitle, 30), top + 160, _font(72, "Italic"), 36)
    _centered(draw, [" · ".join(meta.authors)], HEIGHT - 420, _font(96), 30)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)  # optimize=True costs 0.1 s a build for 2 %
    return out.getvalue()


def render_print_cover(meta: BookMeta, pages: int, front: bytes | None = None,
                       front_name: str = "cover.png") -> bytes:
    """The print cover's PDF for a book of *pages* printed pages; *front*, the book's own
    cover picture (else the front is set in the book's type)."""
    from builder.fetch import BOOK_URL, BookFetcher
    from builder.layout_messages import weasyprint_messages
    from builder.printers import BARCODE_AREA_IN, cover_size
    from builder.render import environment
    from builder.speed.library_lookup import import_weasyprint

    import_weasyprint()
    from weasyprint import HTML

    size = cover_size(replace(meta.print, print_job=True), pages)
    href = f"book/{front_name}" if front else ""
    html = environment().get_template("cover.html.j2").render(
        meta=meta, size=size, barcode=BARCODE_AREA_IN, front_image=href,
        font=meta.style.body_font or FONT_FAMILY)
    fetcher = BookFetcher(meta.root, {href: front} if front else {})
    with weasyprint_messages(fetcher):
        data = HTML(string=html, base_url=BOOK_URL, url_fetcher=fetcher).write_pdf()
    assert isinstance(data, bytes)
    return data
