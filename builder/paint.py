"""Stage 4c: the laid-out pages -> their PDF content streams, painted on two cores.

In: WeasyPrint's PDF writer, which paints the pages one after another
(``Page.paint``), each into its own content stream, while collecting into shared
tables the fonts (with every glyph used), the graphic states and, for tagged
PDF, which text box each marked span of a page belongs to. Out: the same
streams and tables, byte for byte, with the later half of the pages painted by
a forked child while the parent paints the first half. Painting is about four
fifths of writing the PDF (2.7 s of the long book's 3.4 s).

The child is forked when the first page is painted, so it holds the same boxes
at the same addresses as the parent. It sends back plain data: per page the
content-stream operators and the text boxes it tagged (by id), and per font the
glyphs it used, the images it drew (by id: the parent's boxes hold the same
ones) and the groups it made (crop marks, transparency), as plain pydyf objects.
The parent takes them at the first of the child's pages, after painting its
own, so every font, glyph, image, group and graphic state enters WeasyPrint's
tables in the order a serial painting gives, under the name it would give
(WeasyPrint names a page's groups by a running count, so the child's groups are
renamed). What cannot travel so (a page-level pattern or shading, a graphic
state named by a count, a missing glyph, a font, image or box the parent cannot
find again), or any failure of the child, and the parent paints those pages
itself, as a serial build would (builder.parallel's rules apply too: no fork,
other threads, no memory for a copy of the process or ``BOOK_BUILDER_SERIAL``
mean serial).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import pydyf
from weasyprint.document import Document, Page
from weasyprint.draw import text as draw_text
from weasyprint.pdf.fonts import Font
from weasyprint.pdf.stream import Stream
from weasyprint.text.ffi import ffi, pango
from weasyprint.text.fonts import get_pango_font_key

from builder.parallel import Beside, can_fork

# Below this, forking costs about what it saves.
MIN_PAGES = 8
# The graphic states a text-only page adds: WeasyPrint names them by their
# alpha (a1, A0.5), so the name does not depend on what came before.
_ALPHA_STATE = re.compile(r"[aA][0-9.e-]+")
# How a page draws one of its groups (pydyf's draw_x_object).
_DRAW_GROUP = re.compile(rb"/(x[0-9]+) Do")


@dataclass(frozen=True)
class PaintedPage:
    operators: list[Any]  # what Page.paint appended to the content stream, joined
    tags: list[tuple[int, dict[str, Any]]] | None  # (id of text box, its marked-content entry)


@dataclass(frozen=True)
class UsedFont:
    key: int  # WeasyPrint's key of the font (a hash of its description)
    page: int  # the page where the child first used it
    text_box: int  # id of the text box that first used it
    to_unicode: list[tuple[int, str]]  # glyphs the child added, in its order
    widths: list[tuple[int, int]]


@dataclass(frozen=True)
class UsedImage:
    name: str  # WeasyPrint's name for it in the page resources
    page: int  # the page where the child first drew it
    image: int  # id of the image object, which one of that page's boxes holds
    interpolate: bool
    dpi_ratios: frozenset[float]


@dataclass(frozen=True)
class ChildPainting:
    first_page: int
    pages: list[PaintedPage]
    fonts: list[UsedFont]
    graphic_states: list[tuple[str, dict[str, Any]]]
    # The page resources' new XObjects in the child's order: None for an
    # image, a plain pydyf stream for a group (under the child's name).
    x_objects: list[tuple[str, pydyf.Stream | None]]
    images: list[UsedImage]


class _Refused(Exception):
    """The child painted something that cannot be handed over as plain data."""


def page_rectangle(page: Page, scale: float) -> tuple[float, float, float, float]:
    """As weasyprint.pdf.generate_pdf computes it, operation for operation, so
    that the floats are the same."""
    bleed = page.bleed
    page_width = scale * (page.width + bleed["left"] + bleed["right"])
    page_height = scale * (page.height + bleed["top"] + bleed["bottom"])
    left = -scale * bleed["left"]
    top = -scale * bleed["top"]
    right = left + page_width
    bottom = top + page_height
    return (left / scale, top / scale, (right - left) / scale, (bottom - top) / scale)


def _paint_later_pages(pages: Sequence[Page], first: int, first_stream: Any, scale: float,
                       paint: Callable[[Page, Any, float], None]) -> ChildPainting | str:
    """In the child: paint pages[first:] into streams like the writer's own; or
    say why the parent has to paint them itself."""
    fonts: dict[int, Font] = first_stream._fonts
    resources, images = first_stream._resources, first_stream._images
    glyphs_before = {key: (len(font.to_unicode), len(font.widths)) for key, font in fonts.items()}
    states_before, x_objects_before = set(resources["ExtGState"]), set(resources["XObject"])
    images_before = {name: set(entry["dpi_ratios"]) for name, entry in images.items()}
    patterns_before = len(resources["Pattern"]), len(resources["Shading"])
    font_use: dict[int, tuple[int, int]] = {}
    image_use: dict[str, int] = {}
    number = first
    shipped_draw_first_line, shipped_add_image = draw_text.draw_first_line, Stream.add_image

    def draw_first_line(stream: Any, textbox: Any, *args: Any) -> Any:
        known = len(fonts)
        emojis = shipped_draw_first_line(stream, textbox, *args)
        for key in list(fonts)[known:]:
            font_use[key] = (number, id(textbox))
        return emojis

    def add_image(stream: Any, image: Any, *args: Any) -> str:
        name: str = shipped_add_image(stream, image, *args)
        image_use.setdefault(name, number)
        return name

    # The child's own copies of the module and class: the parent's are untouched.
    draw_text.draw_first_line, Stream.add_image = draw_first_line, add_image
    painted = []
    try:
        for number in range(first, len(pages)):
            painted.append(_paint_one(pages[number], first_stream, scale, paint))
        if (len(resources["Pattern"]), len(resources["Shading"])) != patterns_before:
            raise _Refused("a pattern or shading")
        return ChildPainting(
            first, painted, _used_fonts(fonts, glyphs_before, font_use),
            _new_alpha_states(resources["ExtGState"], states_before),
            [(name, _plain(x_object)) for name, x_object in resources["XObject"].items()
             if name not in x_objects_before],
            _used_images(images, images_before, image_use))
    except _Refused as refused:
        return str(refused)


def _paint_one(page: Page, first_stream: Any, scale: float,
               paint: Callable[[Page, Any, float], None]) -> PaintedPage:
    stream = first_stream.clone(page_rectangle=page_rectangle(page, scale),
                                tags=None if first_stream._tags is None else {})
    stream.transform(d=-1, f=(page.height * scale))
    start = len(stream.stream)
    paint(page, stream, scale)
    tags = None if stream._tags is None else [(id(box), entry) for box, entry in stream._tags.items()]
    return PaintedPage(_joined(stream.stream[start:]), tags)


def _joined(operators: list[Any]) -> list[Any]:
    """The operators as the one piece of bytes pydyf makes of them (it joins a
    stream's items with newlines): quicker to send, and nothing is left for the
    parent to turn into bytes."""
    return [b"\n".join(map(pydyf._to_bytes, operators))] if operators else []


def _plain(value: Any) -> Any:
    """A group as a plain pydyf stream that pickles (WeasyPrint's Stream holds
    C buffers), with what it holds made plain too; the bytes written are the same."""
    if isinstance(value, Stream):
        return pydyf.Stream(_joined(value.stream), _plain(value.extra), value.compress)
    if isinstance(value, pydyf.Object) and value.number is not None:
        raise _Refused("an object already in the PDF")  # a copy would be written again
    if isinstance(value, pydyf.Dictionary):
        return pydyf.Dictionary({key: _plain(item) for key, item in value.items()})
    if isinstance(value, pydyf.Array):
        return pydyf.Array([_plain(item) for item in value])
    if value is None or isinstance(value, (str, bytes, int, float, bool)):
        return value
    raise _Refused(f"a {type(value).__name__} in a group")


def _used_images(images: dict[str, dict[str, Any]], before: dict[str, set[float]],
                 image_use: dict[str, int]) -> list[UsedImage]:
    used = []
    for name, entry in images.items():
        if entry["dpi_ratios"] == before.get(name):
            continue
        if name not in image_use:
            raise _Refused("an image drawn outside a page")
        used.append(UsedImage(name, image_use[name], id(entry["image"]), entry["interpolate"],
                              frozenset(entry["dpi_ratios"])))
    return used


def _used_fonts(fonts: dict[int, Font], glyphs_before: dict[int, tuple[int, int]],
                first_use: dict[int, tuple[int, int]]) -> list[UsedFont]:
    used = []
    for key, font in fonts.items():
        if font.missing or font.used_in_forms:
            raise _Refused("a missing glyph")
        old_unicode, old_widths = glyphs_before.get(key, (0, 0))
        page, text_box = first_use.get(key, (-1, 0))
        if key not in glyphs_before and page < 0:
            raise _Refused("a font not used by a line of text")
        used.append(UsedFont(key, page, text_box, list(font.to_unicode.items())[old_unicode:],
                             list(font.widths.items())[old_widths:]))
    return used


def _new_alpha_states(states: dict[str, Any], before: set[str]) -> list[tuple[str, dict[str, Any]]]:
    new = [(name, dict(state)) for name, state in states.items() if name not in before]
    if not all(_ALPHA_STATE.fullmatch(name) and set(state) <= {"ca", "CA"} for name, state in new):
        raise _Refused("a graphic state named by its number")
    return new


def _boxes_by_id(page: Page) -> dict[int, Any]:
    return {id(box): box for box in page._page_box.descendants(placeholders=True)}


def _find_font(boxes: dict[int, Any], text_box_id: int, key: int) -> Font | None:
    """The parent's own Pango font for *key*, from the text box that first used
    it (one of *boxes*, a page's), set up as weasyprint.draw.text draws it."""
    textbox = boxes.get(text_box_id)
    if textbox is None or getattr(textbox, "pango_layout", None) is None:
        return None
    textbox.pango_layout.reactivate(textbox.style)
    try:
        pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)
        line, _ = textbox.pango_layout.get_first_line()
        run = line.runs[0]
        while run != ffi.NULL:
            pango_font = run.data.item.analysis.font
            run = run.next
            found_key, description, font_size = get_pango_font_key(pango_font)
            if found_key == key:
                return Font(pango_font, description, font_size)
        return None
    finally:
        textbox.pango_layout.deactivate()


def _find_image(boxes: dict[int, Any], image_id: int) -> Any:
    """The image object one of *boxes* (a page's) holds, drawn as content or
    as a background; None if none of them has that id."""
    for box in boxes.values():
        candidates = [getattr(box, "replacement", None)]
        background = getattr(box, "background", None)
        if background is not None:
            candidates += [layer.image for layer in background.layers]
        for image in candidates:
            if image is not None and id(image) == image_id:
                return image
    return None


def _group_names(work: ChildPainting, x_objects: dict[str, Any]) -> dict[bytes, bytes]:
    """The name each of the child's groups gets here: WeasyPrint names a group
    by the count of the page resources' XObjects when it is made."""
    names, count = set(x_objects), len(x_objects)
    renamed = {}
    for name, x_object in work.x_objects:
        if x_object is not None:
            renamed[name.encode()] = f"x{count}".encode()
            count += 1
        elif name not in names:
            names.add(name)
            count += 1
    return renamed


def _renamed(painted: PaintedPage, renamed: dict[bytes, bytes]) -> PaintedPage | None:
    if not renamed or not painted.operators:
        return painted
    [operators] = painted.operators
    if any(name not in renamed for name in _DRAW_GROUP.findall(operators)):
        return None
    return PaintedPage([_DRAW_GROUP.sub(lambda found: b"/%s Do" % renamed[found[1]], operators)],
                       painted.tags)


def _enter_shared(work: ChildPainting, new_fonts: dict[int, Font], new_images: dict[str, Any],
                  stream: Any) -> None:
    """In the order of the child's first use, after the parent's own: the order
    a serial painting enters them in."""
    fonts: dict[int, Font] = stream._fonts
    for used in work.fonts:
        font = fonts.setdefault(used.key, new_fonts[used.key]) if used.key in new_fonts \
            else fonts[used.key]
        for glyph, text in used.to_unicode:
            font.to_unicode.setdefault(glyph, text)  # the first use's text wins, as in draw_first_line
        for glyph, width in used.widths:
            font.widths.setdefault(glyph, width)
    resources = stream._resources
    for name, state in work.graphic_states:
        resources["ExtGState"].setdefault(name, pydyf.Dictionary(state))
    x_objects = resources["XObject"]
    for name, x_object in work.x_objects:
        if x_object is None:
            x_objects.setdefault(name, None)
        else:
            x_objects[f"x{len(x_objects)}"] = x_object
    for used_image in work.images:
        entry = stream._images.setdefault(used_image.name, {
            "image": new_images.get(used_image.name), "interpolate": used_image.interpolate,
            "dpi_ratios": set(), "x_object": None})
        entry["dpi_ratios"].update(used_image.dpi_ratios)


def paints_on_two_cores(document: Document) -> bool:
    return len(document.pages) >= MIN_PAGES and can_fork()


class TwoCorePainter:
    """Page.paint for one write_pdf call: see the module's docstring. Once the
    last page is painted (and the child, if any, is gone), *after_painting* is
    called."""

    def __init__(self, document: Document, paint: Callable[[Page, Any, float], None],
                 after_painting: Callable[[], None] = lambda: None) -> None:
        self.pages = document.pages
        self.after_painting = after_painting
        self.number = {id(page): number for number, page in enumerate(self.pages)}
        self.shipped_paint = paint
        self.first_for_child = (len(self.pages) + 1) // 2
        self.child: Beside[ChildPainting | str | None] | None = None
        self.adopted: dict[int, tuple[PaintedPage, dict[int, Any]]] | None = None
        self.serial = not paints_on_two_cores(document)
        self.pages_from_child = 0
        self.painted_here_because: str | None = None  # the child's pages, when it is set

    def paint(self, page: Page, stream: Any, scale: float) -> None:
        number = self.number.get(id(page))
        self._paint(page, number, stream, scale)
        if number == len(self.pages) - 1:
            self.after_painting()

    def _paint(self, page: Page, number: int | None, stream: Any, scale: float) -> None:
        if self.serial or number is None:
            self.shipped_paint(page, stream, scale)
        elif number == 0 and self.child is None:
            self.child = Beside(_paint_later_pages, self.pages, self.first_for_child, stream,
                                scale, self.shipped_paint, rerun_if_child_fails=False)
            self.shipped_paint(page, stream, scale)
        elif number < self.first_for_child or self.child is None:
            self.shipped_paint(page, stream, scale)
        else:
            if self.adopted is None:
                self.adopted = self._adopt(self.child.result(), stream) or {}
            self._paint_from_child(page, number, stream, scale)

    def _paint_from_child(self, page: Page, number: int, stream: Any, scale: float) -> None:
        assert self.adopted is not None
        if number not in self.adopted:
            self.shipped_paint(page, stream, scale)
            return
        painted, boxes = self.adopted.pop(number)
        self.pages_from_child += 1
        stream.stream.extend(painted.operators)
        if painted.tags is not None:
            stream._tags.update((boxes[box_id], entry) for box_id, entry in painted.tags)

    def _adopt(self, work: ChildPainting | str | None, stream: Any
               ) -> dict[int, tuple[PaintedPage, dict[int, Any]]] | None:
        """Check that everything the child used can be found here, then enter it
        into WeasyPrint's tables; None (paint here) if anything cannot."""
        if not isinstance(work, ChildPainting):
            self.painted_here_because = work or "the child failed"
            return None
        found = self._found_again(work, stream)
        if isinstance(found, str):
            self.painted_here_because = found
            return None
        new_fonts, new_images, adopted = found
        _enter_shared(work, new_fonts, new_images, stream)
        return adopted

    def _found_again(self, work: ChildPainting, stream: Any) -> str | tuple[
            dict[int, Font], dict[str, Any], dict[int, tuple[PaintedPage, dict[int, Any]]]]:
        """The parent's own fonts and images for those new to it, and each page
        with its tagged boxes; or what could not be found."""
        boxes_on: Callable[[int], dict[int, Any]] = cache(lambda number: _boxes_by_id(self.pages[number]))
        new_fonts = {}
        for used in work.fonts:
            if used.key not in stream._fonts:
                font = _find_font(boxes_on(used.page), used.text_box, used.key) \
                    if used.page >= 0 else None
                if font is None:
                    return "a font not found again"
                new_fonts[used.key] = font
        new_images = {}
        for used_image in work.images:
            if used_image.name not in stream._images:
                new_images[used_image.name] = _find_image(boxes_on(used_image.page), used_image.image)
                if new_images[used_image.name] is None:
                    return "an image not found again"
        renamed = _group_names(work, stream._resources["XObject"])
        adopted = {}
        for number, painted in enumerate(work.pages, start=work.first_page):
            boxes = boxes_on(number) if painted.tags else {}
            if painted.tags and any(box_id not in boxes for box_id, _ in painted.tags):
                return "a tagged box not found again"
            named = _renamed(painted, renamed)
            if named is None:
                return "a group not made on its page"
            adopted[number] = (named, boxes)
        return new_fonts, new_images, adopted

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()


@contextmanager
def painting_on_two_cores(document: Document, after_painting: Callable[[], None] = lambda: None
                          ) -> Iterator[TwoCorePainter]:
    """While the block runs, the document's pages are painted by a TwoCorePainter."""
    shipped = Page.paint
    painter = TwoCorePainter(document, shipped, after_painting)

    def paint(page: Page, stream: Any, scale: float = 1) -> None:
        painter.paint(page, stream, scale)
    Page.paint = paint
    try:
        yield painter
    finally:
        Page.paint = shipped
        painter.stop()
