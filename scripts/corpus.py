#!/usr/bin/env python3
"""The real-book corpus: whole public books through import, build and every check.

Usage: CORPUS_DIR=/path/to/corpus python scripts/corpus.py [--book NAME ...] [--no-pandoc]
       [--work DIR] [--json FILE]
       (or `make corpus CORPUS_DIR=...`)

The books are listed in scripts/corpus-sources.txt (name, repository, commit,
sub-folder, licence); each is expected, unchanged, at $CORPUS_DIR/<name>/ (how to
fetch them is written at the top of that file). For every book this script:

1. runs `python -m builder import SRC BOOK` and `python -m builder build --out DIST BOOK`
   as subprocesses (exit code, wall time, PDF pages);
2. runs EPUBCheck (tests/helpers.py's shared JVM) and DAISY Ace (scripts/ace.py's
   shared service) on the EPUB;
3. measures fidelity against the *source* Markdown, read without the builder:
   the chapters in the order of the source's own table of contents (mdBook or
   GitBook SUMMARY.md, Leanpub Book.txt, or the file names), mdBook's
   {{#include}}/{{#rustdoc_include}}/{{#playground}} expanded (anchors and line ranges
   as mdBook does; escaped \\{{# kept as literal text), GitBook's {% %} tags outside code
   removed ({% include %} expanded), Leanpub attribute lines and `A>` aside markers
   removed; the fenced code blocks cut out by a line scanner (any indentation, ``` or
   ~~~), the rest rendered by plain Python-Markdown (tables and footnotes extensions
   only, not the builder's renderer). Then:
     - a *paragraph* is each <p>, and each list item without a <p>; it is found when its
       letters and digits (case-folded, NFKC) occur contiguously in the output's letters
       and digits: immune to whitespace, quotes, dashes, markup, line-end hyphenation;
     - a *code line* is each non-blank line inside a fence or an indented block, minus
       the lines mdBook hides (`# ` in Rust blocks, [output.html.code.hidelines]); it
       is found when its characters without whitespace occur in the text of the EPUB's
       <pre>/<code> elements (without whitespace; a line found only in the body text is
       counted as "outside a code element"), and in the PDF's body text (without the
       ", page N" print.css adds after a cross-reference);
     - leaks: ``` , {{# or {% in the output text that is not the literal text of the
       source (the mdBook guide documents {{#include}} itself);
     - off-page: every word box from `pdftotext -bbox` inside the page (MediaBox).
4. times Pandoc on the same source files, in the same order (EPUB, and PDF through
   WeasyPrint with bench/pandoc-print.css, as bench/ does).

It prints a table and writes a JSON report (default $CORPUS_WORK or
$CORPUS_DIR/../corpus-work, file corpus-report.json); the exit status is 1 when any
target fails. Without CORPUS_DIR, or with a missing folder, it says it skipped and
exits 0. tests/test_import_fidelity.py uses the same functions on small books written
for the tests (tests/fixtures/import-mdbook-real, import-gitbook, import-leanpub); no text
of the corpus books is committed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import unicodedata
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "scripts" / "corpus-sources.txt"
PANDOC_CSS = ROOT / "bench" / "pandoc-print.css"
PYTHON = Path(sys.executable)
XHTML = "{http://www.w3.org/1999/xhtml}"
THRESHOLD = 0.99
MARKERS = ("```", "{{#", "{%")
SKIP_HINT = ("corpus: skipped, CORPUS_DIR not set (fetch the books listed in scripts/corpus-sources.txt "
             "into one folder, one sub-folder per name, e.g. `git clone URL DIR/NAME && git -C DIR/NAME "
             "checkout COMMIT`, then `make corpus CORPUS_DIR=DIR`)")


# --- the list of books ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    name: str
    repo: str
    commit: str
    subdir: str  # the book's folder inside the repository ("." for its root)
    licence: str
    options: tuple[str, ...] = ()  # `builder import` options; {repo} is the repository's root

    def import_options(self, repo_root: Path) -> list[str]:
        """The import options with {repo} replaced by *repo_root* (the whole book's or a test fixture's)."""
        return [option.replace("{repo}", str(repo_root.resolve())) for option in self.options]


def read_sources(path: Path = SOURCES) -> list[Source]:
    """scripts/corpus-sources.txt: `name repo commit sub-folder licence...` and
    `options name argument...` lines, # comments."""
    rows: list[list[str]] = []
    options: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.split(None, 1)[0] == "options":
            _, name, *arguments = line.split()
            options.setdefault(name, []).extend(arguments)
            continue
        rows.append(line.split(None, 4))
    names = {row[0] for row in rows}
    unknown = sorted(set(options) - names)
    if unknown:
        raise ValueError(f"{path}: options for a book not listed: {', '.join(unknown)}")
    return [Source(name, repo, commit, subdir, licence.strip(), tuple(options.get(name, ())))
            for name, repo, commit, subdir, licence in rows]


# --- the source side: what the book says, read without the builder -------------------------------

@dataclass
class Item:
    text: str
    file: str
    line: int


