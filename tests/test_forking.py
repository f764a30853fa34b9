"""Two stages at once: a forked child does one while the parent goes on, and a
build made that way is the same, byte for byte and error for error, as a serial one."""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyphen
import pytest

import builder.pipeline
import builder.speed.cache
import builder.speed.forking
from builder.errors import ConfigError, Location
from builder.manuscript.convert import converters
from builder.pipeline import build
from builder.speed.cache import MarkdownCache
from builder.speed.forking import Beside, InTurn, can_fork, room_for_a_copy
from tests.conftest import FIXTURES

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this system")


def _pid() -> int:
    return os.getpid()


def _only_in_parent(parent: int) -> str:
    if os.getpid() != parent:
        raise RuntimeError("the child fails")
    return "made by the parent"


def _unpicklable() -> object:
    return lambda: "still works"


def _bad_config() -> None:
    raise ConfigError("book.toml: title is missing", Location(Path("book/book.toml"), 3))


def _sleep() -> None:
    time.sleep(60)


def test_the_result_is_made_in_a_child_process() -> None:
    assert can_fork(), "the test process has other threads, so builds here never fork"
    with Beside(_pid) as side:
        child = side.result()
    assert side.forked
    assert child != os.getpid()


def test_a_failing_child_leaves_the_work_to_the_parent() -> None:
    with Beside(_only_in_parent, os.getpid()) as side:
        assert side.result() == "made by the parent"
    assert side.forked


def test_a_result_that_does_not_pickle_is_made_again_by_the_parent() -> None:
    with Beside(_unpicklable) as side:
        made = side.result()
    assert callable(made) and made() == "still works"


def test_an_error_is_the_one_a_serial_run_raises() -> None:
    with Beside(_bad_config) as side, pytest.raises(ConfigError, match="title is missing"):
        side.result()


def test_serial_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOK_BUILDER_SERIAL", "1")
    with Beside(_pid) as side:
        assert not side.forked
        assert side.result() == os.getpid()


def test_serial_when_the_memory_has_no_room_for_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder.speed.forking, "room_for_a_copy", lambda: False)
    with Beside(_pid) as side:
        assert not side.forked
        assert side.result() == os.getpid()


def test_a_build_short_of_memory_says_it_runs_in_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    said: dict[bool, list[str]] = {}
    for room in (True, False):
        monkeypatch.setattr(builder.speed.forking, "room_for_a_copy", lambda room=room: room)
        said[room] = []
        book = shutil.copytree(FIXTURES / "small-book", tmp_path / f"book-{room}")
        build(book, tmp_path / f"dist-{room}", ["pdf"], progress=said[room].append)
    [pdf_line] = [line for line in said[False] if line.startswith("pdf ")]
    assert "in one process: the free memory would not hold a second" in pdf_line
    assert not any("one process" in line for line in said[True])


def _machine(root: Path, resident_mib: int, available_mib: int | None,
             groups: dict[str, str] | None = None, own_group: str | None = None) -> tuple[Path, Path]:
    """A /proc and a /sys/fs/cgroup with only what room_for_a_copy reads."""
    proc, cgroup = root / "proc", root / "cgroup"
    (proc / "self").mkdir(parents=True)
    cgroup.mkdir()
    pages = resident_mib * MIB // os.sysconf("SC_PAGE_SIZE")
    (proc / "self" / "statm").write_text(f"999999 {pages} 100 10 0 500 0\n")
    if available_mib is not None:
        (proc / "meminfo").write_text(
            f"MemTotal:       99999999 kB\nMemAvailable:   {available_mib * 1024} kB\n")
    if own_group is not None:
        (proc / "self" / "cgroup").write_text(own_group)
    for name, text in (groups or {}).items():
        (cgroup / name).parent.mkdir(parents=True, exist_ok=True)
        (cgroup / name).write_text(text)
    return proc, cgroup


MIB = 2**20
_SHORT_V2 = {"memory.max": f"{1000 * MIB}\n", "memory.current": f"{900 * MIB}\n"}
_SHORT_V1 = {"memory/memory.limit_in_bytes": f"{1000 * MIB}\n",
             "memory/memory.usage_in_bytes": f"{900 * MIB}\n"}
_V2_MOUNT = {"cgroup.controllers": "cpu memory pids\n"}


