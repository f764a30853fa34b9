"""Check EPUBs with DAISY Ace, the EPUB accessibility checker.

Usage: python scripts/ace.py BOOK.epub [MORE.epub ...]

Runs Ace (installed by ``scripts/setup-ace.sh`` into ``.tools/ace``) headless on
Debian's Chromium, reads its ``report.json`` and prints one line per violation:
rule id, impact, file and element, message. Also prints Ace's accessibility
metadata summary (which schema:/a11y: properties are present or missing).

Ace's command line checks one EPUB a run, starting Node, Ace and Chromium each
time; ``scripts/ace-service.js`` runs the same Ace over every EPUB of this
process in one Node and one Chromium, started at the first EPUB (the command
line is the fallback if it cannot start).

Exit status: 0 no violations, 1 violations, 2 Ace could not run (the reason is printed).

The test-suite can import :func:`run_ace` (a list of violation dicts) or
:func:`run_ace_report` (Ace's whole report.json) from this file by path.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PREFIX = ROOT / ".tools" / "ace"
ACE_CLI = PREFIX / "node_modules" / ".bin" / "ace-cli"  # @daisy/ace-cli names its command ace-cli
BROWSER = PREFIX / "chromium-headless"  # /usr/bin/chromium --no-sandbox --headless ..., see setup-ace.sh
SERVICE = ROOT / "scripts" / "ace-service.js"
SETUP_HINT = "run: bash scripts/setup-ace.sh"
IMPACTS = ("critical", "serious", "moderate", "minor")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def read_line(stdout: Any, pending: bytes, timeout: float) -> tuple[bytes | None, bytes]:
    """The next line a service writes on *stdout* (read without a thread: a thread would stop
    the builds from forking), and what came after it; None for the line if the service ended
    first. TimeoutError if no line comes within *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while b"\n" not in pending:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no answer within {timeout:.0f} s")
        if select.select([stdout], [], [], left)[0]:
            chunk = os.read(stdout.fileno(), 65536)
            if not chunk:
                return None, pending
            pending += chunk
    line, _, rest = pending.partition(b"\n")
    return line, rest


class AceError(RuntimeError):
    """Ace is not installed, failed, or wrote no usable report."""


def _environment(scratch: Path) -> dict[str, str]:
    """The environment Ace runs in: our Chromium, and its config and logs kept in *scratch*."""
    env = dict(os.environ)
    env["PUPPETEER_EXECUTABLE_PATH"] = str(BROWSER)
    env["PUPPETEER_SKIP_DOWNLOAD"] = "1"
    # Ace keeps a config file and one log file per run under the XDG directories
    # (~/.config/DAISY Ace, ~/.local/state/DAISY Ace): keep them out of $HOME.
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        env[name] = str(scratch / "xdg")
    env["FORCE_COLOR"] = "0"
    return env


def run_ace_report(epub: Path, timeout: float = 600.0) -> dict[str, Any]:
    """Run Ace on *epub* and return its report.json as a dict.

    Every EPUB of this process goes to one Ace service (one Node, one Chromium).
    Raises AceError when Ace is missing, fails, times out or writes no report.
    """
    epub = Path(epub).resolve()
    if not epub.is_file():
        raise AceError(f"no such EPUB: {epub}")
    for needed in (ACE_CLI, BROWSER):
        if not os.access(needed, os.X_OK):
            raise AceError(f"{needed} is missing; {SETUP_HINT}")
    return _RUNS.report(epub, timeout)


