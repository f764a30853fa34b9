"""Crafted hostile and broken books, one function each, and what each must give.

A case writes its book into a copy of the small fixture book (``book``), may
put files outside it (``outside``: a folder beside the book holding a secret),
and says what must happen: ``builds`` (exit 0) or ``refused`` (exit 65 with a
message naming the file, containing ``says``). Whatever the outcome, the secret
must not reach dist/, nothing outside may change, dist/ holds no temporary file,
and the exit is never 70 nor a traceback (tests/test_hostile.py checks it).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import write_file

SECRET = "TOPSECRET-7d1f"  # the text of every file outside the book


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # the class of failure it probes
    make: Callable[[Path, Path], None]  # (book, outside) -> None
    outcome: str  # "builds" or "refused"
    says: str = ""  # a text the message must hold (refused) or the output must hold (builds)
    must_reach_outputs: tuple[str, ...] = ()  # texts that must be in both editions
    command: str = "build"
    extra: tuple[str, ...] = field(default=())


def _all(*effects: object) -> None:
    """Several steps of a case's set-up in one lambda (each has already run)."""


def _secret(outside: Path, name: str, text: str | None = None) -> Path:
    path = outside / name
    write_file(path, text if text is not None else f"# Secret\n\n{SECRET} text.\n")
    return path


def _link(book: Path, relative: str, target: Path) -> None:
    path = book / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        if path.is_dir() and not path.is_symlink():
            import shutil
            shutil.rmtree(path)
        else:
            path.unlink()
    path.symlink_to(target)


def _chapter(book: Path, text: str, name: str = "02-second.md") -> None:
    """The second chapter replaced by *text*, keeping the heading the first one links to."""
    write_file(book / "chapters" / name, text + "\n\n## The End {#the-end}\n\nThe end.\n")


def _toml(book: Path, extra: str = "", replace: tuple[str, str] | None = None) -> None:
    path = book / "book" / "book.toml"
    text = path.read_text(encoding="utf-8")
    if replace:
        text = text.replace(*replace)
    path.write_text(text + extra, encoding="utf-8")


def _png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _sparse(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as stream:
        stream.truncate(size)


def _fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def _git(book: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(book), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_DATE": "2023-05-01T12:00:00Z",
                        "GIT_COMMITTER_DATE": "2023-05-01T12:00:00Z", "GIT_AUTHOR_NAME": "A",
                        "GIT_AUTHOR_EMAIL": "a@example.org", "GIT_COMMITTER_NAME": "A",
                        "GIT_COMMITTER_EMAIL": "a@example.org"})