@pytest.mark.parametrize(("available", "groups", "own_group", "room"), [
    (4000, None, None, True),
    (150, None, None, False),  # the machine is short of memory
    (None, None, None, True),  # nothing to go by: forking as ever
    (4000, _SHORT_V2, None, False),
    (4000, {**_SHORT_V2, "memory.max": "max\n"}, None, True),  # no limit
    (4000, {**_SHORT_V2, "memory.stat": f"anon 1\ninactive_file {300 * MIB}\n"}, None, True),
    (4000, _SHORT_V1, None, False),
    (4000, {**_SHORT_V1, "memory/memory.stat": f"cache 1\ntotal_inactive_file {300 * MIB}\n"},
     None, True),
    # A container: the host's path is not in its namespace, its own group is the root.
    (4000, {**_V2_MOUNT, **_SHORT_V2}, "0::/system.slice/docker-1.scope\n", False),
    (4000, _SHORT_V1, "4:memory:/docker/1\n3:cpu:/\n0::/\n", False),
    # A group of its own under a tighter one (a systemd slice with a limit).
    (4000, {**_V2_MOUNT, "user.slice/memory.max": f"{1000 * MIB}\n",
            "user.slice/memory.current": f"{900 * MIB}\n",
            "user.slice/build/memory.max": "max\n", "user.slice/build/memory.current": "1\n"},
     "0::/user.slice/build\n", False),
    (4000, {**_V2_MOUNT, "user.slice/build/memory.max": "max\n",
            "user.slice/build/memory.current": "1\n"}, "0::/user.slice/build\n", True),
], ids=["plenty", "machine-short", "unknown", "v2-short", "v2-unlimited", "v2-cache",
        "v1-short", "v1-cache", "container-v2", "container-v1", "slice-short", "slice-unlimited"])
def test_room_for_a_copy_of_the_process(tmp_path: Path, available: int | None,
                                        groups: dict[str, str] | None, own_group: str | None,
                                        room: bool) -> None:
    proc, cgroup = _machine(tmp_path, 200, available, groups, own_group)
    assert room_for_a_copy(proc, cgroup) is room


def test_leaving_the_block_stops_and_reaps_the_child() -> None:
    started = time.monotonic()
    with Beside(_sleep) as side:
        child = side.pid
    assert child is not None and side.pid is None
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # already reaped: no zombie left behind
    assert time.monotonic() - started < 30


def test_a_parallel_build_gives_the_bytes_of_a_serial_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setattr(builder.speed.cache, "SPLIT_FROM", 1)  # its second chapter converted beside
    editions = {}
    for mode in ("parallel", "serial"):
        if mode == "serial":
            monkeypatch.setenv("BOOK_BUILDER_SERIAL", "1")
        book = shutil.copytree(FIXTURES / "small-book", tmp_path / mode)
        files = build(book, tmp_path / f"dist-{mode}").files
        editions[mode] = {f.name: f.read_bytes() for f in files}
        cached = list((book / ".cache" / "book-builder").glob("pagemap-*.json"))
        assert len(cached) == 1, "the page map made beside the PDF is cached"
    assert sorted(Path(name).suffix for name in editions["parallel"]) == [".epub", ".pdf"]
    assert editions["parallel"] == editions["serial"]


class _RecordedPatterns(pyphen.HyphDict):  # type: ignore[misc]
    """Pyphen's parsed patterns, noting which process parsed which file."""

    def __init__(self, path: Path) -> None:
        with open(os.environ["PARSED_PATTERNS_LOG"], "a") as log:
            log.write(f"{os.getpid()} {path}\n")
        super().__init__(path)


def test_the_hyphenation_patterns_are_parsed_by_the_child_not_the_parent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "parsed"
    monkeypatch.setenv("PARSED_PATTERNS_LOG", str(log))
    monkeypatch.setattr(pyphen, "hdcache", {})
    monkeypatch.setattr(pyphen, "HyphDict", _RecordedPatterns)
    book = shutil.copytree(FIXTURES / "small-book", tmp_path / "book")
    build(book, tmp_path / "dist", ["pdf"])
    english = pyphen.LANGUAGES[pyphen.language_fallback("en-GB")]  # the book's language
    assert english in pyphen.hdcache, "the child's patterns were used"
    parsed = [line.split(" ", 1) for line in log.read_text().splitlines()]
    assert [str(english)] == [path for pid, path in parsed if pid != str(os.getpid())]
    assert str(english) not in [path for pid, path in parsed if pid == str(os.getpid())], \
        "the parent parsed the book language's patterns itself"


def test_a_language_pyphen_does_not_know_has_no_patterns_to_read() -> None:
    from builder.weasyprint_adapter import read_patterns, use_patterns

    assert read_patterns("tlh") is None  # Klingon: no dictionary, and no error
    use_patterns(None)  # nothing to hand over


