"""The command line: argv -> a build or a check, and an exit code.

In: `build [--epub] [--pdf] [--print] [--cover] [--pdf-variant V] [--out DIR] [BOOK_DIR]`,
`check [--format text|json] [BOOK_DIR]`, `import SRC_DIR DEST_DIR`, `serve [--host H] [--port N] [BOOK_DIR]`,
`new DIR [--title T] [--author A] [--lang L]`,
`--version`, `--debug`.
Out: on stderr, build progress (a bar on a terminal, else a line per stage),
warnings and a summary line (files and sizes, pages, words, warnings, time); a
mistake in the book prints one `file:line:col: error: message` per problem and
exits non-zero, with no traceback unless --debug is given.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import NoReturn, TextIO

from builder import NAME, __version__
from builder.errors import EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, BuilderError, ordered
from builder.errors import summary as tally
from builder.model import PDF_VARIANTS, Diagnostic


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog=NAME, description="Build an EPUB 3 and a print PDF from a book folder."
    )
    top.add_argument("--version", action="version", version=f"{NAME} {__version__}")
    top.add_argument("--debug", action="store_true", help="show Python tracebacks")
    commands = top.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the EPUB and/or the PDF")
    build.add_argument("book_dir", nargs="?", default=".", type=Path, metavar="BOOK_DIR",
                       help="the book folder (default: the current folder)")
    build.add_argument("--epub", action="store_true", help="build the EPUB (default: both)")
    build.add_argument("--pdf", action="store_true", help="build the PDF (default: both)")
    build.add_argument("--out", type=Path, default=None, metavar="DIR",
                       help="output folder (default: BOOK_DIR/dist)")
    build.add_argument("--print", dest="print_job", action="store_true", default=None,
                       help="the printer's PDF: bleed (and marks) by book.toml's [print] profile")
    build.add_argument("--cover", action="store_true",
                       help="also the print cover, <slug>-cover.pdf: back, spine and front with bleed, "
                       "sized from the page count and [print] paper")
    build.add_argument("--pdf-variant", choices=PDF_VARIANTS, default=None,
                       help="PDF flavour (default pdf/ua-1, tagged; pdf/a-3u or pdf/a-4 for archives)")
    build.add_argument("--quiet", action="store_true",
                       help="no progress lines (warnings and the summary line still shown)")
    check = commands.add_parser(
        "check", help="check the book without building: every problem, as file:line:col: level: message")
    check.add_argument("book_dir", nargs="?", default=".", type=Path, metavar="BOOK_DIR")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="json: one object on stdout, {errors, warnings, diagnostics: [{file, line, "
                       "column, level, message}]}, paths relative to BOOK_DIR (for editors and CI)")
    importer = commands.add_parser(
        "import", help="make a book folder from a folder of Markdown (mdBook SUMMARY.md, toc.md, README.md "
        "list of links, or file names)")
    importer.add_argument("source", type=Path, metavar="SRC_DIR")
    importer.add_argument("destination", type=Path, metavar="DEST_DIR")
    importer.add_argument("--base-url", default="", metavar="URL",
                          help="where the source is published (e.g. https://doc.rust-lang.org/nomicon/): "
                          "links to files not imported go to their web copies there")
    importer.add_argument("--within", type=Path, default=None, metavar="DIR",
                          help="a folder holding the source (e.g. its repository) whose files includes may "
                          "read (default: only the source folder's)")
    serve = commands.add_parser(
        "serve", help="a live preview on a local web page (reader and print views), rebuilt on every save")
    serve.add_argument("book_dir", nargs="?", default=".", type=Path, metavar="BOOK_DIR")
    serve.add_argument("--port", type=int, default=8000, metavar="N",
                       help="the port (default 8000; 0: any free port, printed)")
    serve.add_argument("--host", default="127.0.0.1", metavar="HOST",
                       help="the address to listen on (default 127.0.0.1, this machine only; "
                       "another exposes the book to the network, with a warning)")
    new = commands.add_parser("new", help="start a book: a new folder with book.toml, two sample chapters "
                              "and a style sheet, ready to build")
    new.add_argument("book_dir", type=Path, metavar="DIR",
                     help="the new book folder (must not exist, or be empty)")
    new.add_argument("--title", default=None, help="the book's title (default: Untitled)")
    new.add_argument("--author", action="append", default=None, metavar="NAME",
                     help="an author, as credited (default: Your Name); give it again for each co-author")
    new.add_argument("--lang", default=None, metavar="TAG", help="a BCP 47 language tag (default: en)")
    return top


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM ends a build as Ctrl-C does: dist/ left as it was


def main(argv: list[str] | None = None, stderr: TextIO | None = None) -> int:
    err = stderr or sys.stderr
    args = parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        commands = {"check": _check, "import": _import, "build": _build, "serve": _serve, "new": _new}
        return commands[args.command](args, err)
    except BuilderError as exc:
        if args.debug:
            traceback.print_exc(file=err)
        print(exc, file=err)
        if args.command == "build":
            print(f"{NAME}: {tally(exc.diagnostics)}", file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{NAME}: interrupted; dist/ was left as it was", file=err)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug of ours, not the author's: say so, briefly
        if args.debug:
            traceback.print_exc(file=err)
        print(f"{NAME}: internal error: {exc!r}; dist/ was left as it was. "
              "Run again with --debug and report the traceback.", file=err)
        return EXIT_INTERNAL


def run() -> NoReturn:
    """The command (``python -m builder``, ``book-builder``): main(), then a quick exit.

    By the end the outputs are written and closed, and what is left is tearing
    down the interpreter: every module of WeasyPrint, fontTools, Pillow and
    cffi, one object at a time, about 70 ms of a 1 s build. The exit handlers
    run and the streams are flushed, then the process ends at once and the
    system takes its memory back whole."""
    status = main()
    atexit._run_exitfuncs()
    with contextlib.suppress(OSError):  # a reader that has gone away
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)


def _import(args: argparse.Namespace, err: TextIO) -> int:
    from builder.importer import import_book
    from builder.pipeline import check

    report = import_book(args.source, args.destination, args.base_url, args.within)
    print(f"{NAME}: {len(report.chapters)} chapters in {report.book_dir}, in the order of "
          f"{report.order_source}", file=err)
    for line in report.unmapped:
        print(f"{NAME}: not mapped: {line}", file=err)
    errors = [d for d in check(report.book_dir) if d.level == "error"]
    for diagnostic in errors:
        print(diagnostic, file=err)
    if errors:
        print(f"{NAME}: the book does not build yet: edit what the {len(errors)} error"
              f"{'s' * (len(errors) != 1)} above name{'s' * (len(errors) == 1)}, then build it with: "
              f"python -m builder build {report.book_dir}", file=err)
    else:
        print(f"{NAME}: it checks clean; build it with: python -m builder build {report.book_dir}", file=err)
    return 0


def _serve(args: argparse.Namespace, err: TextIO) -> int:
    from builder.serve.server import serve

    return serve(args.book_dir, args.host, args.port, err)


def _new(args: argparse.Namespace, err: TextIO) -> int:
    import datetime as dt
    import uuid

    from builder import scaffold

    title = args.title if args.title is not None else scaffold.DEFAULT_TITLE
    files = scaffold.scaffold_files(title, args.author or [scaffold.DEFAULT_AUTHOR],
                                    args.lang if args.lang is not None else scaffold.DEFAULT_LANGUAGE,
                                    dt.date.today(), uuid.uuid4().urn)
    scaffold.write_new_book(args.book_dir, files)
    stem = scaffold.output_stem(title)
    print(f"{NAME}: a new book in {args.book_dir} ({len(files)} files); edit book/book.toml and the "
          f"chapters, then build it with: {NAME} build {args.book_dir} "
          f"(or make book BOOK_DIR={args.book_dir}), which writes {args.book_dir / 'dist' / stem}.epub "
          "and .pdf", file=err)
    return 0


def _check(args: argparse.Namespace, err: TextIO) -> int:
    from builder.pipeline import check

    try:
        found = check(args.book_dir)
    except BuilderError as exc:  # one the check could not go past: told in the format asked for
        found = list(exc.diagnostics)
    errors = sum(d.level == "error" for d in found)
    if args.format == "json":
        print(json.dumps(_as_json(found, args.book_dir), ensure_ascii=False), file=sys.stdout)
    else:
        for diagnostic in found:
            print(diagnostic, file=err)
        print(f"{NAME}: {tally(found)}", file=err)
    return EXIT_INPUT if errors else 0


def _as_json(found: list[Diagnostic], book_dir: Path) -> dict[str, object]:
    errors = sum(d.level == "error" for d in found)
    return {"errors": errors, "warnings": len(found) - errors, "diagnostics": [
        {"file": _relative(d.path, book_dir), "line": d.line, "column": d.column, "level": d.level,
         "message": d.message} for d in found]}


def _relative(path: Path, book_dir: Path) -> str:
    """*path* as the book folder names it ('chapters/01-first.md'), else whole."""
    for inside, root in ((path.absolute(), book_dir.absolute()), (path.resolve(), book_dir.resolve())):
        if inside.is_relative_to(root):
            return inside.relative_to(root).as_posix()
    return path.as_posix()


def _build(args: argparse.Namespace, err: TextIO) -> int:
    from builder.pipeline import FORMATS, build
    from builder.progress import stage_display, summary

    formats = [f for f in FORMATS if getattr(args, f)] or list(FORMATS)
    out_dir = args.out if args.out is not None else args.book_dir / "dist"
    stages = 3 + len(formats) + args.cover  # manuscript, layout (or cached map), each edition, cover, write
    with stage_display(err, NAME, stages, args.quiet) as progress:
        result = build(args.book_dir, out_dir, formats, progress,
                       print_job=args.print_job, pdf_variant=args.pdf_variant, cover=args.cover)
    for warning in ordered(result.warnings):
        print(warning, file=err)
    print(f"{NAME}: {summary(result)}", file=err)
    return 0