def _repository_with_programs(book: Path, outside: Path) -> None:
    """A book whose own git configuration names programs that would leave a mark."""
    marker = outside / "program-ran"
    script = outside / "evil.sh"
    write_file(script, f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    _git(book, "init", "-q")
    _git(book, "add", ".")
    _git(book, "commit", "-q", "-m", "book")
    with open(book / ".git" / "config", "a") as config:
        config.write(f"[core]\n\tfsmonitor = {script}\n\tpager = {script}\n\tsshCommand = {script}\n"
                     f"[log]\n\tshowSignature = true\n[gpg]\n\tprogram = {script}\n"
                     f"[diff]\n\texternal = {script}\n[credential]\n\thelper = {script}\n")


def _partial_clone(book: Path, outside: Path) -> None:
    """A partial clone whose missing objects git would fetch from a remote."""
    _git(book, "init", "-q")
    _git(book, "add", ".")
    _git(book, "commit", "-q", "-m", "book")
    with open(book / ".git" / "config", "a") as config:
        config.write("[remote \"origin\"]\n\turl = http://127.0.0.1:9/book.git\n\tpromisor = true\n"
                     "\tpartialclonefilter = blob:none\n[extensions]\n\tpartialClone = origin\n")
    # the chapters' blobs are missing, as in a blobless clone
    for blob in subprocess.run(["git", "-C", str(book), "rev-parse", "HEAD:chapters/01-first.md"],
                               capture_output=True, text=True, check=True).stdout.split():
        path = book / ".git" / "objects" / blob[:2] / blob[2:]
        path.unlink(missing_ok=True)


def _tamper_cache(book: Path, outside: Path, how: str) -> None:
    """A first build fills the cache; then its entries are altered on disk."""
    from builder.pipeline import build

    build(book, book / "dist")
    folder = book / ".cache" / "book-builder"
    entries = sorted(folder.glob("pagemap-*.json") if how == "pagemap" else (folder / "markdown").glob("*.json"))
    assert entries, "the first build cached nothing"
    for entry in entries:
        data = json.loads(entry.read_text(encoding="utf-8"))
        if how == "altered":  # still valid JSON of the right shape, other content
            data["content"]["html"] = f"<h1>Changed</h1><p>{SECRET}</p>"
            entry.write_text(json.dumps(data), encoding="utf-8")
        elif how == "pagemap":
            for start in data["content"]["starts"]:
                start["label"] = SECRET
            entry.write_text(json.dumps(data), encoding="utf-8")
        elif how == "fifo":
            entry.unlink()
            os.mkfifo(entry)
        else:
            target = _secret(outside, f"entry-{entry.name}", json.dumps(data).replace("First", SECRET))
            entry.unlink()
            entry.symlink_to(target)
    (book / "dist").rename(book / "dist-of-first-build")


def _deep(prefix: str, closing: str = "", depth: int = 2000) -> str:
    return prefix * depth + "deep text" + closing * depth + "\n"


CASES: list[Case] = [
    # --- reads outside the book ---------------------------------------------------
    Case("chapter-symlink-out", "read-outside",
         lambda b, o: _link(b, "chapters/02-second.md", _secret(o, "secret.md")), "refused", "outside the book"),
    Case("book-toml-symlink-out", "read-outside",
         lambda b, o: _link(b, "book/book.toml", _secret(o, "book.toml", (b / "book" / "book.toml").read_text()
                                                         + f'\ndescription = "{SECRET}"\n')),
         "refused", "outside the book"),
    Case("book-folder-symlink-out", "read-outside",
         lambda b, o: _all(_secret(o, "bookdir/book.toml", (b / "book" / "book.toml").read_text()),
                       _link(b, "book", o / "bookdir")), "refused", "outside the book"),
    Case("chapters-folder-symlink-out", "read-outside",
         lambda b, o: _all(_secret(o, "chapters/01-first.md"), _secret(o, "chapters/02-second.md"),
                       _link(b, "chapters", o / "chapters")), "refused", "outside the book"),
    Case("author-toml-symlink-out", "read-outside",
         lambda b, o: _link(b, "book/author.toml", _secret(o, "author.toml", f'caption = "{SECRET}"\n'
                                                         '[[rows]]\nlabel = "a"\nvalue = "b"\n')),
         "refused", "outside the book"),
    Case("errata-symlink-out", "read-outside",
         lambda b, o: _link(b, "book/errata.toml", _secret(o, "errata.toml", "")), "refused", "outside the book"),
    Case("style-symlink-out", "read-outside",
         lambda b, o: _link(b, "styles/print.css", _secret(o, "x.css", f'body::after {{ content: "{SECRET}" }}')),
         "refused", "outside the book"),
    Case("custom-css-symlink-out", "read-outside",
         lambda b, o: _link(b, "styles/custom.css", _secret(o, "c.css", f'p::before {{ content: "{SECRET}" }}')),
         "refused", "outside the book"),
    Case("cover-symlink-out", "read-outside",
         lambda b, o: _all(write_file(o / "cover.png", _png(4, 4)), _link(b, "book/cover.png", o / "cover.png")),
         "refused", "outside the book"),
    Case("chapter-absolute-path", "read-outside",
         lambda b, o: _toml(b, replace=('"chapters/02-second.md"', f'"{_secret(o, "abs.md")}"')),
         "refused", "not a path inside the book"),
    Case("chapter-climbing-path", "read-outside",
         lambda b, o: _toml(b, replace=('"chapters/02-second.md"', f'"../{o.name}/{_secret(o, "up.md").name}"')),
         "refused", "not a path inside the book"),
    Case("chapter-glob-climbing", "read-outside",
         lambda b, o: _all(_secret(o, "g.md"), _toml(b, replace=(
             'chapters = ["chapters/01-first.md", "chapters/02-second.md"]', f'chapters = "../{o.name}/*.md"'))),
         "refused", "chapters"),
    Case("image-symlink-out", "read-outside",
         lambda b, o: _all(write_file(o / "pic.png", _png()), _link(b, "chapters/pic.png", o / "pic.png"),
                       _chapter(b, "# Second\n\n![A picture](pic.png)\n")), "refused", "outside the book"),
    Case("image-climbing-path", "read-outside",
         lambda b, o: _all(write_file(o / "pic.png", _png()),
                       _chapter(b, f"# Second\n\n![A picture](../../{o.name}/pic.png)\n")),
         "refused", "outside the book"),
    Case("css-url-out", "read-outside",
         lambda b, o: _all(write_file(o / "bg.png", _png()),
                       write_file(b / "styles" / "print.css", f"body {{ background: url(../../{o.name}/bg.png) }}\n")), "refused", "outside the book"),
    Case("css-import-out", "read-outside",
         lambda b, o: _all(_secret(o, "i.css", f'p::after {{ content: "{SECRET}" }}'),
                       write_file(b / "styles" / "print.css", f'@import url("../../{o.name}/i.css");\n')),
         "refused", "outside the book"),
    Case("font-face-symlink-out", "read-outside",
         lambda b, o: _all(write_file(o / "f.otf", b"OTTO" + b"\0" * 100), _link(b, "styles/f.otf", o / "f.otf"),
                       write_file(b / "styles" / "print.css",
                              "@font-face { font-family: X; src: url(f.otf); }\nbody { font-family: X }\n")), "refused", "points at no file in the book"),
    Case("css-absolute-file-url", "read-outside",
         lambda b, o: _all(_secret(o, "abs.css", f'p::after {{ content: "{SECRET}" }}'),
                       write_file(b / "styles" / "print.css", f'@import url("file://{o}/abs.css");\n')),
         "refused", "outside the book"),
    # --- programs and the network ----------------------------------------------
    Case("git-config-programs", "programs", _repository_with_programs, "builds"),
    Case("git-partial-clone", "programs", _partial_clone, "builds"),
    Case("css-network-url", "programs",
         lambda b, o: write_file(b / "styles" / "print.css", "body { background: url(http://127.0.0.1:9/x.png) }\n"),
         "refused", "reads no network resource"),
    Case("image-network-url", "programs",
         lambda b, o: _chapter(b, "# Second\n\n![A picture](http://127.0.0.1:9/x.png)\n"), "refused", "network"),
    # --- deletes outside ---------------------------------------------------------
    Case("cache-folder-symlink-out", "deletes-outside",
         lambda b, o: _all(write_file(o / "cache" / "markdown" / "keep.json", "{}"), write_file(o / "cache" / "pagemap-x.json", "{}"),
                       _link(b, ".cache/book-builder", o / "cache")), "builds"),
    Case("markdown-cache-symlink-out", "deletes-outside",
         lambda b, o: _all(write_file(o / "md" / "keep.json", "{}"), _link(b, ".cache/book-builder/markdown", o / "md")), "builds"),
    Case("dist-symlink-out", "deletes-outside",
         lambda b, o: _all(o.joinpath("dist").mkdir(), _link(b, "dist", o / "dist")), "refused", "symlink"),
    Case("dist-file-symlink-out", "deletes-outside",
         lambda b, o: _all(_secret(o, "victim.pdf", "keep me"), _link(b, "dist/a-small-test-book.pdf", o / "victim.pdf")), "builds"),
    # --- the cache ---------------------------------------------------------------
    Case("cache-entry-altered", "cache", lambda b, o: _tamper_cache(b, o, "altered"), "builds",
         must_reach_outputs=("First",)),
    Case("cache-entry-fifo", "cache", lambda b, o: _tamper_cache(b, o, "fifo"), "builds"),
    Case("cache-entry-symlink", "cache", lambda b, o: _tamper_cache(b, o, "symlink"), "builds"),
    Case("pagemap-entry-altered", "cache", lambda b, o: _tamper_cache(b, o, "pagemap"), "builds",
         command="epub"),
    # --- crashes, hangs, memory ----------------------------------------------------
    Case("nested-lists-2000", "bounds", lambda b, o: _chapter(b, "# Second\n\n" + "".join(
        "  " * n + "- item\n" for n in range(2000))), "refused", "nest"),
    Case("nested-quotes-2000", "bounds", lambda b, o: _chapter(b, "# Second\n\n" + _deep("> ")), "refused", "nest"),
    Case("nested-divs-2000", "bounds", lambda b, o: _chapter(b, "# Second\n\n" + _deep("<div>", "</div>")),
         "refused", "nest"),
    Case("svg-huge-width", "bounds",
         lambda b, o: _all(write_file(b / "chapters" / "big.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="1e999" '
                              'height="10"><rect width="5" height="5"/></svg>'),
                       _chapter(b, "# Second\n\n![A shape](big.svg)\n")), "refused", "big.svg"),
    Case("attachment-link", "bounds",
         lambda b, o: _chapter(b, '# Second\n\n<a rel="attachment" href="https://example.org/n.zip">notes</a>\n'),
         "refused", "attachment"),
    Case("title-10mb", "bounds", lambda b, o: _toml(b, replace=('title = "A Small Test Book"',
                                                                  f'title = "{"T" * 10_000_000}"')),
         "refused", "title"),
    Case("title-5000-chars", "bounds", lambda b, o: _toml(b, replace=('title = "A Small Test Book"',
                                                                        f'title = "{"T" * 5000}"')),
         "refused", "limit is 1,000"),
    Case("author-name-huge", "bounds", lambda b, o: _toml(b, replace=('"Test Author"', f'"{"A" * 50_000}"')),
         "refused", "authors"),
    Case("trim-huge", "bounds", lambda b, o: _toml(b, '\n[print]\ntrim = "9000 x 9000 in"\n'), "refused", "trim"),
    Case("trim-zero", "bounds", lambda b, o: _toml(b, '\n[print]\ntrim = "0 x 0 in"\n'), "refused", "trim"),
    Case("footnotes-100000", "bounds", lambda b, o: _chapter(b, "# Second\n\n" + "".join(
        f"Text[^{n}]. " for n in range(100_000)) + "\n\n" + "".join(f"[^{n}]: Note.\n" for n in range(100_000))),
         "refused", "footnotes"),
    Case("css-url-fifo", "bounds",
         lambda b, o: _all(_fifo(b / "styles" / "pipe.png"),
                       write_file(b / "styles" / "print.css", "body { background: url(pipe.png) }\n")),
         "refused", "not a regular file"),
    Case("chapter-fifo", "bounds", lambda b, o: _all(os.unlink(b / "chapters" / "02-second.md"),
                                                  _fifo(b / "chapters" / "02-second.md")),
         "refused", "not a regular file"),
    Case("css-url-2gib", "bounds",
         lambda b, o: _all(_sparse(b / "styles" / "big.png", 2 * 1024**3),
                       write_file(b / "styles" / "print.css", "body { background: url(big.png) }\n")),
         "refused", "limit"),
    Case("chapter-200mb", "bounds",
         lambda b, o: _sparse(b / "chapters" / "02-second.md", 200 * 1024**2), "refused", "limit"),
    Case("headings-20000", "bounds", lambda b, o: _chapter(b, "# Second\n\n" + "".join(
        f"## Section {n}\n\nText.\n\n" for n in range(20_000))), "refused", "headings"),
    Case("images-5000", "bounds",
         lambda b, o: _all(write_file(b / "chapters" / "p.png", _png()), _chapter(b, "# Second\n\n" + "".join(
             f"![Picture {n}](p.png)\n\n" for n in range(5000)))), "refused", "images"),
    Case("margin-huge", "bounds", lambda b, o: write_file(b / "styles" / "print.css", "@page { margin: 90in }\n"),
         "builds"),
    # --- content dropped ---------------------------------------------------------
    Case("table-12-columns", "dropped", lambda b, o: _chapter(b, "# Second\n\n" + "| " + " | ".join(
        f"Heading{n}" for n in range(12)) + " |\n|" + "---|" * 12 + "\n| " + " | ".join(
        f"Cellvalue{n}" for n in range(12)) + " |\n"), "builds",
         must_reach_outputs=tuple(f"Cellvalue{n}" for n in range(12))),
    Case("long-url", "dropped", lambda b, o: _chapter(b, "# Second\n\nSee <https://example.org/" + "a" * 300
                                                     + "/end-of-url>.\n"), "builds", must_reach_outputs=("end-of-url",)),
    Case("long-code-span", "dropped", lambda b, o: _chapter(b, "# Second\n\nRun `" + "x" * 400 + "ENDCODE`.\n"),
         "builds", must_reach_outputs=("ENDCODE",)),
    Case("long-code-line", "dropped", lambda b, o: _chapter(b, "# Second\n\n```\n" + "y" * 400 + "ENDLINE\n```\n"),
         "builds", must_reach_outputs=("ENDLINE",)),
    Case("paragraph-2mb", "dropped", lambda b, o: _chapter(b, "# Second\n\n" + "word " * 400_000 + "LASTWORD\n"),
         "refused", "too long"),
    # --- active content ----------------------------------------------------------
    Case("svg-script", "active",
         lambda b, o: _all(write_file(b / "chapters" / "s.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                              '<script>alert(1)</script><rect width="5" height="5"/></svg>'),
                       _chapter(b, "# Second\n\n![A shape](s.svg)\n")), "refused", "script"),
    Case("svg-onload", "active",
         lambda b, o: _all(write_file(b / "chapters" / "s.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="10" '
                              'height="10" onload="alert(1)"><rect width="5" height="5"/></svg>'),
                       _chapter(b, "# Second\n\n![A shape](s.svg)\n")), "refused", "onload"),
    Case("svg-javascript-link", "active",
         lambda b, o: _all(write_file(b / "chapters" / "s.svg", '<svg xmlns="http://www.w3.org/2000/svg" '
                              'xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
                              '<a xlink:href="javascript:alert(1)"><rect width="5" height="5"/></a></svg>'),
                       _chapter(b, "# Second\n\n![A shape](s.svg)\n")), "refused", "javascript"),
    Case("data-html-link", "active",
         lambda b, o: _chapter(b, "# Second\n\n[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)\n"),
         "refused", "data:"),
    Case("javascript-link", "active", lambda b, o: _chapter(b, "# Second\n\n[click](javascript:alert(1))\n"),
         "refused", "javascript"),
    Case("script-tag", "active", lambda b, o: _chapter(b, "# Second\n\n<script>alert(1)</script>\n"),
         "refused", "script"),
    Case("iframe", "active", lambda b, o: _chapter(b, '# Second\n\n<iframe src="x.html"></iframe>\n'),
         "refused", "iframe"),
    Case("event-handler", "active", lambda b, o: _chapter(b, '# Second\n\n<p onclick="alert(1)">Hi</p>\n'),
         "refused", "onclick"),
    # --- interruptions -----------------------------------------------------------
    Case("folder-where-epub-goes", "interrupt",
         lambda b, o: _all((b / "dist" / "a-small-test-book.epub").mkdir(parents=True),
                       write_file(b / "dist" / "a-small-test-book.pdf", "old pdf")),
         "refused", "a folder stands where"),
    Case("stale-part-files", "interrupt",
         lambda b, o: _all(write_file(b / "dist" / ".a-small-test-book.pdf.abc123.part", "stale"),
                       write_file(b / "dist" / ".a-small-test-book.epub.xyz.part", "stale")), "builds"),
    # --- import ------------------------------------------------------------------
    Case("import-readme-symlink-out", "read-outside",
         lambda b, o: _link(b, "src/README.md", _secret(o, "README.md", f"# Secret\n\n* [One]({o}/one.md)\n")),
         "refused", "outside", command="import"),
    Case("import-chapter-symlink-out", "read-outside",
         lambda b, o: _all(write_file(b / "src" / "SUMMARY.md", "# Summary\n\n- [One](one.md)\n"),
                       _link(b, "src/one.md", _secret(o, "one.md"))),
         "refused", "no chapter could be imported", command="import"),
    Case("import-book-toml-symlink-out", "read-outside",
         lambda b, o: _all(write_file(b / "src" / "SUMMARY.md", "# Summary\n\n- [One](one.md)\n"),
                       write_file(b / "src" / "one.md", "# One\n\nText.\n"),
                       _link(b, "src/book.toml", _secret(o, "book.toml", f'[book]\ntitle = "{SECRET}"\n'))), "refused", "outside", command="import"),
]
