"""The generated cover: BookMeta -> a PNG (1600 x 2560 px, ratio 1:1.6).

In: title, subtitle and authors. Out: PNG bytes, the same bytes for the same
metadata (Pillow writes no timestamps). Used when `book/cover.png` (or .jpg)
is not supplied. The typeface is the book's (EB Garamond via fontconfig).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import textwrap
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
