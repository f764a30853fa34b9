"""Old HTML in manuscripts -> valid XHTML 5 and CSS classes, with a word for what is dropped.

In: a chapter's tree (after lxml's HTML parser has already repaired unclosed
tags, unquoted attributes and entities such as &nbsp;). Out: the same tree with
obsolete presentational markup turned into what EPUB readers and WeasyPrint
accept: `align` becomes a class, `border` and percentage sizes become style,
`<center>` a div, `<font>` and unknown elements are unwrapped, attributes that
HTML 5 does not know are dropped, and each drop is reported with its line.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from builder.checks import locate
from builder.errors import Problems

# The elements a book's body may hold (HTML 5, minus scripting and forms, which
# checks.remove_unsafe_markup refuses before this runs).
ELEMENTS = frozenset({
    "a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption",
    "cite", "code", "col", "colgroup", "data", "dd", "del", "details", "dfn", "div", "dl", "dt",
    "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "i", "img", "ins", "kbd", "li", "main", "mark", "nav", "ol", "p", "pre", "q", "rp", "rt",
    "ruby", "s", "samp", "section", "small", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
})
RENAMED = {"center": ("div", "center"), "strike": ("s", ""), "tt": ("code", ""), "big": ("span", "big"),
           "acronym": ("abbr", "")}
GLOBAL_ATTRIBUTES = frozenset({"id", "class", "title", "lang", "dir", "style", "hidden", "role",
                               "tabindex", "translate"})
ELEMENT_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "hreflang", "rel", "type", "download"}),
    "img": frozenset({"src", "alt", "width", "height", "srcset", "sizes", "loading"}),
    "td": frozenset({"colspan", "rowspan", "headers"}),
    "th": frozenset({"colspan", "rowspan", "headers", "scope", "abbr"}),
    "ol": frozenset({"start", "reversed", "type"}),
    "li": frozenset({"value"}),
    "blockquote": frozenset({"cite"}), "q": frozenset({"cite"}), "del": frozenset({"cite", "datetime"}),
    "ins": frozenset({"cite", "datetime"}), "time": frozenset({"datetime"}), "data": frozenset({"value"}),
    "col": frozenset({"span"}), "colgroup": frozenset({"span"}), "details": frozenset({"open"}),
    "div": frozenset({"data-placeholder"}),
}
ALIGN_CLASSES = {"left": "align-left", "right": "align-right", "center": "align-center",
                 "middle": "align-middle"}
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(px|%)?\s*$")


def modernise(path: Path, text: str, root: etree._Element, problems: Problems) -> None:
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.tag == "builder-part":
            continue
        tag = element.tag.lower()
        if tag in RENAMED:
            element.tag, css_class = RENAMED[tag]
            _add_class(element, css_class)
        elif tag == "font":
            problems.warning("<font> is obsolete; its text is kept, its face, size and colour are "
                             "dropped (use CSS classes)", locate(path, text, "<font"))
            _unwrap(element)
            continue
        elif tag not in ELEMENTS:
            problems.warning(f"<{tag}> is not supported in a book; its text is kept, the element "
                             "dropped", locate(path, text, f"<{tag}"))
            _unwrap(element)
            continue
        _modernise_attributes(path, text, element, problems)


def _modernise_attributes(path: Path, text: str, element: etree._Element, problems: Problems) -> None:
    if GLOBAL_ATTRIBUTES.issuperset(element.keys()):  # most elements (a code token's class): kept as is
        return
    tag = element.tag
    for name, value in [(str(k), str(v)) for k, v in element.attrib.items()]:
        lowered = name.lower()
        if lowered == "align" and value.lower() in ALIGN_CLASSES:
            _add_class(element, ALIGN_CLASSES[value.lower()])
        elif lowered == "border" and tag in ("img", "table"):
            _border(element, value)
        elif lowered in ("width", "height") and tag == "img":
            size = _LENGTH.match(value)
            if size and size.group(2) != "%":
                element.set(lowered, str(round(float(size.group(1)))))
                continue
            if size:
                _add_style(element, f"{lowered}: {size.group(1)}%")
            else:
                _drop(path, text, element, name, value, problems)
                continue
        elif lowered.startswith(("aria-", "data-")) or lowered in GLOBAL_ATTRIBUTES \
                or lowered in ELEMENT_ATTRIBUTES.get(tag, frozenset()) or lowered.startswith("{"):
            continue
        elif lowered in ("valign", "bgcolor", "cellpadding", "cellspacing", "hspace", "vspace",
                         "nowrap", "color", "face", "size", "name", "target"):
            if lowered == "name" and tag == "a" and not element.get("id"):
                element.set("id", value)  # <a name> was the old anchor
            elif lowered not in ("target",):
                _drop(path, text, element, name, value, problems)
                continue
        else:
            _drop(path, text, element, name, value, problems)
            continue
        del element.attrib[name]


def _drop(path: Path, text: str, element: etree._Element, name: str, value: str,
          problems: Problems) -> None:
    problems.warning(f"{name}=\"{value[:30]}\" on <{element.tag}> is not valid in a book and was dropped",
                     locate(path, text, f"{name}=", f"{name} ="))
    del element.attrib[name]


def _border(element: etree._Element, value: str) -> None:
    width = _LENGTH.match(value)
    if width and float(width.group(1)) > 0:
        _add_style(element, f"border: {width.group(1)}px solid")


def _add_class(element: etree._Element, name: str) -> None:
    if name:
        classes = (element.get("class") or "").split()
        element.set("class", " ".join([*classes, name]) if name not in classes else " ".join(classes))


def _add_style(element: etree._Element, declaration: str) -> None:
    style = (element.get("style") or "").strip().rstrip(";")
    element.set("style", f"{style}; {declaration}" if style else declaration)


def _unwrap(element: etree._Element) -> None:
    """Replace the element by its content (text and children) in place."""
    parent = element.getparent()
    if parent is None:
        return
    marker = f"unwrap-{id(element)}"
    element.tag = marker
    etree.strip_tags(parent, marker)
