"""WeasyPrint as shipped: every private name the builder uses is behind a probe
in builder.weasyprint_adapter. With every probe failed the book is the same
(text, bookmarks, tags, page count; the typography pass aside, whose part is to
move line breaks), the build says once what is off, and
nothing of WeasyPrint or pydyf is replaced; `check` and `build --epub` write no PDF."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from builder.weasyprint_adapter import TYPOGRAPHY
from tests.conftest import FIXTURES, REPO
from tests.helpers import copy_book

# Run in a fresh interpreter: the speed-ups are installed once per process.
BUILD_AND_REPORT = """
import json, sys, zlib
from pathlib import Path
from builder.pipeline import build
said = []
build(Path(sys.argv[1]), Path(sys.argv[2]), progress=said.append)
import pydyf
from weasyprint.layout import LayoutContext
print(json.dumps({
    "said": said,
    "pydyf_write_shipped": pydyf.PDF.write.__module__ == "pydyf",
    "zlib_shipped": pydyf.zlib is zlib,
    "to_bytes_shipped": pydyf._to_bytes.__module__ == "pydyf",
    "page_references_shipped": getattr(vars(pydyf.PDF)["page_references"], "fget", None) is None
                               or vars(pydyf.PDF)["page_references"].fget.__module__ == "pydyf",
    "layout_context_shipped": not hasattr(LayoutContext.__init__, "frees_by_reference_counting"),
}))
"""


def _build(book: Path, out: Path, probes: str | None, prelude: str = "") -> dict[str, Any]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    env.pop("BOOK_BUILDER_PROBES", None)
    if probes is not None:
        env["BOOK_BUILDER_PROBES"] = probes
    done = subprocess.run([sys.executable, "-c", prelude + BUILD_AND_REPORT, str(book), str(out)],
                          capture_output=True, text=True, env=env, cwd=REPO, check=False, timeout=600)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _pdf_facts(pdf: Path) -> dict[str, Any]:
    reader = PdfReader(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout

    def outline(items: list[Any]) -> list[Any]:
        return [outline(item) if isinstance(item, list) else item.title for item in items]

    def tags(element: Any) -> list[Any]:
        kids = element.get("/K")
        kids = kids if isinstance(kids, list) else [kids] if kids is not None else []
        return [str(element.get("/S")), [tags(kid.get_object()) for kid in kids
                                         if hasattr(kid.get_object(), "get") and "/S" in kid.get_object()]]

    root = reader.trailer["/Root"]
    return {"pages": len(reader.pages), "text": text, "bookmarks": outline(reader.outline),
            "tags": tags(root["/StructTreeRoot"].get_object())}


@pytest.mark.parametrize("fixture", [REPO, FIXTURES / "tech-book"], ids=["real_book", "tech_book"])
def test_every_probe_failed_gives_the_same_book_with_weasyprint_as_shipped(
        fixture: Path, tmp_path: Path) -> None:
    """A build with every speed-up on against one with every probe failed. Both without the
    typography pass: it changes where lines break (what it is for), which no speed-up may."""
    book = copy_book(fixture, tmp_path / "book")
    ours = _build(book, tmp_path / "ours", TYPOGRAPHY.name)
    assert [line for line in ours["said"] if line.startswith("note")] == [
        f"note        {TYPOGRAPHY.what} off (BOOK_BUILDER_PROBES)"]
    shipped = _build(book, tmp_path / "shipped", "off")
    assert all(shipped[key] for key in shipped if key.endswith("_shipped")), \
        "a probe failed but its speed-up was installed anyway"
    notes = [line for line in shipped["said"] if line.startswith("note")]
    assert len(notes) == len(set(notes)) >= 6, notes
    [ours_pdf] = list((tmp_path / "ours").glob("*.pdf"))
    [shipped_pdf] = list((tmp_path / "shipped").glob("*.pdf"))
    assert _pdf_facts(ours_pdf) == _pdf_facts(shipped_pdf)
    assert list((tmp_path / "shipped").glob("*.epub")), "the EPUB is still made"


def test_a_reshaped_private_name_turns_off_only_its_own_part(tmp_path: Path) -> None:
    """As if a newer pydyf made page_references something other than a property."""
    prelude = ("import functools, pydyf\n"
               "_shipped = vars(pydyf.PDF)['page_references'].fget\n"
               "pydyf.PDF.page_references = functools.cached_property(_shipped)\n"
               "pydyf.PDF.page_references.__set_name__(pydyf.PDF, 'page_references')\n")
    book = copy_book(FIXTURES / "small-book", tmp_path / "book")
    report = _build(book, tmp_path / "out", None, prelude)
    notes = [line for line in report["said"] if line.startswith("note")]
    # one note: every other probe holds with the libraries as pinned
    assert len(notes) == 1 and "page references off" in notes[0], notes
    assert not report["zlib_shipped"], "the other speed-ups stay on"
    assert PdfReader(next((tmp_path / "out").glob("*.pdf"))).pages


CHECK_AND_EPUB = """
import json, sys
from pathlib import Path
from builder.pipeline import build, check
book = Path(sys.argv[1])
problems = check(book)
after_check = sorted(m for m in sys.modules if m.startswith("builder."))
build(book, Path(sys.argv[2]), ["epub"])
after_epub = sorted(m for m in sys.modules if m.startswith("builder."))
import pydyf
print(json.dumps({"problems": len(problems), "after_check": after_check, "after_epub": after_epub,
                  "pydyf_write_shipped": pydyf.PDF.write.__module__ == "pydyf"}))
"""


@pytest.mark.parametrize("page_map_cached", [False, True])
def test_check_and_an_epub_build_write_no_pdf(tmp_path: Path, page_map_cached: bool) -> None:
    book = copy_book(FIXTURES / "small-book", tmp_path / "book")
    if page_map_cached:
        subprocess.run([sys.executable, "-m", "builder", "build", "--epub", str(book)], cwd=REPO,
                       check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-c", CHECK_AND_EPUB, str(book), str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=REPO, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["problems"] == 0
    assert not {"builder.pdf", "builder.layout", "builder.pagemap"} & set(report["after_check"])
    assert "builder.pdf" not in report["after_epub"] and report["pydyf_write_shipped"]
    if page_map_cached:
        assert "builder.layout" not in report["after_epub"], "a cached page map needs no layout"


def test_the_adapter_is_the_only_module_with_private_names() -> None:
    """Outside the adapter, builder/ names no private attribute of WeasyPrint, pydyf or Pyphen."""
    private = re.compile(r"\b(?:pydyf|pyphen|weasyprint)\.(?:\w+\.)*_\w+|\._page_box\b|hdcache"
                         r"|formatting_structure|LayoutContext|page_references")
    offenders = [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
                 for path in sorted((REPO / "builder").rglob("*.py")) if path.name != "weasyprint_adapter.py"
                 for number, line in enumerate(path.read_text().splitlines(), start=1)
                 if private.search(line) and not line.lstrip().startswith("#")]
    assert offenders == []
