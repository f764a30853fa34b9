"""Same source, same bytes: two builds in different folders, working directories
and hash seeds give byte-identical EPUB and PDF files."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from builder.config import load_config
from builder.dating import build_time
from tests.conftest import FIXTURES, REPO
from tests.helpers import copy_book, opf


def _copy_book(target: Path) -> Path:
    return copy_book(REPO, target)


def _build(book: Path, cwd: Path, seed: str, extra_env: dict[str, str]) -> dict[str, bytes]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env.update({"PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO), **extra_env})
    subprocess.run([sys.executable, "-m", "builder", "build", "--quiet", str(book)],
                   cwd=cwd, env=env, check=True, timeout=300)
    return {p.name: p.read_bytes() for p in sorted((book / "dist").iterdir())}


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """A copy of the real book built once: its folder (conversion cache and all) and its files."""
    first = _copy_book(tmp_path_factory.mktemp("first") / "a-book")
    return first, _build(first, first, "1", {})


@pytest.fixture(scope="module")
def two_builds(first_build: tuple[Path, dict[str, bytes]],
               tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    second = _copy_book(tmp_path_factory.mktemp("second") / "another-name")
    return (first_build[1], _build(second, Path("/"), "4242", {}))


def test_two_builds_are_byte_identical(two_builds: tuple[dict[str, bytes], dict[str, bytes]]) -> None:
    first, second = two_builds
    assert sorted(first) == ["no-one-saw-us-leave.epub", "no-one-saw-us-leave.pdf"]
    for name in first:
        assert first[name] == second[name], f"{name} differs between two builds"


def test_no_folder_or_temporary_name_leaks_into_the_output(
    two_builds: tuple[dict[str, bytes], dict[str, bytes]]
) -> None:
    for data in two_builds[0].values():
        for needle in (b"a-book", b"/tmp/", b"pytest", str(REPO).encode()):
            assert needle not in data


def test_a_book_with_images_gives_the_same_bytes_wherever_it_lies(tmp_path: Path) -> None:
    """WeasyPrint names each image in the PDF by a hash of its URL: the URL it
    is given for the book folder must not be the folder's own."""
    books = [shutil.copytree(FIXTURES / "tech-book", tmp_path / name / "book")
             for name in ("here", "somewhere-else-entirely")]
    first, second = (_build(book, book, "1", {"SOURCE_DATE_EPOCH": "1700000000"}) for book in books)
    assert sorted(first) == ["practical-widgets.epub", "practical-widgets.pdf"]
    for name in first:
        assert first[name] == second[name], f"{name} depends on the book's folder"
        assert b"somewhere-else" not in second[name]


def test_epub_zip_has_fixed_order_and_times(tmp_path: Path,
                                            two_builds: tuple[dict[str, bytes], dict[str, bytes]]) -> None:
    epub = tmp_path / "book.epub"
    epub.write_bytes(two_builds[0]["no-one-saw-us-leave.epub"])
    with zipfile.ZipFile(epub) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_build_time_comes_from_book_toml_outside_git(tmp_path: Path) -> None:
    book = _copy_book(tmp_path / "book")
    assert build_time(load_config(book)) == dt.datetime(2025, 10, 15, tzinfo=dt.UTC)


def test_source_date_epoch_sets_the_modified_date(tmp_path: Path) -> None:
    book = _copy_book(tmp_path / "book")
    _build(book, tmp_path, "0", {"SOURCE_DATE_EPOCH": "1767225600"})  # 2026-01-01
    package = opf(book / "dist" / "no-one-saw-us-leave.epub")
    modified = package.find(".//{*}meta[@property='dcterms:modified']").text
    assert modified == "2026-01-01T00:00:00Z"
    info = PdfReader(book / "dist" / "no-one-saw-us-leave.pdf").metadata
    assert info.creation_date == info.modification_date == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_build_time_follows_the_last_commit_touching_the_book(tmp_path: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    book = _copy_book(tmp_path / "book")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2024-03-01T12:00:00Z",
           "GIT_COMMITTER_DATE": "2024-03-01T12:00:00Z", "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    env.pop("SOURCE_DATE_EPOCH", None)
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "book"]):
        subprocess.run([git, *command], cwd=book, env=env, check=True)
    os.environ.pop("SOURCE_DATE_EPOCH", None)
    assert build_time(load_config(book)) == dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)


