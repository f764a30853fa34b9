"""Math: the chapter's formulas as MathML (for the EPUB) and as vector pictures (for print).

In: a chapter's parsed tree, where pymdownx.arithmatex (generic mode, `$…$` and `$$…$$`
only, never inside code) left each formula's LaTeX as the text of a
`<span class="arithmatex">` (inline) or `<div class="arithmatex">` (display).
Out: the same tree with each formula converted once by latex2mathml into a MathML
`<math>` element carrying its LaTeX in `alttext` (what Ace and screen readers read),
a display formula inside `<div class="math-display">`; LaTeX latex2mathml would turn
into nonsense (unbalanced braces, a missing argument, an unknown command) is an error
at its file and line. For print, `print_formulas` turns each MathML element of a
piece of markup into an `<img>` of an SVG drawn by ziamath (the glyphs as paths, so
vector in the PDF and needing no font), scaled in ems to the text around it and set
on its baseline, the LaTeX as its alt text.
"""

from __future__ import annotations

import base64
import functools
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

from lxml import etree

from builder import checks
from builder.errors import Location, Problems

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
ARITHMATEX_CONFIG = {
    "generic": True,  # the LaTeX as text, no MathJax wrapping: converted here
    "tex_inline_wrap": ["", ""],
    "tex_block_wrap": ["", ""],
    "inline_syntax": ["dollar"],
    "block_syntax": ["dollar"],
    "smart_dollar": True,  # `$5 and $6` stays money: a formula hugs its dollars
}
# The size ziamath draws at, in its pixels: the picture is then given in ems of this size.
_DRAW_SIZE = 20.0
# Elements that take a fixed number of arguments: fewer means LaTeX lost one (`\frac{a}`).
_ARITY = {"mfrac": 2, "msup": 2, "msub": 2, "msubsup": 3, "mroot": 2, "mover": 2, "munder": 2,
          "munderover": 3}
_ARGUMENTS = {"mfrac": "\\frac", "mroot": "\\sqrt[n]", "msup": "^", "msub": "_", "msubsup": "_ and ^"}
_UNKNOWN_COMMAND = re.compile(r"\\[A-Za-z]+")
_BARE_AMPERSAND = re.compile(r"&(?!#x?[0-9A-Fa-f]+;|[A-Za-z]+;)")
_MATH_ELEMENT = re.compile(rf'<math xmlns="{re.escape(MATHML_NS)}"[^>]*>.*?</math>', re.S)
# What latex2mathml's exceptions mean, for an author.
_MESSAGES = {
    "MissingSuperScriptOrSubscriptError": "a ^ or _ has nothing after it",
    "ExtraLeftOrMissingRightError": "a \\left has no \\right",
    "MissingEndError": "a \\begin{…} has no \\end{…}",
    "NoAvailableTokensError": "a command is missing its argument",
    "DoubleSubscriptsError": "a double subscript (x_1_2); group it: x_{1_2}",
    "DoubleSuperscriptsError": "a double superscript (x^1^2); group it: x^{1^2}",
    "NumeratorNotFoundError": "a fraction has no numerator",
    "DenominatorNotFoundError": "a fraction has no denominator",
}


class MathError(ValueError):
    """LaTeX that cannot be typeset as written."""


def typeset_math(path: Path, text: str, root: etree._Element, problems: Problems) -> None:
    """Each arithmatex element in *root* replaced by its MathML; a bad formula is an error at its
    place and is left out."""
    for element in list(root.iter("span", "div")):
        if "arithmatex" not in (element.get("class") or "").split():
            continue
        latex = (element.text or "").strip()
        display = "block" if element.tag == "div" else "inline"
        try:
            math = mathml(latex, display)
            svg_picture(etree.tostring(math, encoding="unicode"))  # what print will draw: fails here
        except MathError as exc:
            problems.error(f"the formula ${latex[:60]}$ cannot be typeset: {exc}",
                           _place(path, text, latex, display))
            checks.remove_element(element)
            continue
        if display == "block":
            holder = etree.Element("div", {"class": "math-display"})
            holder.append(math)
        else:
            holder = math
        holder.tail = element.tail
        parent = element.getparent()
        assert parent is not None  # found under root
        parent.replace(element, holder)


