"""Images: the `<img>` elements of a chapter -> checked files the editions carry.

In: a chapter's tree, its path and text, the book folder. Out: a BookImage per
distinct file (bytes, media type, pixel size), with every `src` rewritten to
the one name both editions use, `images/<name>`; the EPUB stores the file
under that name and the PDF's URL fetcher serves it from memory. Problems
(missing file, not an image, too large, outside the book, remote, no alt text)
are reported with the line where the image is written; a missing file with the
book's image file whose name is closest, if one is close. The paths each image
was looked for at are returned: what a chapter's draft depends on besides its
text (builder.speed.drafts). An SVG whose text names
a face the build does not have by a generic family or a common system face (serif,
Times, sans-serif, Arial, monospace, Courier) names the house face of that kind
first (svg_faces): the face a reader's system substitutes has other widths, and
the text overruns the boxes drawn for it.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

from builder.bookfolder import MAX_IMAGE_BYTES, BookFolder, Refused, TooLarge
from builder.checks import locate
from builder.config import slugify
from builder.errors import Location, Problems, close_file
from builder.model import BookImage

MAX_IMAGE_PIXELS = 50_000_000
# The raster formats every EPUB 3 reading system must show, and SVG.
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_SVG_LENGTH = 100_000  # px: a drawing larger than any page, by far
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp",
              "image/svg+xml": "svg"}
# The names an image file may have, for "did you mean"; a glob of any case ("[pP][nN][gG]").
IMAGE_GLOBS = tuple("**/*." + "".join(f"[{c}{c.upper()}]" for c in suffix)
                    for suffix in ("png", "jpg", "jpeg", "gif", "webp", "svg"))


def collect_images(chapter: Path, text: str, root: etree._Element, book_root: Path,
                   problems: Problems, found: dict[Path, BookImage]) -> list[Path]:
    """Check every image of the chapter and point its src at the shared name. Returns each
    path an image was looked for at, there or not: the files the chapter's markup depends on."""
    looked_for: list[Path] = []
    for image in root.iter("img"):
        src = (image.get("src") or "").strip()
        where = locate(chapter, text, f"({src}", f'"{src}"', src) if src else locate(chapter, text, "<img")
        alt = image.get("alt")
        if alt is None or not alt.strip():
            problems.error(f"the image {src!r} has no alt text; describe it: ![what it shows]({src})", where)
        if not src:
            problems.error("an image without a src; give the file name", where)
            continue
        if urlsplit(src).scheme:
            problems.error(f"{src!r} is not in the book folder; the builder fetches nothing from the "
                           "network: download the image into the book and link to it there", where)
            continue
        candidates = [base / unquote(urlsplit(src).path) for base in (chapter.parent, book_root)]
        looked_for += candidates
        # The first that is there, read (or refused) through the book folder's door.
        path = next((candidate for candidate in candidates if os.path.lexists(candidate)), None)
        if path is None:
            hint = close_file(src, BookFolder.at(book_root), [chapter.parent, book_root], IMAGE_GLOBS)
            problems.error(f"image {src!r} not found next to the chapter or in the book folder{hint}", where)
            continue
        try:
            path = BookFolder.at(book_root).locate(path)
        except Refused:
            problems.error(f"image {src!r} is outside the book folder; copy it into the book", where)
            continue
        if path not in found:
            loaded = _load(path, src, where, problems, book_root)
            if loaded is None:
                continue
            found[path] = loaded
        image.set("src", found[path].href)
        _warn_low_print_resolution(image, found[path], src, where, problems)
    return looked_for


COVER_NAMES = ("cover.png", "cover.jpg", "cover.jpeg")
COVER_MIN_LONG_SIDE = 1600


def read_cover(book_root: Path, problems: Problems) -> BookImage | None:
    """book/cover.png (or .jpg): the author's own cover, checked like any image."""
    for name in COVER_NAMES:
        path = book_root / "book" / name
        if os.path.lexists(path):
            where = Location(path)
            image = _load(path, name, where, problems, book_root)
            if image is None:
                return None
            if image.media_type not in ("image/png", "image/jpeg"):
                problems.error("the cover must be a PNG or JPEG file", where)
                return None
            if max(image.width, image.height) < COVER_MIN_LONG_SIDE:
                problems.warning(f"the cover is {image.width} × {image.height} px; stores want at "
                                 f"least {COVER_MIN_LONG_SIDE} px on the long side", where)
            extension = EXTENSIONS[image.media_type]
            return BookImage(path, f"images/cover.{extension}", image.media_type, image.data,
                             image.width, image.height)
    return None


PRINT_MIN_DPI = 150
CSS_PX_PER_INCH = 96


def _warn_low_print_resolution(image: etree._Element, found: BookImage, src: str, where: Location,
                               problems: Problems) -> None:
    """Print shows an image at 300 dpi unless a width asks for more room: then say
    when it would print under 150 dpi (it would look soft)."""
    width = image.get("width")
    if not width or not width.isdigit() or not found.width or int(width) == 0:
        return
    dpi = found.width / (int(width) / CSS_PX_PER_INCH)
    if dpi < PRINT_MIN_DPI:
        problems.warning(f"image {src!r} prints at {dpi:.0f} dpi at width {width} (under "
                         f"{PRINT_MIN_DPI}: it will look soft); use a larger image or a smaller width",
                         where)


