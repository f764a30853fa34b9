"""Check an EPUB with DAISY Ace, the EPUB accessibility checker.

Usage: python scripts/ace.py BOOK.epub

Runs Ace (installed by ``scripts/setup-ace.sh`` into ``.tools/ace``) headless on
Debian's Chromium, reads its ``report.json`` and prints one line per violation:
rule id, impact, file and element, message. Also prints Ace's accessibility
metadata summary (which schema:/a11y: properties are present or missing).

Exit status: 0 no violations, 1 violations, 2 Ace could not run (the reason is printed).

The test-suite can import :func:`run_ace` (a list of violation dicts) or
:func:`run_ace_report` (Ace's whole report.json) from this file by path.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PREFIX = ROOT / ".tools" / "ace"
ACE_CLI = PREFIX / "node_modules" / ".bin" / "ace-cli"  # @daisy/ace-cli names its command ace-cli
BROWSER = PREFIX / "chromium-headless"  # /usr/bin/chromium --no-sandbox --headless ..., see setup-ace.sh
SETUP_HINT = "run: bash scripts/setup-ace.sh"
IMPACTS = ("critical", "serious", "moderate", "minor")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


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

    Raises AceError when Ace is missing, fails, times out or writes no report.
    """
    epub = Path(epub).resolve()
    if not epub.is_file():
        raise AceError(f"no such EPUB: {epub}")
    for needed in (ACE_CLI, BROWSER):
        if not os.access(needed, os.X_OK):
            raise AceError(f"{needed} is missing; {SETUP_HINT}")
    with tempfile.TemporaryDirectory(prefix="ace-") as tmp:
        scratch = Path(tmp)
        outdir = scratch / "report"
        command = [str(ACE_CLI), "--lang", "en", "--outdir", str(outdir), "--force", str(epub)]
        try:
            done = subprocess.run(command, cwd=scratch, env=_environment(scratch), capture_output=True,
                                  text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as error:
            raise AceError(f"Ace did not finish within {timeout:.0f} s") from error
        except OSError as error:
            raise AceError(f"cannot start Ace: {error}") from error
        report = outdir / "report.json"
        if done.returncode != 0 or not report.is_file():
            log = ANSI.sub("", (done.stdout + done.stderr).strip())
            tail = "\n".join(log.splitlines()[-15:])
            raise AceError(f"Ace exited with status {done.returncode} and no report:\n{tail}")
        try:
            data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise AceError(f"unreadable Ace report: {error}") from error
        return data


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
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        report = run_ace_report(Path(args[0]))
    except AceError as error:
        print(f"ace: cannot run Ace: {error}", file=sys.stderr)
        return 2
    found = violations(report)
    _print_report(report, found)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