def _place(path: Path, text: str, latex: str, display: str) -> Location:
    """Where the formula is written: as a whole between its dollars, else its first line."""
    needles = [f"${latex}$", latex] if display == "inline" else [latex, latex.split("\n")[0]]
    for needle in needles:
        where = checks.locate(path, text, needle)
        if where.line is not None:
            return where
    return Location(path)


def mathml(latex: str, display: str) -> etree._Element:
    """*latex* as a MathML element (alttext: the LaTeX), or MathError."""
    if not latex:
        raise MathError("it is empty")
    _check_braces(latex)
    import latex2mathml.converter  # here: most books hold no formula, and it costs 15 ms to import

    try:
        converted = latex2mathml.converter.convert(latex, display=display)
    except Exception as exc:  # latex2mathml raises its own classes and IndexError alike
        raise MathError(_MESSAGES.get(type(exc).__name__, f"LaTeX it cannot read ({type(exc).__name__})"))\
            from exc
    try:
        math = etree.fromstring(_BARE_AMPERSAND.sub("&amp;", converted))
    except etree.XMLSyntaxError as exc:
        raise MathError("LaTeX it cannot read") from exc
    for element in math.iter():
        name = etree.QName(element).localname
        if name in ("mi", "mo", "mn") and (command := _UNKNOWN_COMMAND.fullmatch(element.text or "")):
            raise MathError(f"unknown command {command[0]}")
        if name in _ARITY and len(element) != _ARITY[name]:
            raise MathError(f"{_ARGUMENTS.get(name, 'a command')} is missing an argument")
    math.set("alttext", latex)
    return math


def _check_braces(latex: str) -> None:
    depth = 0
    for brace in re.findall(r"\\.|[{}]", latex):
        depth += {"{": 1, "}": -1}.get(brace, 0)
        if depth < 0:
            raise MathError("a } closes nothing")
    if depth:
        raise MathError("a { is not closed")


@functools.lru_cache(maxsize=4096)
def svg_picture(math_xml: str) -> str:
    """The print edition's picture of one MathML element: an <img> of its SVG (vector), sized
    in ems and lowered to the text's baseline; the LaTeX as its alt text."""
    with warnings.catch_warnings():  # ziamath loads its font through a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        from ziamath.zmath import Math  # imported here: a book without formulas never loads its font

    element = ET.fromstring(math_xml)  # not a string: ziamath would unescape &lt; before parsing
    latex = element.get("alttext", "")
    try:
        drawn = Math(element, size=_DRAW_SIZE, margin=0)
        picture = drawn.svgxml()
    except Exception as exc:  # ziamath's own parsing and layout errors have no common class
        raise MathError(f"it cannot be drawn ({type(exc).__name__})") from exc
    width, height = float(picture.get("width", 0)), float(picture.get("height", 0))
    svg = ET.tostring(picture, encoding="unicode")
    em = _DRAW_SIZE
    style = (f"width: {width / em:.3f}em; height: {height / em:.3f}em; "
             f"vertical-align: {drawn.getyofst() / em:.3f}em")
    display = "block" if element.get("display") == "block" else "inline"
    from xml.sax.saxutils import quoteattr  # it imports urllib.request: 14 ms

    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (f'<img class="math math-{display}" src="{source}" alt={quoteattr(latex)} '
            f'style="{style}"/>')


def print_formulas(markup: str) -> str:
    """*markup* with each MathML formula (as typeset_math left it) drawn as a picture."""
    return _MATH_ELEMENT.sub(lambda found: svg_picture(found[0]), markup)