def _load(path: Path, src: str, where: Location, problems: Problems, book_root: Path) -> BookImage | None:
    try:
        data = BookFolder.at(book_root).read_bytes(path, MAX_IMAGE_BYTES)
    except TooLarge as exc:
        problems.error(f"image {src!r} is too large: {exc}; make it smaller (reading systems choke "
                       "on larger images)", where)
        return None
    except Refused as exc:
        problems.error(f"image {src!r}: {exc}", where)
        return None
    svg = _svg_root(data)
    try:
        kind = _identify(data, svg)
    except ValueError as exc:
        problems.error(f"image {src!r}: {exc}", where)
        return None
    if kind is None:
        problems.error(f"{src!r} is not an image EPUB readers can show (PNG, JPEG, GIF, WebP or SVG)",
                       where)
        return None
    media_type, width, height = kind
    active = svg_active_content(svg) if svg is not None else None
    if active:
        problems.error(f"image {src!r} holds {active}; a book carries no active content: remove it "
                       "from the SVG", where)
        return None
    if width * height > MAX_IMAGE_PIXELS:
        problems.error(f"image {src!r} is {width} × {height} pixels; the limit is "
                       f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels: scale it down", where)
        return None
    if svg is not None and svg_faces(svg):
        data = etree.tostring(svg, xml_declaration=True, encoding="UTF-8")
    digest = hashlib.sha256(data).hexdigest()[:8]
    name = f"{slugify(path.stem)}-{digest}.{EXTENSIONS[media_type]}"
    return BookImage(path, f"images/{name}", media_type, data, width, height)


def _svg_root(data: bytes) -> etree._Element | None:
    """The parsed SVG, when the bytes are one (parsed once, for its size and its content)."""
    head = data[:1024].lstrip()
    if not (head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in head):
        return None
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    return root if etree.QName(root).localname == "svg" else None


def _identify(data: bytes, svg: etree._Element | None) -> tuple[str, int, int] | None:
    """(media type, width, height), or None when the bytes are no image we carry."""
    head = data[:1024].lstrip()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in head:
        if svg is None:
            return None
        width, height = _svg_length(svg.get("width")), _svg_length(svg.get("height"))
        if width < 0 or height < 0:
            raise ValueError(f"its width or height is not a size a page can hold (at most "
                             f"{MAX_SVG_LENGTH:,} px)")
        return "image/svg+xml", width, height
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.verify()
            kind = MEDIA_TYPES.get(picture.format or "")
            return (kind, picture.width, picture.height) if kind else None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


def _svg_length(value: str | None) -> int:
    """A width or height in px; 0 where it is missing, relative or absurd."""
    try:
        number = float((value or "0").strip().removesuffix("px"))
    except ValueError:
        return 0
    return int(number) if math.isfinite(number) and 0 <= number <= MAX_SVG_LENGTH else -1


# The house faces (scripts/setup-system.sh installs them; base.css sets the text and code in
# them) by the names an SVG gives a face of their kind.
HOUSE_FACES = {
    "EB Garamond": ("serif", "times", "times new roman", "times-roman", "georgia", "garamond"),
    "DejaVu Sans": ("sans-serif", "arial", "helvetica", "helvetica neue", "verdana", "sans"),
    "DejaVu Sans Mono": ("monospace", "courier", "courier new", "mono", "menlo", "consolas"),
}
_FACE_OF = {name: face for face, names in HOUSE_FACES.items() for name in names}
_SHIPPED = {face.lower() for face in HOUSE_FACES} | {"dejavu serif"}
_FAMILY_DECLARATION = re.compile(r"(font-family\s*:\s*)([^;}\"]+)")


def svg_faces(svg: etree._Element) -> bool:
    """Point *svg*'s font families (attributes, style attributes, <style> sheets) at the house
    faces where they name a generic family or a system face first; whether any changed."""
    changed = False
    for element in svg.iter():
        if not isinstance(element.tag, str):
            continue
        family = element.get("font-family")
        if family is not None and family_with_house_face(family) != family:
            element.set("font-family", family_with_house_face(family))
            changed = True
        sheet = element.text if etree.QName(element).localname == "style" else None
        for name, value in (("style", element.get("style")), ("", sheet)):
            if not value or "font-family" not in value:
                continue
            new = _FAMILY_DECLARATION.sub(lambda found: found[1] + family_with_house_face(found[2]), value)
            if new != value:
                if name:
                    element.set(name, new)
                else:
                    element.text = new
                changed = True
    return changed


def family_with_house_face(families: str) -> str:
    """A CSS family list with the house face of the kind its first known name names put
    before that name ('Times, serif' -> "'EB Garamond', Times, serif"); as it is where a
    house face comes first or no name is known."""
    names = [name.strip().strip("'\"").lower() for name in families.split(",")]
    for index, name in enumerate(names):
        if name in _SHIPPED:
            return families
        face = _FACE_OF.get(name)
        if face is not None:
            parts = families.split(",")
            parts.insert(index, f"'{face}'" if index == 0 else f" '{face}'")
            if index == 0 and len(parts) > 1:
                parts[1] = " " + parts[1].lstrip()
            return ",".join(parts).strip()
    return families


def svg_active_content(svg: etree._Element) -> str | None:
    """What in an SVG would run (a script, an event handler, a script URL), or None."""
    for element in svg.iter():
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).localname.lower() in ("script", "foreignobject", "iframe", "handler"):
            return f"a <{etree.QName(element).localname}> element"
        for name, value in [(str(k), str(v)) for k, v in element.attrib.items()]:
            local = etree.QName(name).localname.lower()
            if local.startswith("on"):
                return f"an event handler ({local}=)"
            if re.match(r"\s*(javascript|vbscript|data:text/html)", value, re.I):
                return f"a script URL ({local}=\"{value[:30]}\")"
    return None
