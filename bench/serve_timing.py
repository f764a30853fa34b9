"""Time the live preview: a one-sentence edit -> the reader view, and -> the print pages.

In: optionally a book folder (default: the technical bench book, written by
make_long_book.py --kind technical into a scratch folder), the number of edits
and the chapters to edit. Out: a table on stdout, and with --json the samples.

`python -m builder serve --port 0` runs on a copy of the book as an author runs
it. The script listens to its event stream as the preview page does; for each
edit it appends one sentence, carrying a unique token, to a chapter file and
notes the time from the write until

- reader: GET /book/<chapter>.xhtml holds the token (the EPUB document the page
  reloads), and
- print: the chapter's print pages are laid out and drawn (/status.json lists
  them and /print/<slug>.html shows their images).

The first layout of each chapter edited is made before the timed edits (the
server imports WeasyPrint at start; the page asks for a chapter's print view
when it is opened), so the numbers are those of an author editing a chapter
they are looking at. The edits go round the chapters named (default: three
spread over the book), one at a time, each after the previous one is fully shown.

Run: ``python bench/serve_timing.py [--book DIR] [--edits N] [--chapters 5,24,40] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60.0


class Preview:
    """A running `serve` and a listener on its event stream."""

    def __init__(self, book: Path, log: Path) -> None:
        self.log = log
        with log.open("wb") as stream:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "builder", "serve", "--port", "0", str(book)],
                stdout=stream, stderr=stream, cwd=ROOT)
        deadline = time.monotonic() + 300
        while not (found := re.search(r" at (http://\S+/) ", log.read_text(encoding="utf-8"))):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"serve did not start:\n{log.read_text(encoding='utf-8')}")
            time.sleep(0.05)
        address = urlsplit(found.group(1))
        self.host, self.port = address.hostname or "127.0.0.1", address.port or 80
        self.events = threading.Condition()
        self.event_count = 0
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        connection = http.client.HTTPConnection(self.host, self.port)
        connection.request("GET", "/events")
        response = connection.getresponse()
        while line := response.fp.readline():
            if line.startswith(b"data:"):
                with self.events:
                    self.event_count += 1
                    self.events.notify_all()

    def get(self, path: str) -> bytes:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request("GET", path)
            return connection.getresponse().read()
        finally:
            connection.close()

    def status(self) -> dict[str, object]:
        return dict(json.loads(self.get("/status.json")))

    def until(self, condition: object, deadline: float) -> float:
        """Wait, event by event, until *condition()* holds; the time it first did."""
        assert callable(condition)
        while True:
            with self.events:
                seen = self.event_count
            if condition():
                return time.perf_counter()
            with self.events:
                self.events.wait_for(lambda seen=seen: self.event_count != seen,  # type: ignore[misc]
                                     max(0.0, deadline - time.monotonic()))
            if time.monotonic() > deadline:
                said = self.log.read_text(encoding="utf-8")
                raise SystemExit(f"timed out waiting; the server said:\n{said}")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def print_ready(preview: Preview, slug: str, after: int) -> bool:
    versions = preview.status()["print"]
    assert isinstance(versions, dict)
    return int(versions.get(slug, -1)) > after and b".png" in preview.get(f"/print/{slug}.html")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--book", type=Path, default=None, help="default: the technical bench book")
    parser.add_argument("--edits", type=int, default=9)
    parser.add_argument("--chapters", default="5,24,40", help="1-based chapter numbers to edit in turn")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="serve-timing-"))
    try:
        book = scratch / "book"
        if args.book is None:
            subprocess.run([sys.executable, str(ROOT / "bench" / "make_long_book.py"), str(book),
                            "--kind", "technical"], check=True, stdout=subprocess.DEVNULL)
        else:
            shutil.copytree(args.book, book, ignore=shutil.ignore_patterns("dist", ".cache"))
        started = time.perf_counter()
        preview = Preview(book, scratch / "serve.log")
        first_read = time.perf_counter() - started
        try:
            status = preview.status()
            pages = [p for p in status["pages"] if p["kind"] == "chapter"]  # type: ignore[union-attr, index]
            chosen = [pages[int(n) - 1] for n in args.chapters.split(",")]
            for page in chosen:  # the author opens the print view of the chapters they edit
                preview.get(f"/print/{page['slug']}.html")
                preview.until(lambda page=page: print_ready(preview, page["slug"], -1),
                              time.monotonic() + 300)
            reader, printed = [], []
            for number in range(args.edits):
                page = chosen[number % len(chosen)]
                # The bench book's chapter ch-NN-x comes from chapters/NN-x.md.
                source = book / "chapters" / f"{page['slug'].removeprefix('ch-')}.md"
                token = f"Token{number}x{time.time_ns()}"
                before = int(preview.status()["print"][page["slug"]])  # type: ignore[index]
                text = source.read_text(encoding="utf-8")
                start = time.perf_counter()
                source.write_text(text + f"\nOne more sentence, {token}, for the timing.\n", encoding="utf-8")
                deadline = time.monotonic() + TIMEOUT
                reader.append(preview.until(
                    lambda page=page, token=token: token.encode() in preview.get(f"/book/{page['file']}"),
                    deadline) - start)
                printed.append(preview.until(
                    lambda page=page, before=before: print_ready(preview, page["slug"], before),
                    deadline) - start)
                print(f"edit {number + 1}: {page['file']}: reader {reader[-1]:.2f} s, "
                      f"print {printed[-1]:.2f} s", flush=True)
        finally:
            preview.close()
        log = (scratch / "serve.log").read_text(encoding="utf-8")
        reads = re.findall(r"read and rendered in ([\d.]+) s \(([\d.]+) s of CPU\)", log)[1:]
        layouts = re.findall(r"print view of \S+: \d+ pages in ([\d.]+) s \(([\d.]+) s of CPU\)", log)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def row(name: str, values: list[float]) -> str:
        return (f"{name:<44} {statistics.median(values):>7.2f} {min(values):>7.2f} {max(values):>7.2f}"
                f" {len(values):>4}")

    print(f"\nserve on {book.name if args.book else 'the technical bench book'}: first read and render "
          f"(cold Markdown cache) {first_read:.1f} s, start-up included")
    print(f"{'':<44} {'median':>7} {'min':>7} {'max':>7} {'n':>4}")
    print(row("edit -> reader view (document served), s", reader))
    print(row("edit -> print pages (laid out and drawn), s", printed))
    for name, found in (("read + render the book", reads), ("lay out + draw one chapter", layouts)):
        print(row(f"  server: {name}, s", [float(wall) for wall, _ in found]))
        print(row(f"  server: {name}, CPU s", [float(cpu) for _, cpu in found]))
    if args.json:
        args.json.write_text(json.dumps({"reader": reader, "print": printed, "reads": reads,
                                         "layouts": layouts, "first_read": first_read}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