def test_an_epub_alone_is_drafted_in_this_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builder.pipeline

    drafted_beside: list[str] = []
    real_beside = builder.pipeline.Beside

    def recorded(fn: Any, *args: Any) -> Any:
        drafted_beside.append(fn.__name__)
        return real_beside(fn, *args)

    monkeypatch.setattr(builder.pipeline, "Beside", recorded)
    book = shutil.copytree(FIXTURES / "small-book", tmp_path / "book")
    first = build(book, tmp_path / "first", ["epub"]).files
    assert drafted_beside == ["_drawn_cover"], "an EPUB alone lays nothing out: only its cover drawn beside"
    build(book, tmp_path / "both")
    drafted_beside.clear()
    second = build(book, tmp_path / "second", ["epub"]).files
    assert "_draft" not in drafted_beside, "a page map is cached: no WeasyPrint to import beside"
    assert first[0].read_bytes() != second[0].read_bytes(), "the second has the page list"


def test_much_markdown_is_converted_on_two_cores_as_one_would(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "converted"
    convert = builder.speed.cache._convert

    def recorded(converter_for: Any, text: str) -> Any:
        with open(log, "a") as out:
            out.write(f"{os.getpid()}\n")
        return convert(converter_for, text)

    monkeypatch.setattr(builder.speed.cache, "_convert", recorded)
    monkeypatch.setattr(builder.speed.cache, "SPLIT_FROM", 1)
    texts = [f"# Chapter {n}\n\nText with a note.[^a] And *more*.\n\n[^a]: Note {n}.\n"
             for n in range(1, 6)]
    (tmp_path / "cache").mkdir()
    ahead = MarkdownCache(tmp_path / "cache", "salt", converters())
    with ahead.converting_ahead(texts):
        made = [ahead.convert(text) for text in texts]
    converted_by = Counter(log.read_text().split())
    one_by_one = MarkdownCache(None, "salt", converters())
    assert made == [one_by_one.convert(text) for text in texts]
    assert converted_by.pop(str(os.getpid())) == 3, "this process converts the first 45 % (and more)"
    assert list(converted_by.values()) == [2], "one child converted the later chapters"
    stored = MarkdownCache(tmp_path / "cache", "salt", converters())
    monkeypatch.setattr(stored, "converter_for", lambda text: pytest.fail("not cached"))
    assert [stored.convert(text) for text in texts] == [one_by_one.convert(text) for text in texts]
    converted = log.read_text()
    with stored.converting_ahead(texts):  # all cached: nothing to convert, no child
        assert [stored.convert(text) for text in texts] == made
    assert log.read_text() == converted


def test_little_markdown_is_converted_in_one_process(tmp_path: Path) -> None:
    cache = MarkdownCache(None, "salt", converters())
    with cache.converting_ahead(["# A short chapter\n\nIt is short.\n"]):
        assert cache.beside is None, "below SPLIT_FROM, convert() does each chapter when it comes"


def _waits_for(flag: Path) -> Any:
    def made(item: int) -> tuple[int, str]:
        if item == 2:  # made only once the parent holds item 1's result (or after 20 s)
            deadline = time.monotonic() + 20
            while not flag.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        return os.getpid(), ("after" if flag.exists() else "before") + "x" * 300_000  # > a pipe's buffer

    return made


def test_in_turn_hands_each_result_over_as_soon_as_it_is_made(tmp_path: Path) -> None:
    flag = tmp_path / "first taken"
    with InTurn(lambda: _waits_for(flag), [1, 2, 3]) as made:
        first = next(made)
        flag.touch()
        rest = list(made)
    assert made.forked and first[0] != os.getpid()
    assert first[1].startswith("before") and rest[0][1].startswith("after"), \
        "the child sent item 1 before it made item 2"
    assert [pid for pid, _ in rest] == [first[0]] * 2 and made.pid is None


def _fails_in_a_child(parent: int) -> Any:
    def made(item: int) -> tuple[int, int]:
        if item == 2 and os.getpid() != parent:
            raise RuntimeError("the child fails")
        if item == 3:
            raise ValueError("item 3 is bad")
        return os.getpid(), item

    return made


def test_in_turn_leaves_what_a_failed_child_did_not_make_to_the_parent() -> None:
    parent = os.getpid()
    with InTurn(lambda: _fails_in_a_child(parent), [1, 2, 3, 4]) as made:
        first, second = next(made), next(made)
        with pytest.raises(ValueError, match="item 3 is bad"):  # the error a serial run raises
            next(made)
        fourth = next(made)  # an error is its item's alone
    assert first[0] != parent and first[1] == 1
    assert (second, fourth) == ((parent, 2), (parent, 4))


def test_in_turn_is_serial_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOK_BUILDER_SERIAL", "1")
    with InTurn(lambda: lambda item: (os.getpid(), item), [1, 2]) as made:
        assert list(made) == [(os.getpid(), 1), (os.getpid(), 2)] and not made.forked
