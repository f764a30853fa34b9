"""A hostile or broken book never hurts its author (tests/hostile/books.py holds
the crafted books). Every case ends in a correct build or a clear error; the
secret outside the book never reaches dist/; nothing outside is changed; no
temporary file is left; no program of the book's runs and nothing is fetched,
which strace shows: every file opened, program executed and connection made."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, REPO
from tests.helpers import copy_book, require
from tests.hostile.books import CASES, SECRET, Case

EXIT_INPUT, EXIT_OUTPUT = 1, 3
FIXTURE = FIXTURES / "small-book"


class HostileRun:
    """The hostile books' driver under strace, started in the background as soon
    as the tests are collected (tests/conftest.py), so it runs beside the rest of
    the suite on the second core; the hostile tests wait for it."""

    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="hostile-"))
        self.report, self.trace = self.work / "report.json", self.work / "strace.log"
        self.strace = shutil.which("strace")
        self.process: subprocess.Popen[str] | None = None
        if self.strace is None:
            return
        # --seccomp-bpf: only the traced calls stop the process (a third faster, the same lines)
        command = [self.strace, "-f", "-qq", "--seccomp-bpf", "-e", "trace=openat,open,execve,connect",
                   "-o", str(self.trace),
                   sys.executable, "-m", "tests.hostile.run", str(self.work / "books"), str(self.report)]
        env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
        self.process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True, env=env)

    def outcomes(self) -> dict[str, Any]:
        require(self.strace is not None,
                "strace (make test installs it): the evidence of what the builds touch")
        assert self.process is not None
        _, errors = self.process.communicate(timeout=1800)
        assert self.process.returncode == 0, errors[-3000:]
        return {"results": json.loads(self.report.read_text()),
                "trace": self.trace.read_text(errors="replace"), "work": self.work}

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.work, ignore_errors=True)


@pytest.fixture(scope="session")
def outcomes(request: pytest.FixtureRequest) -> dict[str, Any]:
    run: HostileRun | None = getattr(request.config, "hostile_run", None)
    if run is None:  # collected some other way: run it now
        run = request.config.hostile_run = HostileRun()  # type: ignore[attr-defined]
    return run.outcomes()


def _case_result(outcomes: dict[str, Any], case: Case) -> dict[str, Any]:
    assert case.name in outcomes["results"], "the case did not run to its end"
    result: dict[str, Any] = outcomes["results"][case.name]
    return result


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_book_ends_in_a_build_or_a_clear_error(outcomes: dict[str, Any], case: Case) -> None:
    result = _case_result(outcomes, case)
    said = result["said"]
    assert "Traceback" not in said and "internal error" not in said, said[-2000:]
    if case.outcome == "builds":
        assert result["code"] == 0, said[-2000:]
        assert set(result["texts"]) == ({"epub"} if case.command == "epub" else {"epub", "pdf"})
    else:
        assert result["code"] in (EXIT_INPUT, EXIT_OUTPUT), (result["code"], said[-2000:])
        assert case.says.lower() in said.lower(), said[-2000:]
        assert re.search(r"^/\S+(:\d+)*: error: ", said, re.MULTILINE), "the message names no file"
    for edition, text in result["texts"].items():
        assert SECRET not in text, f"the secret from outside the book reached the {edition}"
        flat = re.sub(r"\s+", "", text).replace("\u00ad", "").replace("\u2010", "")
        for needed in case.must_reach_outputs:
            assert needed in flat, f"{needed!r} is missing from the {edition}"
    assert not result["outside_changed"], "a file outside the book was changed, or a program of the book ran"
    assert not [name for name in result["leftovers"] if name.endswith((".part", ".old"))]


def test_no_case_took_unbounded_memory(outcomes: dict[str, Any]) -> None:
    assert max(result["max_rss_mb"] for result in outcomes["results"].values()) < 1500


def _builder_lines(trace: str) -> list[str]:
    """The strace lines of the builder's own runs (between each case's marks)."""
    inside, kept = False, []
    for line in trace.splitlines():
        if "BUILDER-START-" in line:
            inside = True
        elif "BUILDER-END-" in line:
            inside = False
        elif inside:
            kept.append(line)
    return kept


def test_nothing_outside_was_opened_no_program_ran_nothing_connected(outcomes: dict[str, Any]) -> None:
    lines = _builder_lines(outcomes["trace"])
    assert len(lines) > 1000, "the trace holds too little to show anything"
    opened_outside = [line for line in lines if "open" in line and "/outside/" in line and "= -1" not in line]
    assert opened_outside == [], opened_outside[:5]
    programs = {match.group(1) for line in lines if "= 0" in line
                and (match := re.search(r'execve\("([^"]+)"', line))}
    # the builder's own programs, none of the book's: ldconfig -p (WeasyPrint's libraries found
    # faster), fc-match (the drawn cover's typeface) and fc-list (the characters fonts have)
    builders_own = {"/sbin/ldconfig", "/usr/sbin/ldconfig", "/usr/bin/fc-match", "/usr/bin/fc-list"}
    assert {os.path.realpath(p) for p in programs} <= builders_own, programs
    network = [line for line in lines if "connect(" in line and ("AF_INET" in line or "AF_INET6" in line)]
    assert network == [], network[:5]


SLOW_WRITE = """
import sys, time
from pathlib import Path
import builder.output as output
staged = output._stage
def slow_stage(*args):
    path = staged(*args)
    print("STAGED", flush=True)
    time.sleep(60)
    return path