def _read_report(outdir: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((outdir / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AceError(f"unreadable Ace report: {error}") from error
    return data


def _tail(log: str, lines: int = 15) -> str:
    return "\n".join(ANSI.sub("", log).strip().splitlines()[-lines:])


def _run_ace_cli(epub: Path, scratch: Path, outdir: Path, timeout: float) -> dict[str, Any]:
    """Ace's own command line, a process for this one EPUB."""
    command = [str(ACE_CLI), "--lang", "en", "--outdir", str(outdir), "--force", str(epub)]
    try:
        done = subprocess.run(command, cwd=scratch, env=_environment(scratch), capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise AceError(f"Ace did not finish within {timeout:.0f} s") from error
    except OSError as error:
        raise AceError(f"cannot start Ace: {error}") from error
    if done.returncode != 0 or not (outdir / "report.json").is_file():
        raise AceError(f"Ace exited with status {done.returncode} and no report:\n"
                       f"{_tail(done.stdout + done.stderr)}")
    return _read_report(outdir)


class _AceRuns:
    """Ace for every EPUB of this process: scripts/ace-service.js, started at
    the first EPUB and ended at exit; Ace's command line if it cannot start.
    No thread reads its answers (a test run's builds fork only a process of one thread)."""

    def __init__(self) -> None:
        self._scratch: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._pending = b""
        self._count = 0
        self._owner = os.getpid()  # a forked child must not end the service
        self.without_service: str | None = None  # why each EPUB gets its own Ace
        atexit.register(self.close)

    def report(self, epub: Path, timeout: float) -> dict[str, Any]:
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="ace-"))
        self._count += 1
        outdir = self._scratch / f"report-{self._count}"
        try:
            if self.without_service is None and self._started():
                return self._ask(epub, outdir, timeout)
            return _run_ace_cli(epub, self._scratch, outdir, timeout)
        finally:
            shutil.rmtree(outdir, ignore_errors=True)

    def _started(self) -> bool:
        """Whether the service is up, started now if need be."""
        assert self._scratch is not None
        if self._process is not None and self._process.poll() is None:
            return True
        node = shutil.which("node")
        if node is None:
            self.without_service = "node is not on PATH"
            return False
        with (self._scratch / "service.log").open("wb") as log:
            self._process = subprocess.Popen([node, str(SERVICE), str(PREFIX)], cwd=self._scratch,
                                             env=_environment(self._scratch), stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=log)
        self._pending = b""
        if self._answer(60.0) != {"ready": True}:
            self.without_service = f"the Ace service did not start: {self._log()}"
            self._end(wait=0)
            return False
        return True

    def _ask(self, epub: Path, outdir: Path, timeout: float) -> dict[str, Any]:
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps({"epub": str(epub), "outdir": str(outdir)}).encode() + b"\n")
            self._process.stdin.flush()
        except OSError:
            pass  # it ended: the answer says so
        answer = self._answer(timeout)
        if answer is None:
            raise AceError(f"the Ace service ended:\n{self._log()}")
        if "error" in answer or not (outdir / "report.json").is_file():
            raise AceError(f"Ace failed and wrote no report: {answer.get('error', '')}\n{self._log()}")
        return _read_report(outdir)

    def _answer(self, timeout: float) -> dict[str, Any] | None:
        """The service's next answer line; None if it ended first."""
        assert self._process is not None and self._process.stdout is not None
        try:
            line, self._pending = read_line(self._process.stdout, self._pending, timeout)
        except TimeoutError:
            self._end(wait=0)
            raise AceError(f"Ace did not finish within {timeout:.0f} s") from None
        if line is None:
            return None
        try:
            answer: dict[str, Any] = json.loads(line)
        except ValueError:
            return {"error": f"not an answer: {line.decode(errors='replace').strip()}"}
        return answer

    def _log(self) -> str:
        if self._scratch is None:
            return ""
        try:
            return _tail((self._scratch / "service.log").read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return ""

    def _end(self, wait: float) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if wait == 0:
            process.send_signal(signal.SIGINT)  # Puppeteer kills Chromium, then Node exits
        elif process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()  # the end of the requests: it closes Chromium and exits
        try:
            process.wait(timeout=wait or 10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def close(self) -> None:
        if os.getpid() != self._owner:
            return
        self._end(wait=20)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


_RUNS = _AceRuns()


def violations(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The failed assertions of an Ace report, most severe first.

    Each dict has: rule, impact, file, location (CSS selectors, else EPUB CFIs),
    html (the offending markup), message (what is wrong here), description (what
    the rule checks), help (Knowledge Base URL), checker ("Ace" or "aXe").
    """
    found: list[dict[str, Any]] = []
    for document in report.get("assertions", []):
        subject = document.get("earl:testSubject", {}).get("url", "")
        for assertion in document.get("assertions", []):
            result = assertion.get("earl:result", {})
            if result.get("earl:outcome") != "fail":
                continue
            test = assertion.get("earl:test", {})
            pointer = result.get("earl:pointer", {})
            places = list(dict.fromkeys(pointer.get("css") or pointer.get("cfi") or []))
            found.append({
                "rule": test.get("dct:title", "?"),
                "impact": test.get("earl:impact", "?"),
                "file": subject,
                "location": ", ".join(places),
                "html": result.get("html", ""),
                "message": result.get("dct:description") or test.get("dct:description", ""),
                "description": test.get("dct:description", ""),
                "help": test.get("help", {}).get("url", ""),
                "checker": assertion.get("earl:assertedBy", ""),
            })

    def rank(item: dict[str, Any]) -> tuple[int, str, str, str]:
        impact = IMPACTS.index(item["impact"]) if item["impact"] in IMPACTS else len(IMPACTS)
        return impact, item["file"], item["rule"], item["location"]

    return sorted(found, key=rank)


def run_ace(epub: Path) -> list[dict[str, Any]]:
    """Run Ace on *epub* and return its violations (see :func:`violations`); [] means none.

    Raises AceError when Ace could not run.
    """
    return violations(run_ace_report(epub))


def _print_report(report: dict[str, Any], found: list[dict[str, Any]]) -> None:
    metadata = report.get("a11y-metadata", {})
    for state in ("present", "empty", "missing"):
        names = metadata.get(state) or []
        print(f"ace: metadata {state}: {', '.join(names) if names else '-'}")
    for item in found:
        where = item["file"] + (f" [{item['location']}]" if item["location"] else "")
        message = " / ".join(line.strip() for line in item["message"].splitlines() if line.strip())
        print(f"{item['impact']}: {item['rule']}: {where}: {message}")
        if item["description"] and item["description"] != item["message"]:
            print(f"    check: {item['description']}")
        if item["html"]:
            print(f"    element: {item['html'].split(' <!--##--> ')[0]}")
        if item["help"]:
            print(f"    help: {item['help']}")
    outcome = report.get("earl:result", {}).get("earl:outcome", "?")
    print(f"ace: {len(found)} violation(s), outcome {outcome}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if not args or any(arg in ("-h", "--help") for arg in args):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    status = 0
    for name in args:
        if len(args) > 1:
            print(f"ace: {name}")
        try:
            report = run_ace_report(Path(name))
        except AceError as error:
            print(f"ace: cannot run Ace: {error}", file=sys.stderr)
            status = 2
            continue
        found = violations(report)
        _print_report(report, found)
        status = max(status, 1 if found else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
