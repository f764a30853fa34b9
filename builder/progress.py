"""What a build says while it runs and when it ends: stage lines -> a bar or plain lines; a summary.

In: the pipeline's progress lines (one per stage, "stage  detail  (seconds)", and
"note ..." lines) and, at the end, its BuildResult. Out, on the error stream: on a
terminal, a rich progress bar over the stages (notes printed above it), gone when
the build ends; anywhere else (a pipe, a log, make's output) the lines as they
come; then, either way, one summary line: the files and their sizes, the print
edition's pages, the words, the warnings and the time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from builder.pipeline import BuildResult

Shown = Callable[[str], None]


def _size(count: int) -> str:
    for unit, scale in (("MB", 1_000_000), ("KB", 1_000)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' * (count != 1)}"


def summary(result: BuildResult) -> str:
    """One line: what was written, how big, and what the book holds."""
    files = ", ".join(f"{path.name} ({_size(path.stat().st_size)})" for path in result.files)
    facts = [_plural(result.pages, "page")] if result.pages is not None else []
    facts += [_plural(result.words, "word"), _plural(len(result.warnings), "warning"),
              f"{result.seconds:.1f} s"]
    return f"built {files}: {', '.join(facts)}"


@contextmanager
def stage_display(err: TextIO, name: str, stages: int, quiet: bool) -> Iterator[Shown]:
    """A callback for the pipeline's lines: a bar of *stages* steps where *err* is a
    terminal, else plain lines prefixed with *name* (none when *quiet*)."""
    if quiet:
        yield lambda line: None
    elif err.isatty():
        with _bar(err, stages) as shown:
            yield shown
    else:
        yield lambda line: print(f"{name}: {line}", file=err)


@contextmanager
def _bar(err: TextIO, stages: int) -> Iterator[Shown]:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # No refresh thread (auto_refresh off): the build forks, and a fork beside a
    # running thread may deadlock. The bar is redrawn at each stage instead.
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(file=err), auto_refresh=False, transient=True,
                   redirect_stdout=False, redirect_stderr=False)
    task = bar.add_task("manuscript", total=stages)

    def shown(line: str) -> None:
        stage, _, detail = line.partition(" ")
        if stage == "note":
            bar.console.print(f"note: {escape(detail.strip())}", highlight=False)
        else:
            bar.update(task, advance=1, description=escape(f"{stage}: {detail.strip()}"[:50].ljust(50)))
        bar.refresh()

    bar.start()
    bar.refresh()
    try:
        yield shown
    finally:
        bar.stop()
