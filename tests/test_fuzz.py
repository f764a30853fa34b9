"""Random manuscripts either build into a valid EPUB and a PDF that opens, or
fail with one of the builder's own clear errors; never a crash.

Seeded and bounded for CI (FUZZ_EXAMPLES, default 30); `make fuzz` runs long,
with new random examples each time."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

from builder.errors import BuilderError
from builder.pipeline import build
from tests.helpers import epubcheck

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
# CI replays the same seeded examples; `make fuzz` (FUZZ_RANDOM=1) explores new ones.
SEEDED = os.environ.get("FUZZ_RANDOM") != "1"
ODD_TEXT = ["\u200f", "\u202e", "e\u0301", "👩‍👩‍👧", "\x00", "&#xD800;", "&#0;", "&nbsp;", "&bogus;",
            "ﬁ", "\u00ad", "“", "'", '"', "--", "...", "<", ">", "&", "*", "_", "`", "\\", "[", "]"]
RAW_HTML = ["<div>open", "</p>", "<b><i>crossed</b></i>", "<figure><img src=x.png></figure>",
            "<center>old</center>", "<br>", "<table><tr><td>cell</table>", "<span title=unquoted>x</span>",
            "<p onclick=x>handler</p>", "<script>x</script>", "<!-- comment -->", "<svg><circle r=1/></svg>",
            "<a href=javascript:x>js</a>", "<aside>note</aside>", "&#x1F600;", "<math><mi>x</mi></math>"]

words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
inline = st.one_of(
    words,
    st.sampled_from(ODD_TEXT),
    words.map(lambda w: f"*{w}*"),
    words.map(lambda w: f"**{w}**"),
    words.map(lambda w: f"[{w}](#{w})"),
    words.map(lambda w: f"[{w}](https://example.org/{w})"),
    st.sampled_from(RAW_HTML),
    st.sampled_from(["[^1]", "[^a]"]),
)
line = st.lists(inline, min_size=1, max_size=8).map(" ".join)
block = st.one_of(
    line,
    line.map(lambda t: f"## {t}"),
    line.map(lambda t: f"### {t}"),
    st.lists(line, min_size=1, max_size=4).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.lists(line, min_size=1, max_size=3).map(lambda items: "\n".join(f"{n}. {i}" for n, i in
                                                                       enumerate(items, 1))),
    st.tuples(line, line).map(lambda c: f"| A | B |\n|---|---|\n| {c[0]} | {c[1]} |"),
    line.map(lambda t: f"[^1]: {t}"),
    line.map(lambda t: f"> {t}"),
    st.sampled_from(RAW_HTML),
    st.just("[[author-table]]"),
)
chapter = st.tuples(line, st.lists(block, min_size=0, max_size=8)).map(
    lambda c: f"# {c[0]}\n\n" + "\n\n".join(c[1]) + "\n")
sample = {"checked": 0}


def _write_book(root: Path, chapters: list[str]) -> None:
    (root / "book").mkdir(parents=True)
    (root / "chapters").mkdir()
    (root / "book" / "book.toml").write_text(
        'title = "Fuzz"\nauthors = ["Hypothesis"]\nlanguage = "en"\ndate = 2024-01-01\n')
    for number, text in enumerate(chapters, start=1):
        (root / "chapters" / f"{number:02d}-c.md").write_text(text, encoding="utf-8")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=SEEDED, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(chapter, min_size=1, max_size=3))
def test_random_manuscripts_build_or_fail_clearly(chapters: list[str]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "book"
        _write_book(root, chapters)
        try:
            result = build(root, root / "dist")
        except BuilderError as exc:
            assert str(exc) and all(d.message for d in exc.diagnostics)
            assert not (root / "dist").exists() or not list((root / "dist").iterdir())
            return
        epub, pdf = sorted(result.files)
        with zipfile.ZipFile(epub) as archive:
            for name in archive.namelist():
                if name.endswith((".xhtml", ".opf", ".ncx")):
                    etree.fromstring(archive.read(name))  # strict XML: raises if malformed
        assert len(PdfReader(io.BytesIO(pdf.read_bytes())).pages) >= 1
        if sample["checked"] < 3:  # EPUBCheck on a sample: it costs seconds a run
            sample["checked"] += 1
            messages = epubcheck(epub)
            assert messages == [], [f"{m['ID']}: {m['message']}" for m in messages] + chapters


# Manuscripts that build: what a page can hold, with none of the mistakes.
SAFE_TEXT = ["\u200f", "e\u0301", "ﬁ", "\u00ad", "“", "'", "--", "...", "&amp;", "&nbsp;",
             "<br>", "<center>old</center>", "<span title=unquoted>x</span>", "<svg><circle r=1/></svg>",
             "<math><mi>x</mi></math>", "`code`"]
latin = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZäöüéçñß0123456789",
               min_size=1, max_size=12)
# One word in two hundred from any script: fallback fonts, and glyphs no font has.
any_letters = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=12)
letters = st.integers(0, 199).flatmap(lambda n: any_letters if n == 0 else latin)
safe_inline = st.one_of(
    letters,
    st.sampled_from(SAFE_TEXT),
    letters.map(lambda w: f"*{w}*"),
    letters.map(lambda w: f"[{w}](https://example.org/{w})"),
)
safe_line = st.lists(safe_inline, min_size=1, max_size=12).map(" ".join)
safe_block = st.one_of(
    safe_line,
    safe_line.map(lambda t: f"## {t}"),
    st.lists(safe_line, min_size=1, max_size=6).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.tuples(safe_line, safe_line).map(lambda c: f"| A | B |\n|---|---|\n| {c[0]} | {c[1]} |"),
    safe_line.map(lambda t: f"> {t}"),
    st.just("```python\nprint('hello')\n```"),
)
# A chapter's body; its title is given by the test, each book's titles told apart.
safe_body = st.lists(safe_block, min_size=1, max_size=12).map(lambda blocks: "\n\n".join(blocks) + "\n")


@settings(max_examples=max(EXAMPLES // 3, 1), deadline=None, derandomize=SEEDED, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(latin, safe_body), min_size=2, max_size=4))
def test_random_manuscripts_built_on_two_cores_are_the_books_built_on_one(
        titles_and_bodies: list[tuple[str, str]]) -> None:
    chapters = [f"# {number}. {title}\n\n{body}"
                for number, (title, body) in enumerate(titles_and_bodies, start=1)]
    with tempfile.TemporaryDirectory() as scratch, \
            mock.patch.dict(os.environ, {"SOURCE_DATE_EPOCH": "1700000000"}):
        root = Path(scratch) / "book"
        _write_book(root, chapters)
        two_cores = [f.read_bytes() for f in build(root, root / "two").files]
        shutil.rmtree(root / ".cache")
        with mock.patch.dict(os.environ, {"BOOK_BUILDER_SERIAL": "1"}):
            one_core = [f.read_bytes() for f in build(root, root / "one").files]
        assert two_cores == one_core, chapters
