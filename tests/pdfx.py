"""A PDF/X-4 preflight of the printer's file, by the rules a RIP or a printer's checker applies.

No free PDF/X validator exists to run (veraPDF checks PDF/A and PDF/UA only), so the
rules of ISO 15930-7 (PDF/X-4) that the builder's files could break are read back
here with pypdf:
- the XMP packet names PDF/X-4 and says whether the file is trapped;
- exactly one GTS_PDFX output intent, with an embedded ICC profile of an output device
  (class ``prtr``) whose channel count is its /N and an OutputConditionIdentifier;
- every page has a TrimBox inside its BleedBox inside its MediaBox;
- no encryption, no JavaScript, no Launch or other actions that leave the page;
- every font embedded;
- device colour only in the output intent's space: on a grey intent no DeviceRGB or
  DeviceCMYK anywhere (content-stream operators, images, colour-space resources,
  transparency groups), and every image grey.

`problems(path)` returns what breaks a rule, each as a line: empty for a clean file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

_ICC_CHANNELS = {b"GRAY": 1, b"RGB ": 3, b"CMYK": 4}
_ICC_BASED = {1: "/DeviceGray", 3: "ICC-based RGB", 4: "ICC-based CMYK"}  # grey counts as grey
_OPERATORS = {  # content-stream operators that set a device colour, by its space
    "/DeviceRGB": re.compile(rb"(?:^|\s)-?[\d.]+\s+-?[\d.]+\s+-?[\d.]+\s+(?:rg|RG)(?=\s|$)"),
    "/DeviceCMYK": re.compile(rb"(?:^|\s)(?:-?[\d.]+\s+){4}(?:k|K)(?=\s|$)"),
}
_NOT_GREY = frozenset({"/DeviceRGB", "/DeviceCMYK", "ICC-based RGB", "ICC-based CMYK"})
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def problems(path: Path) -> list[str]:
    reader = PdfReader(path)
    found: list[str] = []
    if reader.is_encrypted:
        return ["the file is encrypted"]
    root = reader.trailer["/Root"]
    found += _metadata(root)
    channels, intent_problems = _output_intent(root)
    found += intent_problems
    for number, page in enumerate(reader.pages, start=1):
        found += [f"page {number}: {problem}" for problem in _boxes(page)]
    found += _actions(root, reader)
    found += _fonts(reader)
    if channels is not None:
        found += _colours(reader, channels)
    return found


def _metadata(root: Any) -> list[str]:
    if "/Metadata" not in root:
        return ["no XMP metadata"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    found = []
    if not re.search(r"GTS_PDFXVersion[>=\"']+PDF/X-4", xmp):
        found.append("the XMP packet does not name PDF/X-4 (pdfxid:GTS_PDFXVersion)")
    if not re.search(r"pdf:Trapped[>=\"']+(True|False)", xmp):
        found.append("the XMP packet does not say whether the file is trapped (pdf:Trapped)")
    return found


def _output_intent(root: Any) -> tuple[int | None, list[str]]:
    intents = [i.get_object() for i in root.get("/OutputIntents", [])
               if i.get_object().get("/S") == "/GTS_PDFX"]
    if len(intents) != 1:
        return None, [f"{len(intents)} GTS_PDFX output intents (PDF/X wants exactly one)"]
    [intent] = intents
    found = []
    if not intent.get("/OutputConditionIdentifier"):
        found.append("the output intent has no OutputConditionIdentifier")
    if "/DestOutputProfile" not in intent:
        return None, [*found, "the output intent embeds no ICC profile"]
    stream = intent["/DestOutputProfile"].get_object()
    icc = stream.get_data()
    if icc[36:40] != b"acsp":
        return None, [*found, "the output intent's profile is not an ICC profile"]
    if icc[12:16] != b"prtr":
        found.append(f"the output intent's profile is of class {icc[12:16].decode()!r}, "
                     "not an output device ('prtr')")
    channels = _ICC_CHANNELS.get(icc[16:20])
    if channels is None or stream.get("/N") != channels:
        found.append(f"the profile's colour space {icc[16:20]!r} does not match its /N {stream.get('/N')}")
    return channels, found


def _boxes(page: Any) -> list[str]:
    if "/TrimBox" not in page and "/ArtBox" not in page:
        return ["no TrimBox"]
    media, bleed, trim = (_rect(page.get(name, page["/MediaBox"])) for name in
                          ("/MediaBox", "/BleedBox", "/TrimBox"))
    found = []
    if not _inside(trim, bleed):
        found.append(f"TrimBox {trim} is not inside the BleedBox {bleed}")
    if not _inside(bleed, media):
        found.append(f"BleedBox {bleed} is not inside the MediaBox {media}")
    return found


def _rect(box: Any) -> tuple[float, ...]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    slack = 0.01
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def _actions(root: Any, reader: PdfReader) -> list[str]:
    found = []
    names = root.get("/Names", {})
    if "/JavaScript" in names or "/AA" in root or ("/OpenAction" in root and _is_script(root["/OpenAction"])):
        found.append("the document runs an action or JavaScript")
    for number, page in enumerate(reader.pages, start=1):
        for annotation in page.get("/Annots", []) or []:
            action = annotation.get_object().get("/A")
            kind = action.get_object().get("/S") if action is not None else None
            if kind not in (None, "/URI", "/GoTo"):
                found.append(f"page {number}: an annotation's action {kind}")
    return found


def _is_script(action: Any) -> bool:
    action = action.get_object()
    return isinstance(action, DictionaryObject) and action.get("/S") in ("/JavaScript", "/Launch")


def _fonts(reader: PdfReader) -> list[str]:
    missing = set()
    for font in _objects(reader, lambda o: isinstance(o, DictionaryObject) and o.get("/Type") == "/Font"):
        if font.get("/Subtype") in ("/Type3", "/Type0"):
            continue  # a Type0's glyphs are in its descendant, checked as its own font
        descriptor = font.get("/FontDescriptor")
        if descriptor is None or not any(name in descriptor.get_object() for name in _FONT_FILES):
            missing.add(str(font.get("/BaseFont")))
    return [f"font {name} is not embedded" for name in sorted(missing)]


def _colours(reader: PdfReader, channels: int) -> list[str]:
    """Device colour outside the output intent's space (grey intent: no RGB, no CMYK)."""
    if channels != 1:
        return []  # a colour intent: device colour spaces are the RIP's to convert
    found: set[str] = set()
    for obj in _objects(reader, lambda o: isinstance(o, DictionaryObject)):
        for key in ("/ColorSpace", "/CS"):
            value = obj.get(key)
            if value is not None:
                found |= {f"{space} in a {obj.get('/Subtype') or obj.get('/Type') or 'resource'}"
                          for space in _spaces(value) if space in _NOT_GREY}
        picture = isinstance(obj, StreamObject) and obj.get("/Subtype") == "/Image" and "/ColorSpace" in obj
        if picture and _spaces(obj["/ColorSpace"]) - {"/DeviceGray", "/Indexed"}:
            found.add(f"an image in {sorted(_spaces(obj['/ColorSpace']))}")
    for page in reader.pages:
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
        for space, operator in _OPERATORS.items():
            if operator.search(data):
                found.add(f"{space} colour operators in a page's content")
    return sorted(found)


def _spaces(value: Any) -> set[str]:
    """The colour space names *value* uses (a name, an array such as [/Indexed base …], a dict)."""
    value = value.get_object() if isinstance(value, IndirectObject) else value
    if isinstance(value, NameObject):
        return {str(value)}
    if isinstance(value, ArrayObject) and value:
        head = str(value[0].get_object()) if isinstance(value[0], IndirectObject) else str(value[0])
        if head == "/Indexed" and len(value) > 1:
            return {head} | _spaces(value[1])
        if head == "/ICCBased":
            stream = value[1].get_object()
            return {_ICC_BASED.get(int(stream.get("/N", 0)), "/ICCBased")}
        return {head}
    if isinstance(value, DictionaryObject):
        return set().union(*(_spaces(v) for v in value.values())) if value else set()
    return set()


def _objects(reader: PdfReader, wanted: Any) -> Iterator[Any]:
    numbers = {number for table in reader.xref.values() for number in table} | set(reader.xref_objStm)
    for number in sorted(numbers):
        obj = reader.get_object(number)
        if obj is not None and wanted(obj):
            yield obj