output._stage = slow_stage
from builder.cli import main
sys.exit(main(["build", sys.argv[1]]))
"""


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_a_build_stopped_while_it_writes_leaves_the_old_files(tmp_path: Path, how: str) -> None:
    book = copy_book(FIXTURE, tmp_path / "book")
    (book / "dist").mkdir()
    old = {name: f"old {name}".encode() for name in ("a-small-test-book.epub", "a-small-test-book.pdf")}
    for name, data in old.items():
        (book / "dist" / name).write_bytes(data)
    process = subprocess.Popen([sys.executable, "-c", SLOW_WRITE, str(book)], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "STAGED"  # one file staged, the other not yet
    process.send_signal(getattr(signal, how))
    _, said = process.communicate(timeout=60)
    if how == "SIGTERM":
        assert process.returncode == 130 and "interrupted; dist/ was left as it was" in said, said
        assert not [p.name for p in (book / "dist").iterdir() if p.name.startswith(".")]
    for name, data in old.items():
        assert (book / "dist" / name).read_bytes() == data
    # the next good build replaces both and removes what a killed one left
    assert subprocess.run([sys.executable, "-m", "builder", "build", str(book)], cwd=REPO,
                          capture_output=True, check=False).returncode == 0
    assert sorted(p.name for p in (book / "dist").iterdir()) == sorted(old)
    assert all((book / "dist" / name).read_bytes() != data for name, data in old.items())


def test_the_libraries_temporary_folders_are_removed(tmp_path: Path) -> None:
    """WeasyPrint keeps @font-face files in a temporary folder it removes only when
    its font configuration is collected, which a quick exit never does."""
    book = copy_book(FIXTURE, tmp_path / "book")
    font = next(Path("/usr/share/fonts").rglob("DejaVuSans.ttf"), None)
    require(font is not None, "the DejaVu Sans font (fonts-dejavu-core)")
    assert font is not None
    (book / "styles").mkdir()
    shutil.copy(font, book / "styles" / "face.ttf")
    (book / "styles" / "print.css").write_text(
        "@font-face { font-family: Face; src: url(face.ttf); }\nbody { font-family: Face; }\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    done = subprocess.run([sys.executable, "-m", "builder", "build", str(book)], cwd=REPO,
                          capture_output=True,
                          text=True, env={**os.environ, "TMPDIR": str(scratch)}, check=False)
    assert done.returncode == 0, done.stderr
    assert "Face" in subprocess.run(["pdffonts", str(next((book / "dist").glob("*.pdf")))],
                                    capture_output=True, text=True, check=True).stdout
    assert list(scratch.iterdir()) == []