@dataclass
class Expected:
    kind: str  # mdbook, gitbook, leanpub, plain
    chapters: list[Path]
    paragraphs: list[Item] = field(default_factory=list)
    code: list[Item] = field(default_factory=list)
    hidden_code_lines: int = 0  # lines mdBook hides (not required)
    not_countable: list[str] = field(default_factory=list)  # includes we could not expand, etc.
    literal: str = ""  # all expected text, for telling a leak from a literal marker


@dataclass
class Line:
    text: str
    file: str
    line: int


def _natural(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", str(path))]


SUMMARY_LINK = re.compile(r"\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?\s*\)")


def _summary_chapters(summary: Path) -> list[Path]:
    chapters: list[Path] = []
    in_fence = False
    for line in summary.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence:
            continue
        for target in SUMMARY_LINK.findall(line):
            target = target.split("#", 1)[0]
            if not target or "://" in target or not target.lower().endswith((".md", ".markdown")):
                continue  # a draft ([Title]()) or a link out
            path = (summary.parent / target.replace("%20", " ")).resolve()
            if path.is_file() and path not in chapters:
                chapters.append(path)
    return chapters


def source_layout(src: Path) -> tuple[str, Path, list[Path]]:
    """(kind, folder the chapters live in, chapters in the source's order)."""
    src = src.resolve()
    if (src / "book.toml").is_file():
        config = tomllib.loads((src / "book.toml").read_text(encoding="utf-8"))
        folder = src / str(config.get("book", {}).get("src", "src"))
        return "mdbook", folder, _summary_chapters(folder / "SUMMARY.md")
    gitbook_root = src
    if (src / ".gitbook.yaml").is_file():
        found = re.search(r"^root:\s*\.?/?(\S*)", (src / ".gitbook.yaml").read_text(), re.M)
        if found and found.group(1):
            gitbook_root = src / found.group(1)
    if (gitbook_root / "SUMMARY.md").is_file():
        return "gitbook", gitbook_root, _summary_chapters(gitbook_root / "SUMMARY.md")
    for folder in (src / "manuscript", src):
        if (folder / "Book.txt").is_file():
            names = [n.strip() for n in (folder / "Book.txt").read_text(encoding="utf-8").splitlines()]
            return "leanpub", folder, [folder / n for n in names if n and (folder / n).is_file()]
    chapters = sorted((p for p in src.glob("*.md") if p.name.lower() not in ("readme.md", "license.md")),
                      key=_natural)
    return "plain", src, chapters


MDBOOK_DIRECTIVE = re.compile(r"(\\?)\{\{#(\w+)\s*([^}]*?)\s*\}\}")
ANCHOR_LINE = re.compile(r"ANCHOR(?:_END)?:\s*[\w-]+")


def _mdbook_select(lines: list[str], selector: str | None) -> tuple[list[str], list[int]]:
    """The lines a `file.rs:selector` names, as mdBook reads it, with their 1-based numbers."""
    numbered = list(enumerate(lines, start=1))
    if selector:
        if re.fullmatch(r"\d*(:\d*)?", selector):
            start, _, end = selector.partition(":")
            if ":" not in selector:
                first = int(start)
                numbered = numbered[first - 1:first]
            else:
                numbered = numbered[(int(start) - 1 if start else 0):(int(end) if end else None)]
        else:
            inside, picked = False, []
            for number, text in numbered:
                if re.search(rf"ANCHOR:\s*{re.escape(selector)}\b", text):
                    inside = True
                    continue
                if re.search(rf"ANCHOR_END:\s*{re.escape(selector)}\b", text):
                    inside = False
                    continue
                if inside:
                    picked.append((number, text))
            numbered = picked
    kept = [(n, t) for n, t in numbered if not ANCHOR_LINE.search(t)]
    return [t for _, t in kept], [n for n, _ in kept]


def _expand_mdbook(path: Path, root: Path, notes: list[str], depth: int = 0) -> list[Line]:
    rel = _rel(path, root)
    out: list[Line] = []
    for number, text in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        matches = list(MDBOOK_DIRECTIVE.finditer(text))
        if not matches:
            out.append(Line(text, rel, number))
            continue
        first = matches[0]
        whole = (len(matches) == 1 and not first.group(1) and bool(first.group(3).strip())
                 and first.group(2) in ("include", "rustdoc_include", "playground")
                 and not text[:first.start()].strip() and not text[first.end():].strip())
        pieces: list[str] = []
        position = 0
        for match in matches:
            pieces.append(text[position:match.start()])
            position = match.end()
            escaped, name, argument = match.group(1), match.group(2), match.group(3)
            if escaped:
                pieces.append(match.group(0)[1:])
                continue
            if name == "title":
                continue
            if name not in ("include", "rustdoc_include", "playground") or not argument:
                pieces.append(match.group(0))  # not a link directive: mdBook leaves it
                continue
            target, _, selector = argument.split()[0].partition(":") if argument else ("", "", "")
            included = (path.parent / target).resolve()
            if depth > 10 or not included.is_file():
                notes.append(f"{rel}:{number}: {{{{#{name} {argument}}}}} names no file; not counted")
                continue
            lines = included.read_text(encoding="utf-8", errors="replace").splitlines()
            if name == "rustdoc_include" and selector:
                _, numbers = _mdbook_select(lines, selector)
                chosen = set(numbers)
                every, all_numbers = _mdbook_select(lines, None)
                body = [t if n in chosen else f"# {t}" for t, n in zip(every, all_numbers, strict=True)]
                numbers = all_numbers
            else:
                body, numbers = _mdbook_select(lines, selector or None)
            if name == "playground":
                body, numbers = ["```rust", *body, "```"], [0, *numbers, 0]
            if whole and included.suffix == ".md" and name == "include":
                # an included Markdown file: its own directives count too, with its own lines
                sub = _expand_mdbook(included, root, notes, depth + 1)
                wanted = set(numbers)
                out.extend(line for line in sub if line.line in wanted)
            elif whole:
                irel = _rel(included, root)
                out.extend(Line(t, irel, n) for t, n in zip(body, numbers, strict=True))
            else:
                pieces.append("\n".join(body))
        if not whole:
            pieces.append(text[position:])
            out.extend(Line(piece, rel, number) for piece in "".join(pieces).split("\n"))
    return out


GITBOOK_TAG = re.compile(r"\{%-?\s*(\w[\w-]*)(.*?)-?%\}")
FENCE_OPEN = re.compile(r"^(\s*)(?:[>]\s?)*(`{3,}|~{3,})\s*([^`]*)$")


def _expand_gitbook(path: Path, root: Path, notes: list[str], depth: int = 0) -> list[Line]:
    rel = _rel(path, root)
    out: list[Line] = []
    fence: str | None = None
    for number, text in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        opened = FENCE_OPEN.match(text)
        if fence is None and opened:
            fence = opened.group(2)
        elif fence is not None and text.strip().startswith(fence[0] * len(fence)) \
                and not text.strip().strip(fence[0]):
            fence = None
            out.append(Line(text, rel, number))
            continue
        if fence is not None:
            out.append(Line(text, rel, number))
            continue
        if "{%" not in text:
            out.append(Line(text, rel, number))
            continue
        rest, position = [], 0
        for match in GITBOOK_TAG.finditer(text):
            rest.append(text[position:match.start()])
            position = match.end()
            if match.group(1) == "include":
                found = re.search(r"[\"']([^\"']+)[\"']", match.group(2))
                included = (path.parent / found.group(1)).resolve() if found else None
                if included is not None and included.is_file() and depth < 10:
                    out.append(Line("".join(rest), rel, number))
                    rest = []
                    out.extend(_expand_gitbook(included, root, notes, depth + 1))
                else:
                    notes.append(f"{rel}:{number}: {match.group(0)} names no file; not counted")
        rest.append(text[position:])
        joined = "".join(rest)
        out.append(Line(joined if joined.strip() else "", rel, number))
    return out


LEANPUB_ATTRIBUTES = re.compile(r"^\s*\{[^{}]*\}\s*$")
LEANPUB_ASIDE = re.compile(r"^([A-Z])> ?")


def _expand_plain(path: Path, root: Path, leanpub: bool) -> list[Line]:
    rel = _rel(path, root)
    out = []
    fence: str | None = None
    aside_fence = False  # the fence is inside a Leanpub aside: its lines carry the `X>` marker too
    for number, text in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        in_aside = leanpub and (fence is None or aside_fence) and bool(LEANPUB_ASIDE.match(text))
        if in_aside:
            text = LEANPUB_ASIDE.sub("", text)
        opened = FENCE_OPEN.match(text)
        if fence is None and opened:
            fence, aside_fence = opened.group(2), in_aside
        elif fence is not None and text.strip() and not text.strip().strip(fence[0]) \
                and len(text.strip()) >= len(fence):
            fence = None
        elif leanpub and fence is None and LEANPUB_ATTRIBUTES.match(text):
            text = ""
        out.append(Line(text, rel, number))
    return out


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def _hidelines(src: Path) -> dict[str, str]:
    prefixes = {"rust": "#"}
    if (src / "book.toml").is_file():
        config = tomllib.loads((src / "book.toml").read_text(encoding="utf-8"))
        table = config.get("output", {}).get("html", {}).get("code", {}).get("hidelines", {})
        prefixes.update({str(k): str(v) for k, v in table.items()})
    return prefixes


def _hidden(line: str, language: str, prefixes: dict[str, str]) -> bool:
    prefix = prefixes.get(language)
    if prefix is None:
        return False
    stripped = line.lstrip()
    if language == "rust":
        return stripped == "#" or (stripped.startswith("# ") and not stripped.startswith("#!["))
    return stripped.startswith(prefix) and not stripped.startswith(prefix * 2)


def expected_from_source(src: Path) -> Expected:
    """The paragraphs and code lines of the source book (see the module's docstring)."""
    import markdown  # plain Python-Markdown, standard extensions only

    src = src.resolve()
    kind, _, chapters = source_layout(src)
    expected = Expected(kind, chapters)
    prefixes = _hidelines(src) if kind == "mdbook" else {}
    literal_parts: list[str] = []
    for chapter in chapters:
        if kind == "mdbook":
            lines = _expand_mdbook(chapter, src, expected.not_countable)
        elif kind == "gitbook":
            lines = _expand_gitbook(chapter, src, expected.not_countable)
        else:
            lines = _expand_plain(chapter, src, kind == "leanpub")
        if kind != "mdbook" and lines and lines[0].text.strip() == "---":
            # YAML front matter (GitBook's description, layout): not shown as text
            closing = (i for i, line in enumerate(lines[1:], start=1) if line.text.strip() in ("---", "..."))
            end = next(closing, 0)
            for line in lines[:end + 1]:
                line.text = ""
        prose: list[Line] = []
        fence: tuple[str, int, str] | None = None  # (marker, indent, language)
        quoted = False  # a fence inside a block quote
        in_indented_code = False
        for line in lines:
            if fence is None:
                if line.text.strip() and len(line.text) - len(line.text.lstrip()) < 4:
                    in_indented_code = False
                opened = FENCE_OPEN.match(line.text)
                if opened and (in_indented_code or _indented_code(opened.group(1), prose)):
                    in_indented_code = True  # a fence shown inside an indented code block: literal text
                    opened = None
                if opened:
                    info = opened.group(3).strip()
                    language = re.split(r"[\s,{]", info, maxsplit=1)[0].lower() if info else ""
                    fence = (opened.group(2), len(opened.group(1)), language)
                    quoted = line.text.lstrip().startswith(">")
                    prose.append(Line("", line.file, line.line))
                    continue
                prose.append(line)
                continue
            marker, indent, language = fence
            stripped = re.sub(r"^\s*(?:>\s?)+", "", line.text).strip() if quoted else line.text.strip()
            if stripped.startswith(marker) and not stripped.strip(marker[0]):
                fence = None
                prose.append(Line("", line.file, line.line))
                continue
            if quoted:
                text = re.sub(r"^\s*(?:>\s?)+", "", line.text)
            else:
                text = line.text[indent:] if line.text[:indent].strip() == "" else line.text.lstrip()
            prose.append(Line("", line.file, line.line))
            if not squeeze(text):
                continue
            if _hidden(text, language, prefixes):
                expected.hidden_code_lines += 1
                continue
            if language == "rust" and text.lstrip().startswith("##"):
                text = text.replace("##", "#", 1)
            expected.code.append(Item(text.rstrip(), line.file, line.line))
            literal_parts.append(text)
        html = markdown.markdown("\n".join(line.text for line in prose),
                                 extensions=["tables", "footnotes"])
        parser = etree.HTMLParser(recover=True, encoding="utf-8")
        tree = etree.fromstring(f"<div>{html}</div>".encode(), parser)
        for mark in tree.xpath("//sup[starts-with(@id,'fnref')]|//a[contains(@class,'footnote-backref')]"):
            _drop(mark)
        skeleton, where = _line_skeleton(prose)
        position = 0
        for element in tree.iter("p", "li", "pre"):
            if element.tag == "pre":
                for text in "".join(element.itertext()).splitlines():
                    if text.strip():
                        expected.code.append(Item(text.rstrip(), _rel(chapter, src), 0))
                        literal_parts.append(text)
                continue
            if element.tag == "li" and (element.find("p") is not None):
                continue
            text = _own_text(element) if element.tag == "li" else "".join(element.itertext())
            text = " ".join(text.split())
            literal_parts.append(text)
            needle = letters(text)
            if not needle:
                continue
            found = skeleton.find(needle[:24], position)
            if found < 0:
                found = skeleton.find(needle[:24])
            if found >= 0:
                position = found
                file, number = where[found]
            else:
                file, number = _rel(chapter, src), 0
            expected.paragraphs.append(Item(text, file, number))
    expected.literal = "\n".join(literal_parts)
    return expected


LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")


def _indented_code(indent: str, before: list[Line]) -> bool:
    """Whether a fence line indented by *indent* is the content of an indented code block
    (CommonMark): four or more columns, and not the continuation of a list item."""
    if len(indent.expandtabs(4)) < 4:
        return False
    for line in reversed(before):
        if not line.text.strip():
            continue
        return not (LIST_ITEM.match(line.text) or line.text[:1] in (" ", "\t"))
    return True


def _drop(element: Any) -> None:
    """Remove *element*, keeping its tail text."""
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _own_text(element: Any) -> str:
    """A list item's text without its nested lists."""
    parts = [element.text or ""]
    for child in element:
        if child.tag not in ("ul", "ol"):
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return "".join(parts)


def _line_skeleton(lines: list[Line]) -> tuple[str, list[tuple[str, int]]]:
    chars: list[str] = []
    where: list[tuple[str, int]] = []
    for line in lines:
        for ch in letters(line.text):
            chars.append(ch)
            where.append((line.file, line.line))
    return "".join(chars), where


def letters(text: str) -> str:
    """Only letters and digits, case-folded: immune to quotes, dashes, hyphenation and
    line breaks, so texts from different renderings compare (as tests/helpers.letters)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def squeeze(text: str) -> str:
    """The text without any whitespace (code lines wrap and are re-indented)."""
    text = unicodedata.normalize("NFKC", text).replace("\u200b", "").replace("\ufeff", "")
    return "".join(text.split())


# --- the output side ------------------------------------------------------------------------------

def epub_texts(epub: Path) -> tuple[str, str]:
    """(all body text, the text of every <pre>/<code> element) of the EPUB's spine."""
    with zipfile.ZipFile(epub) as archive:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        opf_path = container.find(".//{*}rootfile").get("full-path")
        package = etree.fromstring(archive.read(opf_path))
        base = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
        manifest = {i.get("id"): i.get("href") for i in package.iter("{*}item")}
        bodies, code = [], []
        for ref in package.iter("{*}itemref"):
            document = etree.fromstring(archive.read(base + manifest[ref.get("idref")]))
            for body in document.iter(f"{XHTML}body"):
                bodies.append("".join(body.itertext()))
            for element in document.iter(f"{XHTML}pre", f"{XHTML}code"):
                in_pre = any(a.tag == f"{XHTML}pre" for a in element.iterancestors())
                if element.tag == f"{XHTML}code" and in_pre:
                    continue
                code.append("".join(element.itertext()))
    return "\n".join(bodies), "\n".join(code)


def pdf_info(pdf: Path) -> tuple[int, float, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size, info
    return pages, float(size.group(1)), float(size.group(2))


def pdf_texts(pdf: Path, margin_pt: int = 45) -> tuple[str, str]:
    """(the body text without running heads and folios, the whole text)."""
    _, width, height = pdf_info(pdf)
    crop = ["-x", "0", "-y", str(margin_pt), "-W", str(int(width)), "-H", str(int(height - 2 * margin_pt))]
    body = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", *crop, str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    whole = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    return body, whole


PAGE_REFERENCE = re.compile(r",[\s\u00a0]*page[\s\u00a0]*\d+|[\s\u00a0]+on[\s\u00a0]+page[\s\u00a0]*\d+")


def without_print_marks(text: str) -> str:
    """The PDF's text without what print adds to the source's words: the page references,
    and the ↪ that opens each continuation of a wrapped code line (the line is one line
    again once whitespace is squeezed out)."""
    return without_page_references(text).replace("\u21aa", "")


def without_page_references(text: str) -> str:
    """The PDF's text without the page numbers print.css adds after a cross-reference
    (a.xref: ", page 12"; a.xref-label: " on page 12"): generated, not the source's words."""
    return PAGE_REFERENCE.sub("", text)


def off_page_words(pdf: Path, tolerance: float = 0.5) -> list[dict[str, Any]]:
    """Every word whose box is not inside its page (pdftotext -bbox, MediaBox)."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(huge_tree=True, recover=True))
    found = []
    for number, page in enumerate(root.iter(f"{XHTML}page"), start=1):
        width, height = float(page.get("width")), float(page.get("height"))
        for word in page.iter(f"{XHTML}word"):
            x0, y0, x1, y1 = (float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
            if x0 < -tolerance or y0 < -tolerance or x1 > width + tolerance or y1 > height + tolerance:
                found.append({"page": number, "word": word.text or "", "box": [x0, y0, x1, y1],
                              "page_size": [width, height]})
    return found


def leaks(output: str, expected: Expected) -> list[str]:
    """``` , {{# or {% in *output* that the source does not say literally (with 24
    characters of context; a marker whose context is in the source's text is literal)."""
    literal = squeeze(expected.literal)
    found = []
    for marker in MARKERS:
        for match in re.finditer(re.escape(marker), output):
            start = match.start() - 1 if output[match.start() - 1:match.start()] == "\\" else match.start()
            context = output[start:match.start() + 30].split("\n")[0]  # a stray backslash too
            if squeeze(context) and squeeze(context) in literal:
                continue
            found.append(" ".join(output[max(0, match.start() - 20):match.start() + 40].split()))
    return found


@dataclass
class Fidelity:
    paragraphs: int
    paragraphs_found: int
    code_lines: int
    code_found: int
    code_outside: int  # found only outside <pre>/<code> (EPUB)
    leaks: list[str]
    missing_paragraphs: list[dict[str, Any]]
    missing_code: list[dict[str, Any]]

    @property
    def paragraph_share(self) -> float:
        return self.paragraphs_found / self.paragraphs if self.paragraphs else 1.0

    @property
    def code_share(self) -> float:
        return self.code_found / self.code_lines if self.code_lines else 1.0


def found_with_gaps(needle: str, haystack: str, gap: int = 3000, gaps: int = 3, sync: int = 16,
                    min_gap: int = 25) -> bool:
    """Whether *needle* is in *haystack* in order, interrupted at most *gaps* times by
    *min_gap* to *gap* characters (a page's footnotes, its running head and folio, a
    figure placed between); after each interruption the next *sync* characters must be
    found again. A short insertion (a stray `[label]`) is not an interruption: it is missed."""
    if len(needle) < sync * 2:
        return False
    start = haystack.find(needle[:sync])
    tries = 0
    while start >= 0 and tries < 50:
        tries += 1
        i, j, left = 0, start, gaps
        while True:
            while i < len(needle) and j < len(haystack) and needle[i] == haystack[j]:
                i, j = i + 1, j + 1
            if i == len(needle):
                return True
            if left == 0:
                break
            left -= 1
            found = haystack.find(needle[i:i + sync], j + min_gap, j + gap + sync)
            if found < 0:
                break
            j = found
        start = haystack.find(needle[:sync], start + 1)
    return False


def _example(item: Item) -> dict[str, Any]:
    return {"where": f"{item.file}:{item.line}", "text": item.text[:160]}


def measure(expected: Expected, text: str, code_text: str | None, leak_text: str) -> Fidelity:
    """How much of *expected* is in an edition: *text* its body text, *code_text* the
    text of its code elements (None: look for code in *text*, as in the PDF)."""
    haystack = letters(text)
    undigited = re.sub(r"\d", "", haystack)
    # A second try without digits: the print edition adds note numbers (a link's address
    # becomes a footnote), which fall inside the paragraph's letters.
    missing_paragraphs = [p for p in expected.paragraphs if letters(p.text) not in haystack
                          and re.sub(r"\d", "", letters(p.text)) not in undigited]
    if code_text is None:
        # The PDF: a paragraph that runs over a page break has the page's footnotes (and
        # whatever the page puts below it) inside it; allow a few such interruptions.
        missing_paragraphs = [p for p in missing_paragraphs
                              if not found_with_gaps(re.sub(r"\d", "", letters(p.text)), undigited)]
    squeezed_all = squeeze(text)
    squeezed_code = squeeze(code_text) if code_text is not None else squeezed_all
    missing_code, outside = [], 0
    for line in expected.code:
        needle = squeeze(line.text)
        if needle in squeezed_code:
            continue
        if code_text is not None and needle in squeezed_all:
            outside += 1
        missing_code.append(line)
    return Fidelity(
        len(expected.paragraphs), len(expected.paragraphs) - len(missing_paragraphs),
        len(expected.code), len(expected.code) - len(missing_code), outside, leaks(leak_text, expected),
        [_example(p) for p in missing_paragraphs], [_example(c) for c in missing_code])


# --- running one book ------------------------------------------------------------------------------

@dataclass
class Step:
    exit: int | None = None
    seconds: float | None = None
    output: str = ""


def run(argv: list[str], cwd: Path | None = None, timeout: float = 3600) -> Step:
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = -1, f"timed out after {timeout:.0f} s\n{exc.stdout or ''}{exc.stderr or ''}"
    return Step(code, round(time.perf_counter() - start, 2), output)


MESSAGE = re.compile(r"^(?P<where>\S+?:\d+(?::\d+)?): (?P<level>error|warning): (?P<message>.*)$")


def group_messages(output: str, level: str | None = None) -> dict[str, dict[str, Any]]:
    """`file:line:col: level: message` lines grouped by message shape (quoted parts
    and numbers blanked), each with its count and first example."""
    groups: dict[str, dict[str, Any]] = {}
    for raw in output.splitlines():
        found = MESSAGE.match(raw.strip())
        if found:
            if level and found.group("level") != level:
                continue
            text = f"{found.group('level')}: {found.group('message')}"
            where = found.group("where")
        elif raw.startswith("book-builder: ") and "build it with" not in raw:
            text, where = raw, ""
        else:
            continue
        shape = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", "'…'", text)
        shape = re.sub(r"\b\d+\b", "N", shape)
        group = groups.setdefault(shape, {"count": 0, "example": f"{where}: {text}".strip(": ")})
        group["count"] += 1
    return groups


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def epubcheck_messages(epub: Path) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
    """EPUBCheck through tests/helpers.py's shared JVM: counts by severity, and the
    errors and warnings grouped by message id with one example each."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.helpers import epubcheck  # one JVM for every EPUB of this process

    counts: dict[str, int] = {}
    groups: dict[str, dict[str, Any]] = {}
    for message in epubcheck(epub):
        severity = str(message.get("severity", "?")).lower()
        counts[severity] = counts.get(severity, 0) + 1
        if severity in ("fatal", "error", "warning"):
            key = f"{severity} {message.get('ID')}"
            locations = message.get("locations") or [{}]
            where = locations[0] if isinstance(locations, list) and locations else {}
            group = groups.setdefault(key, {"count": 0, "example": (
                f"{where.get('path', '?')}:{where.get('line', '?')}: {message.get('message')}")})
            group["count"] += 1
    return counts, groups


def ace_violations(epub: Path) -> list[dict[str, Any]]:
    ace = _load("corpus_ace", ROOT / "scripts" / "ace.py") if "corpus_ace" not in sys.modules else \
        sys.modules["corpus_ace"]
    sys.modules["corpus_ace"] = ace
    return list(ace.run_ace(epub))


def _group_ace(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for item in found:
        key = f"{item.get('impact')} {item.get('rule')}"
        html = (item.get("html") or "").split(" <!--##--> ")[0]
        group = groups.setdefault(key, {"count": 0, "example": (
            f"{item.get('file')}: {' '.join(str(item.get('message', '')).split())[:200]} {html[:160]}")})
        group["count"] += 1
    return groups


def pandoc_times(expected: Expected, src: Path, out: Path) -> dict[str, Any]:
    """Pandoc on the same source files, in the same order (as bench/run.sh invokes it)."""
    if shutil.which("pandoc") is None:
        return {"skipped": "pandoc not installed"}
    env_path = f"{PYTHON.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    chapters = [str(c) for c in expected.chapters]
    resource = os.pathsep.join(sorted({str(c.parent) for c in expected.chapters}))
    title = src.name
    results: dict[str, Any] = {}
    for key, flags, name in (("epub", [], "pandoc.epub"),
                             ("pdf", ["--pdf-engine=weasyprint", "--css", str(PANDOC_CSS)], "pandoc.pdf")):
        argv = ["pandoc", "-o", str(out / name), *flags, "--resource-path", resource,
                "--metadata", f"title={title}", *chapters]
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=src, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              env={**os.environ, "PATH": env_path}, timeout=3600)
        results[key] = {"exit": done.returncode, "seconds": round(time.perf_counter() - start, 2)}
        if key == "pdf" and done.returncode == 0 and (out / name).is_file():
            results[key]["pages"] = pdf_info(out / name)[0]
        if done.returncode:
            results[key]["error"] = done.stderr.strip().splitlines()[-1:] if done.stderr.strip() else []
    return results


@dataclass
class BookResult:
    name: str
    source: str
    kind: str = ""
    chapters: int = 0
    import_options: list[str] = field(default_factory=list)
    import_step: Step = field(default_factory=Step)
    build_step: Step = field(default_factory=Step)
    epub: str | None = None
    pdf: str | None = None
    pages: int | None = None
    import_messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    build_errors: dict[str, dict[str, Any]] = field(default_factory=dict)
    epubcheck_counts: dict[str, int] | None = None
    epubcheck_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    ace_count: int | None = None
    ace_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    checker_errors: list[str] = field(default_factory=list)
    epub_fidelity: Fidelity | None = None
    pdf_fidelity: Fidelity | None = None
    off_page: list[dict[str, Any]] | None = None
    hidden_code_lines: int = 0
    not_countable: list[str] = field(default_factory=list)
    pandoc: dict[str, Any] = field(default_factory=dict)


def run_book(name: str, src: Path, work: Path, *, pdf: bool = True, checks: bool = True,
             pandoc: bool = True, import_options: list[str] | None = None) -> BookResult:
    """Import (with *import_options*, e.g. --base-url, --within), build, check and measure
    one book; *work* is emptied first."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    result = BookResult(name, str(src))
    expected = expected_from_source(src)
    result.kind, result.chapters = expected.kind, len(expected.chapters)
    result.hidden_code_lines, result.not_countable = expected.hidden_code_lines, expected.not_countable
    book, dist = work / "book", work / "dist"
    result.import_options = list(import_options or [])
    result.import_step = run([str(PYTHON), "-m", "builder", "import", *result.import_options, str(src),
                              str(book)], cwd=ROOT)
    result.import_messages = group_messages(result.import_step.output)
    if result.import_step.exit == 0:
        result.build_step = run([str(PYTHON), "-m", "builder", "build", *([] if pdf else ["--epub"]),
                                 "--quiet", "--out", str(dist), str(book)], cwd=ROOT)
        result.build_errors = group_messages(result.build_step.output)
    epubs, pdfs = sorted(dist.glob("*.epub")), sorted(dist.glob("*.pdf"))
    if result.build_step.exit == 0 and epubs:
        result.epub = str(epubs[0])
        text, code = epub_texts(epubs[0])
        result.epub_fidelity = measure(expected, text, code, text)
        if checks:
            try:
                result.epubcheck_counts, result.epubcheck_groups = epubcheck_messages(epubs[0])
            except BaseException as exc:
                result.checker_errors.append(f"EPUBCheck: {type(exc).__name__}: {exc}")
            try:
                found = ace_violations(epubs[0])
                result.ace_count, result.ace_groups = len(found), _group_ace(found)
            except Exception as exc:
                result.checker_errors.append(f"Ace: {type(exc).__name__}: {exc}")
    if pdf and result.build_step.exit == 0 and pdfs:
        result.pdf = str(pdfs[0])
        result.pages = pdf_info(pdfs[0])[0]
        body, whole = (without_print_marks(text) for text in pdf_texts(pdfs[0]))
        result.pdf_fidelity = measure(expected, body, None, whole)
        result.off_page = off_page_words(pdfs[0])
    if pandoc:
        (work / "pandoc").mkdir()
        try:
            result.pandoc = pandoc_times(expected, src, work / "pandoc")
        except Exception as exc:
            result.pandoc = {"error": f"{type(exc).__name__}: {exc}"}
    return result


def targets(result: BookResult, pdf: bool = True) -> list[tuple[str, bool | None, str]]:
    """(target, met (None: not measured, which counts as failed), detail)."""
    out: list[tuple[str, bool | None, str]] = []
    out.append(("import exit 0", result.import_step.exit == 0, f"exit {result.import_step.exit}"))
    out.append(("build exit 0", result.build_step.exit == 0 if result.build_step.exit is not None else None,
                f"exit {result.build_step.exit}"))
    counts = result.epubcheck_counts
    if counts is None:
        out.append(("EPUBCheck 0 errors 0 warnings", None, "; ".join(result.checker_errors) or "no EPUB"))
    else:
        bad = counts.get("fatal", 0) + counts.get("error", 0) + counts.get("warning", 0)
        errors = counts.get("fatal", 0) + counts.get("error", 0)
        out.append(("EPUBCheck 0 errors 0 warnings", bad == 0,
                    f"{errors} errors, {counts.get('warning', 0)} warnings"))
    out.append(("Ace 0 violations", None if result.ace_count is None else result.ace_count == 0,
                "not run" if result.ace_count is None else f"{result.ace_count} violations"))
    editions = [("EPUB", result.epub_fidelity)] + ([("PDF", result.pdf_fidelity)] if pdf else [])
    for edition, fidelity in editions:
        if fidelity is None:
            for what in ("paragraphs >= 99%", "code lines >= 99%",
                         *(["code lines inside code elements"] if edition == "EPUB" else []),
                         "no ``` {{# {% in text"):
                out.append((f"{edition} {what}", None, "no output"))
            continue
        out.append((f"{edition} paragraphs >= 99%", fidelity.paragraph_share >= THRESHOLD,
                    f"{fidelity.paragraphs_found}/{fidelity.paragraphs} ({fidelity.paragraph_share:.1%})"))
        out.append((f"{edition} code lines >= 99%", fidelity.code_share >= THRESHOLD,
                    f"{fidelity.code_found}/{fidelity.code_lines} ({fidelity.code_share:.1%})"))
        if edition == "EPUB":
            out.append(("EPUB code lines inside code elements", fidelity.code_outside == 0,
                        f"{fidelity.code_outside} outside"))
        out.append((f"{edition} no ``` {{{{# {{% in text", not fidelity.leaks,
                    f"{len(fidelity.leaks)} found"))
    if pdf:
        out.append(("PDF no text off the page", None if result.off_page is None else not result.off_page,
                    "not measured" if result.off_page is None else f"{len(result.off_page)} words"))
    return out


def report_dict(result: BookResult, pdf: bool = True) -> dict[str, Any]:
    data = asdict(result)
    for key in ("import_step", "build_step"):
        data[key]["output"] = data[key]["output"][-4000:]
    for key in ("epub_fidelity", "pdf_fidelity"):
        if data[key]:
            data[key]["missing_paragraphs"] = data[key]["missing_paragraphs"][:40]
            data[key]["missing_code"] = data[key]["missing_code"][:40]
            data[key]["leaks"] = data[key]["leaks"][:40]
    if data["off_page"]:
        data["off_page_count"] = len(data["off_page"])
        data["off_page"] = data["off_page"][:40]
    data["targets"] = [{"target": t, "met": ok, "detail": d} for t, ok, d in targets(result, pdf)]
    return data


def print_table(results: list[BookResult]) -> None:
    names = [r.name for r in results]
    rows = [t for t, _, _ in targets(results[0])]
    width = max(len(r) for r in rows) + 2
    print(f"{'target':<{width}}" + "".join(f"{n[:24]:<26}" for n in names))
    table = {r.name: {t: (ok, d) for t, ok, d in targets(r)} for r in results}
    for row in rows:
        cells = []
        for name in names:
            ok, detail = table[name].get(row, (None, "-"))
            mark = "ok" if ok else ("FAIL" if ok is False else "n/a")
            cells.append(f"{(mark + ' ' + detail)[:24]:<26}")
        print(f"{row:<{width}}" + "".join(cells))
    print()
    for r in results:
        pandoc = r.pandoc or {}
        print(f"{r.name}: {r.kind}, {r.chapters} chapters; import {r.import_step.seconds} s, "
              f"build {r.build_step.seconds} s, {r.pages} pages; Pandoc EPUB "
              f"{pandoc.get('epub', {}).get('seconds')} s, Pandoc+WeasyPrint PDF "
              f"{pandoc.get('pdf', {}).get('seconds')} s, {pandoc.get('pdf', {}).get('pages')} pages")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--book", action="append", help="only this book (repeatable)")
    parser.add_argument("--no-pandoc", action="store_true", help="do not time Pandoc")
    parser.add_argument("--work", type=Path,
                        help="scratch folder (default $CORPUS_WORK or CORPUS_DIR/../corpus-work)")
    parser.add_argument("--json", type=Path, help="the report (default WORK/corpus-report.json)")
    args = parser.parse_args(argv)
    corpus = os.environ.get("CORPUS_DIR", "")
    if not corpus or not Path(corpus).is_dir():
        print(SKIP_HINT if not corpus else SKIP_HINT.replace("not set", f"{corpus!r} is not a folder"))
        return 0
    corpus_dir = Path(corpus).resolve()
    work = args.work or Path(os.environ.get("CORPUS_WORK") or corpus_dir.parent / "corpus-work")
    results: list[BookResult] = []
    for source in read_sources():
        if args.book and source.name not in args.book:
            continue
        src = corpus_dir / source.name / source.subdir
        if not src.is_dir():
            print(f"corpus: {source.name}: {src} is missing (fetch {source.repo} at {source.commit})")
            result = BookResult(source.name, str(src))
            results.append(result)
            continue
        options = source.import_options(corpus_dir / source.name)
        shown = f" (import {' '.join(options)})" if options else ""
        print(f"corpus: {source.name} ({source.licence}){shown} ...", flush=True)
        results.append(run_book(source.name, src, work / source.name, pandoc=not args.no_pandoc,
                                import_options=options))
    if not results:
        print("corpus: no book selected")
        return 2
    print_table(results)
    report = work / "corpus-report.json" if args.json is None else args.json
    report.parent.mkdir(parents=True, exist_ok=True)
    data = [report_dict(r) for r in results]
    report.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"corpus: report written to {report}")
    failed = [r.name for r in results if any(ok is not True for _, ok, _ in targets(r))]
    print(f"corpus: {len(results) - len(failed)} of {len(results)} books meet every target"
          + (f"; failing: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
