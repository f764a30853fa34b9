"""The preview's server: a book folder -> a local web page that follows every save.

In: a book folder, a host and a port. Out: an HTTP server (the standard
library's ThreadingHTTPServer) on 127.0.0.1 unless another host is asked for,
until Ctrl-C; one line per rebuild on the error stream. It answers, from memory
only, with:

- ``/``: the preview page (builder.serve.page), which listens to ``/events``
  (server-sent events: one message per change) and reads ``/status.json``;
- ``/book/<file>``: the EPUB's documents, styles and images, as the last good
  build made them;
- ``/print/<slug>.html``, ``.pdf`` and ``/<n>.png``: a chapter's print pages
  (builder.serve.printview), laid out in a worker thread after each change of
  that chapter, or when first asked for.

Every other path, ``/../`` and all, is 404: no file is read to answer a request
(the book is read through BookFolder by the build's stages, on a change). A
request naming another host than the server's is refused (a page elsewhere
cannot reach the preview by renaming its own host, DNS rebinding).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import socket
import sys
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO
from urllib.parse import unquote, urlsplit

from builder import NAME
from builder.errors import BuilderError, Location
from builder.model import BookMeta, Diagnostic
from builder.serve.page import SHELL, print_view
from builder.serve.printview import PrintPages, print_pages
from builder.serve.snapshot import Attempt, Snapshot, diagnostic_record, read_snapshot, shown_path
from builder.serve.watch import watch_book
from builder.speed.drafts import DraftCache

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
KEEP_ALIVE_SECONDS = 15.0  # a comment on the event stream, so a dead connection is noticed


@dataclass(frozen=True)
class _Printed:
    """A chapter's print pages, and what they were laid out from."""

    source: object  # the chapter, the styles and the metadata: equal while the pages are current
    pages: PrintPages | None  # None: the layout failed
    problems: tuple[Diagnostic, ...]
    version: int


def _print_source(snapshot: Snapshot, slug: str) -> object:
    book = snapshot.book
    chapter = next(chapter for chapter in book.chapters if chapter.slug == slug)
    return (chapter, book.styles, book.meta, book.author_table)


