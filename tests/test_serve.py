"""`book-builder serve`: the live preview, as an author uses it.

The preview runs as the command does (`python -m builder serve --port 0`) on a
copy of the small fixture book; Debian's Chromium (no browser downloaded),
driven by Playwright, opens the page: an edit appears by itself, a broken link
shows its error with file:line while the last good book stays, and the fix
brings the chapter back. The print view's page images, the paths the server
refuses and its loopback-only default are checked over plain HTTP.

SAVE_SCREENSHOTS=1 saves the page showing an error to docs/images/serve-preview.png
(the README's picture).
"""

from __future__ import annotations

import http.client
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from builder.serve.server import is_loopback
from tests.helpers import copy_book, require, require_command

ROOT = Path(__file__).resolve().parent.parent
SMALL_BOOK = ROOT / "tests" / "fixtures" / "small-book"
TECH_BOOK = ROOT / "tests" / "fixtures" / "tech-book"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "docs" / "images" / "serve-preview.png"
WAIT_MS = 10_000  # an edit shows in about a second; the machine may be busy


@contextmanager
def serving(book: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """`serve --port 0` on *book*: its address once it listens, the process and its log."""
    log = book.parent / "serve.log"
    with log.open("wb") as stream:
        process = subprocess.Popen([sys.executable, "-m", "builder", "serve", "--port", "0", str(book)],
                                   stdout=stream, stderr=stream, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while not (found := re.search(r" at (http://\S+/) ", log.read_text(encoding="utf-8"))):
            assert process.poll() is None, f"serve ended: {log.read_text(encoding='utf-8')}"
            assert time.monotonic() < deadline, f"serve did not start: {log.read_text(encoding='utf-8')}"
            time.sleep(0.05)
        yield found.group(1), process, log
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def browser_page() -> Iterator[Any]:
    require(CHROMIUM.exists(), "chromium (scripts/setup-system.sh test installs Debian's)")
    require(importlib.util.find_spec("playwright") is not None, "playwright (pip install -e '.[test]')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Debian's Chromium, never a downloaded one; as root it runs only without its sandbox.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport={"width": 1100, "height": 720})
        finally:
            browser.close()


def get(url: str, path: str, host: str | None = None) -> tuple[int, bytes]:
    """GET *path* exactly as written (no client tidies `..` away)."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_an_edit_shows_by_itself_an_error_shows_where_and_the_fix_brings_it_back(tmp_path: Path) -> None:
    from playwright.sync_api import expect

    book = copy_book(SMALL_BOOK, tmp_path / "book")
    chapter = book / "chapters" / "01-first.md"
    original = chapter.read_text(encoding="utf-8")
    with serving(book) as (url, _, log), browser_page() as page:
        page.goto(url)
        frame = page.frame_locator("#view")
        expect(frame.locator("h1")).to_have_text("The First Chapter", timeout=WAIT_MS)
        page.evaluate("window.notReloaded = true")  # gone if the page itself were loaded again

        chapter.write_text(original + "\nA sentence written while the preview was open.\n", encoding="utf-8")
        expect(frame.locator("body")).to_contain_text("A sentence written while the preview was open.",
                                                      timeout=WAIT_MS)

        chapter.write_text(original + "\nA [broken link](#nowhere) now.\n", encoding="utf-8")
        line = len(original.splitlines()) + 2
        problems = page.locator("#problems")
        expect(problems).to_contain_text(f"chapters/01-first.md:{line}:", timeout=WAIT_MS)
        expect(problems).to_contain_text("error: link to '#nowhere'")
        expect(problems).to_contain_text("Showing the last good build")
        # The last good book stays on show.
        expect(frame.locator("body")).to_contain_text("A sentence written while the preview was open.")
        if os.environ.get("SAVE_SCREENSHOTS") == "1":
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))

        chapter.write_text(original + "\nFixed: the link is gone.\n", encoding="utf-8")
        expect(frame.locator("body")).to_contain_text("Fixed: the link is gone.", timeout=WAIT_MS)
        expect(problems).to_be_hidden()
        assert page.evaluate("window.notReloaded") is True
    assert "chapters/01-first.md" in log.read_text(encoding="utf-8")


def _status_once_printed(url: str, chapter: Path, slug: str) -> dict[str, Any]:
    """A sentence added to *chapter*; the preview's status once its print pages are laid out."""
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    deadline = time.monotonic() + 30
    while slug not in (status := json.loads(get(url, "/status.json")[1]))["print"]:
        assert time.monotonic() < deadline, f"no print pages: {status}"
        time.sleep(0.1)
    return dict(status)


def test_the_print_view_shows_the_edited_chapters_pages(tmp_path: Path) -> None:
    require_command("pdftoppm")
    book = copy_book(SMALL_BOOK, tmp_path / "book")
    chapter = book / "chapters" / "02-second.md"
    with serving(book) as (url, _, _log):
        status = _status_once_printed(url, chapter, "ch-02-second")
        status_code, page = get(url, f"/print/ch-02-second.html?v={status['print']['ch-02-second']}")
        assert status_code == 200
        images = re.findall(r"src='(/print/ch-02-second/\d+\.png\?v=\d+)'", page.decode("utf-8"))
        assert images, page
        status_code, png = get(url, images[0])
        assert status_code == 200 and png.startswith(b"\x89PNG\r\n\x1a\n")
        status_code, pdf = get(url, "/print/ch-02-second.pdf")
        assert status_code == 200 and pdf.startswith(b"%PDF-")


def test_a_link_to_another_chapter_is_no_problem_in_the_print_view(tmp_path: Path) -> None:
    # The chapter is laid out alone, so WeasyPrint cannot find the other chapter's anchor;
    # the whole book can, and the author is not told otherwise.
    require_command("pdftoppm")
    book = copy_book(SMALL_BOOK, tmp_path / "book")
    chapter = book / "chapters" / "01-first.md"
    assert "](#the-end)" in chapter.read_text(encoding="utf-8")  # a link into chapter 2
    with serving(book) as (url, _, _log):
        status = _status_once_printed(url, chapter, "ch-01-first")
        assert status["problems"] == []


def test_the_print_view_lays_the_chapter_out_as_with_the_whole_front_and_back_matter(tmp_path: Path) -> None:
    # Only the half-title is laid out with the chapter (it sets the versos' running head); the
    # pages shown are those the chapter had laid out after the title, copyright and contents
    # pages, without the blank verso and the back matter (here its bibliography) that followed.
    require_command("pdftoppm")
    from PIL import Image, ImageChops

    from builder.layout import layout, print_resources
    from builder.render import render_print
    from builder.serve.printview import RESOLUTION, chapter_alone, page_images, print_pages
    from builder.serve.snapshot import read_snapshot

    snapshot = read_snapshot(copy_book(TECH_BOOK, tmp_path / "book")).snapshot
    assert snapshot is not None
    slug = "ch-02-figures"  # figures, a table, citations: the bibliography is in the back matter
    shown = print_pages(snapshot.book, slug)
    alone = chapter_alone(snapshot.book, slug)
    document, _ = layout(alone, render_print(alone), print_resources(alone))
    first = next(number for number, page in enumerate(document.pages) if slug in page.anchors)
    assert first > 2 and any("bibliography" in page.anchors for page in document.pages)  # front, back
    whole, _ = page_images(document.copy(document.pages[first:]).write_pdf(), len(document.pages) - first,
                           RESOLUTION)

    def picture(png: bytes) -> Image.Image:
        return Image.open(io.BytesIO(png)).convert("RGB")

    assert len(shown.images) >= 2
    for number, (alone_png, whole_png) in enumerate(zip(shown.images, whole, strict=False), start=1):
        assert ImageChops.difference(picture(alone_png), picture(whole_png)).getbbox() is None, number
    after = document.pages[first + len(shown.images):]
    assert picture(whole[len(shown.images)]).convert("L").getextrema() == (255, 255)  # the blank verso
    assert any(anchor in after[1].anchors for anchor in ("bibliography", "index", "colophon"))


def test_it_serves_the_book_only_on_this_machine_and_stops_cleanly(tmp_path: Path) -> None:
    book = copy_book(SMALL_BOOK, tmp_path / "book")
    (tmp_path / "secret.txt").write_text("not the book's", encoding="utf-8")
    with serving(book) as (url, process, log):
        assert urlsplit(url).hostname == "127.0.0.1"
        assert get(url, "/book/ch-01-first.xhtml")[0] == 200
        for path in ("/../../etc/passwd", "/book/../../etc/passwd", "/book/%2e%2e/%2e%2e/etc/passwd",
                     "/book/../secret.txt", "/book/chapters/01-first.md", "/book/book/book.toml",
                     "/book//etc/passwd", "/print/../../etc/passwd", "/etc/passwd"):
            status, content = get(url, path)
            assert status == 404, path
            assert b"root:" not in content and b"not the book's" not in content
        # A page elsewhere that renames its host to this address (DNS rebinding) is refused.
        assert get(url, "/status.json", host=f"attacker.example:{urlsplit(url).port}")[0] == 421
        process.terminate()
        assert process.wait(timeout=10) == 0
    assert "stopped" in log.read_text(encoding="utf-8")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True),
    ("0.0.0.0", False), ("192.0.2.7", False), ("::", False), ("example.org", False),
])
def test_only_loopback_hosts_count_as_this_machine(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