def test_the_pydyf_speed_ups_write_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """builder.weasyprint_adapter caches pydyf's page references (quadratic otherwise) and makes
    each object's bytes once per write (pydyf compresses every stream twice when
    it hashes the identifier): at pydyf's compression level, the PDF is
    byte-identical to plain pydyf's."""
    from builder import weasyprint_adapter as pdf
    from builder.pipeline import build

    book = _copy_book(tmp_path / "book")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setattr(pdf.STREAM_COMPRESSION, "level", 9)
    sped_up = build(book, tmp_path / "with", ["pdf"]).files[0].read_bytes()
    with pdf.pydyf_as_shipped():
        plain = build(book, tmp_path / "without", ["pdf"]).files[0].read_bytes()
    assert sped_up == plain
    assert b"/ID" in sped_up


class _Name(str):
    """A str subclass: pydyf's own conversion must still handle it."""


def test_the_faster_to_bytes_gives_pydyf_s_bytes_for_every_kind() -> None:
    import pydyf

    from builder import weasyprint_adapter as pdf

    with pdf.pydyf_as_shipped():
        original = pydyf._to_bytes
    fast = pdf._faster_to_bytes(original)
    nested = pydyf.Dictionary({"Type": "/StructElem", "K": pydyf.Array([0, 1, b"12 0 R"])})
    values = [b"1 0 R", b"", "/P", "", 0, -7, 2**70, True, False, 1.0, 0.5, -2.25, 1e-7,
              _Name("/Sect"), nested, pydyf.Array([1.5, "x", nested]), pydyf.String("(a)")]
    assert [fast(value) for value in values] == [original(value) for value in values]
    with pytest.raises(UnicodeEncodeError):
        fast("é")  # as pydyf: a name or operator is ASCII, or an error


def test_streams_are_compressed_faster_to_the_same_content(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At zlib's default level every stream decompresses to what pydyf's level 9 held."""
    from builder import weasyprint_adapter as pdf
    from builder.pipeline import build

    book = _copy_book(tmp_path / "book")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    ours = build(book, tmp_path / "ours", ["pdf"]).files[0]
    with pdf.pydyf_as_shipped():
        plain = build(book, tmp_path / "plain", ["pdf"]).files[0]
    assert ours.read_bytes() != plain.read_bytes()
    assert _streams(ours) == _streams(plain)


def _streams(path: Path) -> list[bytes]:
    reader = PdfReader(path)
    found = []
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(number)
        except Exception:  # a free object number
            continue
        # The cross-reference stream holds byte offsets, which differ of course.
        if hasattr(obj, "get_data") and obj.get("/Type") != "/XRef":
            found.append(obj.get_data())
    assert len(found) > 20
    return found


def test_a_rebuild_from_the_conversion_cache_gives_the_same_bytes(
        first_build: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    """The first build of two_builds, built again in its folder from its cache."""
    book, first = first_build
    cached = list((book / ".cache" / "book-builder" / "markdown").glob("*.json"))
    assert len(cached) == 9, "one conversion per chapter"
    shutil.rmtree(book / "dist")
    again = _build(book, tmp_path, "2", {})
    assert again == first


def test_a_changed_chapter_is_converted_again_and_the_stale_entry_goes(tmp_path: Path) -> None:
    from builder.config import load_config
    from builder.manuscript import read_book

    book = _copy_book(tmp_path / "book")
    read_book(load_config(book))
    folder = book / ".cache" / "book-builder" / "markdown"
    before = {p.name for p in folder.glob("*.json")}
    chapter = book / "chapters" / "09-conclusion.md"
    chapter.write_text(chapter.read_text() + "\nA new closing line.\n")
    converted = read_book(load_config(book))
    after = {p.name for p in folder.glob("*.json")}
    assert len(before - after) == 1 and len(after - before) == 1
    assert "A new closing line." in converted.chapters[-1].body[-1].xhtml