class Preview:
    """What the page shows: the last good snapshot, the last attempt's problems, the
    print pages laid out. Guarded by one condition, notified on every change."""

    def __init__(self, root: Path, say: Callable[[str], None]) -> None:
        self.root = root
        self.say = say
        self.changes = threading.Condition()
        self.version = 0  # every change the page should see
        self.reader_version = 0  # every good build
        self.attempt: Attempt | None = None
        self.good: Snapshot | None = None
        self.changed: str | None = None  # the file name of the chapter edited last
        self.building = False
        self.closing = False
        self.printed: dict[str, _Printed] = {}
        self.print_wanted: list[str] = []
        self.drafts = DraftCache()  # the chapters as last drafted: an edit drafts its chapter only

    # --- the reader edition ------------------------------------------------------

    def rebuild(self, paths: Collection[Path] = ()) -> Attempt:
        with self.changes:
            self.building = True
            self._bump()
        attempt = read_snapshot(self.root, self.drafts)
        with self.changes:
            self.building = False
            self.attempt = attempt
            if attempt.snapshot is not None:
                self.good = attempt.snapshot
                self.reader_version += 1
                edited = [attempt.snapshot.chapter_sources[p] for p in sorted(paths)
                          if p in attempt.snapshot.chapter_sources]
                self.changed = edited[0] if edited else None
                for file_name in edited[:1]:
                    slug = attempt.snapshot.chapter_slug(file_name)
                    if slug is not None:
                        self._want_print(slug)
            self._bump()
        self._report(attempt, paths)
        return attempt

    def _report(self, attempt: Attempt, paths: Collection[Path]) -> None:
        what = ", ".join(shown_path(path, self.root) for path in sorted(paths)) or "the book"
        errors = sum(problem.level == "error" for problem in attempt.problems)
        if attempt.failed:
            self.say(f"{what}: {errors} error{'s' * (errors != 1)}; the page keeps the last good build")
        else:
            self.say(f"{what}: read and rendered in {attempt.seconds:.2f} s "
                     f"({attempt.cpu_seconds:.2f} s of CPU)")
        for problem in attempt.problems:
            self.say(str(diagnostic_record(problem, self.root)["where"]) + f": {problem.level}: "
                     f"{problem.message}")

    def _bump(self) -> None:
        self.version += 1
        self.changes.notify_all()

    # --- the print view ----------------------------------------------------------

    def print_state(self, slug: str) -> tuple[Snapshot | None, _Printed | None, bool]:
        """The snapshot, the chapter's print pages if any, and whether they are current
        (if not, a layout is asked for)."""
        with self.changes:
            snapshot = self.good
            printed = self.printed.get(slug)
            if snapshot is None or snapshot.chapter_slug(f"{slug}.xhtml") is None:
                return snapshot, None, False
            current = printed is not None and printed.source == _print_source(snapshot, slug)
            if not current:
                self._want_print(slug)
            return snapshot, printed, current

    def _want_print(self, slug: str) -> None:
        if slug in self.print_wanted:
            self.print_wanted.remove(slug)
        self.print_wanted.append(slug)  # the latest asked is laid out first
        self.changes.notify_all()

    def print_worker(self) -> None:
        """Lay out each chapter asked for, the latest first, one at a time."""
        import builder.layout  # noqa: F401  WeasyPrint's import, made while the author reads

        while True:
            with self.changes:
                self.changes.wait_for(lambda: bool(self.print_wanted) or self.closing)
                if self.closing:
                    return
                slug = self.print_wanted.pop()
                snapshot = self.good
            if snapshot is None or snapshot.chapter_slug(f"{slug}.xhtml") is None:
                continue
            source = _print_source(snapshot, slug)
            with self.changes:
                done = self.printed.get(slug)
                if done is not None and done.source == source:
                    continue
            pages: PrintPages | None = None
            try:
                pages = print_pages(snapshot.book, slug)
                problems = pages.problems
                self.say(f"print view of {slug}: {len(pages.images)} pages in {pages.seconds:.2f} s "
                         f"({pages.cpu_seconds:.2f} s of CPU)")
            except BuilderError as exc:
                problems = exc.diagnostics
            except Exception as exc:  # a bug of ours: shown, and the preview goes on
                problems = (Diagnostic(f"internal error in the print layout: {exc!r}", self.root,
                                       level="error"),)
            for problem in problems:
                self.say(f"{diagnostic_record(problem, self.root)['where']}: {problem.level}: "
                         f"{problem.message}")
            with self.changes:
                self.printed[slug] = _Printed(source, pages, problems, self.version + 1)
                self._bump()

    # --- what the page reads -----------------------------------------------------

    def status(self) -> dict[str, object]:
        with self.changes:
            attempt, good = self.attempt, self.good
            problems = list(attempt.problems if attempt else ())
            printed = {slug: p for slug, p in self.printed.items()
                       if good is not None and good.chapter_slug(f"{slug}.xhtml") is not None
                       and p.source == _print_source(good, slug)}
            building, reader_version, changed = self.building, self.reader_version, self.changed
        for entry in printed.values():  # the layout's messages, as build gives them
            problems += [p for p in entry.problems if p not in problems]
        if good is None:
            summary = "no good build yet"
        elif attempt is not None and not attempt.failed:
            summary = f"built in {attempt.seconds:.2f} s"
        else:
            summary = "showing the last good build"
        return {
            "title": good.book.meta.title if good else "Preview",
            "pages": [{"file": p.file_name, "slug": p.slug, "title": p.title, "kind": p.kind}
                      for p in (good.pages if good else ())],
            "first": good.book.chapters[0].file_name if good else None,
            "has_book": good is not None,
            "reader_version": reader_version,
            "changed": changed,
            "building": building,
            "summary": summary,
            "problems": [diagnostic_record(p, self.root) for p in problems],
            "print": {slug: entry.version for slug, entry in printed.items()},
        }

    def wait(self, seen: int, timeout: float) -> int:
        """The version, once it is past *seen* (or the time is up, or the server closes)."""
        with self.changes:
            self.changes.wait_for(lambda: self.version != seen or self.closing, timeout)
            return self.version

    def close(self) -> None:
        with self.changes:
            self.closing = True
            self.changes.notify_all()


@functools.lru_cache(maxsize=1)
def _drawn_cover(meta: BookMeta) -> bytes:
    from builder.cover import render_cover

    return render_cover(meta)


class _Handler(BaseHTTPRequestHandler):
    server: _PreviewServer
    server_version = NAME

    def do_GET(self) -> None:  # the standard library's name
        if not self._host_allowed():
            self._send(HTTPStatus.MISDIRECTED_REQUEST, "text/plain",
                       b"this server answers to its own host name only")
            return
        path = unquote(urlsplit(self.path).path)
        preview = self.server.preview
        if path == "/":
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", SHELL.encode("utf-8"))
        elif path == "/status.json":
            self._send(HTTPStatus.OK, "application/json", json.dumps(preview.status()).encode("utf-8"))
        elif path == "/events":
            self._events(preview)
        elif path.startswith("/book/"):
            self._book_file(preview, path.removeprefix("/book/"))
        elif path.startswith("/print/"):
            self._print_file(preview, path.removeprefix("/print/"))
        else:
            self._not_found()

    def do_HEAD(self) -> None:
        self._not_found()

    def _host_allowed(self) -> bool:
        allowed = self.server.allowed_hosts
        return allowed is None or (self.headers.get("Host") or "").lower() in allowed

    def _book_file(self, preview: Preview, name: str) -> None:
        snapshot = preview.good
        if snapshot is None:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"the book has not built yet: see the problems")
        elif name in snapshot.documents:
            self._send(HTTPStatus.OK, "application/xhtml+xml; charset=utf-8", snapshot.documents[name])
        elif name in snapshot.resources:
            media_type, content = snapshot.resources[name]
            self._send(HTTPStatus.OK, media_type, content)
        elif snapshot.book.cover is None and name == snapshot.book.cover_href:
            self._send(HTTPStatus.OK, "image/png", _drawn_cover(snapshot.book.meta))
        else:
            self._not_found()

    def _print_file(self, preview: Preview, name: str) -> None:
        slug, _, rest = name.partition("/")
        if not rest and slug.endswith(".html"):
            self._print_page(preview, slug.removesuffix(".html"))
            return
        slug = slug.removesuffix(".pdf") if not rest else slug
        with preview.changes:
            printed = preview.printed.get(slug)  # what was laid out last: its addresses carry its version
        pages = printed.pages if printed is not None else None
        if pages is None:
            self._not_found()
        elif not rest and name.endswith(".pdf"):
            self._send(HTTPStatus.OK, "application/pdf", pages.pdf)
        elif rest.endswith(".png") and rest.removesuffix(".png").isdigit() \
                and 1 <= int(rest.removesuffix(".png")) <= len(pages.images):
            self._send(HTTPStatus.OK, "image/png", pages.images[int(rest.removesuffix(".png")) - 1])
        else:
            self._not_found()

    def _print_page(self, preview: Preview, slug: str) -> None:
        snapshot, printed, current = preview.print_state(slug)
        if snapshot is None or snapshot.chapter_slug(f"{slug}.xhtml") is None:
            self._not_found()
            return
        title = next(page.title for page in snapshot.pages if page.slug == slug)
        pages = printed.pages if printed is not None else None
        html = print_view(title, slug, printed.version if printed else 0, len(pages.images) if pages else 0,
                          pages.seconds if pages else 0.0, pages.note if pages else "",
                          printed.problems if printed else (), laying_out=not current)
        self._send(HTTPStatus.OK, "text/html; charset=utf-8", html.encode("utf-8"))

    def _events(self, preview: Preview) -> None:
        """Server-sent events: a message each time the version moves on."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = -1
        try:
            while not preview.closing:
                version = preview.wait(seen, KEEP_ALIVE_SECONDS)
                message = f"data: {version}\n\n" if version != seen else ": still here\n\n"
                self.wfile.write(message.encode("ascii"))
                self.wfile.flush()
                seen = version
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went away

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found: the preview serves only the book")

    def _send(self, status: HTTPStatus, media_type: str, content: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per rebuild is what the author reads, not one per request


class _PreviewServer(ThreadingHTTPServer):
    daemon_threads = True  # the event streams end with the process

    def __init__(self, address: tuple[str, int], preview: Preview, loopback: bool) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.preview = preview
        port = self.server_address[1]
        # Only on the loopback does the server know every name it may be asked by.
        self.allowed_hosts = {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")} \
            if loopback else None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(book_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          err: TextIO | None = None, ready: Callable[[str], None] | None = None) -> int:
    """Serve the preview of *book_dir* until Ctrl-C (or SIGTERM); 0 then."""
    stream = err or sys.stderr

    def say(line: str) -> None:
        print(f"{NAME} serve: {line}", file=stream, flush=True)

    if not book_dir.is_dir():
        raise BuilderError(f"no such book folder: {book_dir}", Location(book_dir))
    root = book_dir.resolve()
    preview = Preview(root, say)
    preview.rebuild()
    loopback = is_loopback(host)
    try:
        server = _PreviewServer((host, port), preview, loopback)
    except OSError as exc:
        raise BuilderError(f"cannot listen on {host}:{port}: {exc.strerror}", Location(book_dir)) from exc
    stop = threading.Event()
    threading.Thread(target=preview.print_worker, name="book-builder-print", daemon=True).start()
    watch_book(root, preview.rebuild, stop)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{server.server_address[1]}/"
    if not loopback:
        say(f"warning: listening on {host}, beyond this machine: anyone who can reach it can read the book")
    say(f"previewing {root} at {url} (Ctrl-C to stop)")
    if ready is not None:
        ready(url)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        say("stopped")
    finally:
        stop.set()
        preview.close()
        server.server_close()
    return 0
