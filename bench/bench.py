"""The benchmark: our EPUB and PDF against Pandoc, and our PDF against bare WeasyPrint.

In: the project (its ``.venv`` and ``builder``), the real book at the
project root and two books written by ``make_long_book.py``: the long one (prose,
about 300 pages) and the technical one (prose, 300 code blocks and 50 figures,
about 500 pages); options (or ``BENCH_*`` environment variables) for rounds, warm-up and which
commands and books to run. Out: a table on stdout (per command and book: the
median, min and max wall time, CPU time, peak memory and the PDF's page count),
the ratios the issue sets targets for, each marked ok or FAIL, and the same data
with every sample as JSON in ``bench/results/latest.json``.

How: each measured command is a fresh process, started with ``subprocess.Popen``
and reaped with ``os.wait4``, which returns its resource usage: wall time is
``perf_counter`` from start to reap, peak memory is ``ru_maxrss`` (for a command
that starts children, as Pandoc starts WeasyPrint, the largest process of the
tree). Rounds interleave the books and alternate the order of the commands
(rotated by one each round, reversed every other round), so that drift of the
machine spreads over all of them. The books are copied into a scratch folder:
nothing is written into the project, and every build of ours that should start
from scratch gets a fresh copy (no page-map cache, no ``dist/``). The builder
itself (``builder/``, with its house style) is snapshotted there at the
start and found first through PYTHONPATH, so that edits made to the work tree
while the benchmark runs do not mix two versions in one set of numbers; its
hash is in the JSON.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from make_long_book import DEFAULT_SEED, KINDS, make_book

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
PANDOC_CSS = BENCH / "pandoc-print.css"
RESULTS = BENCH / "results" / "latest.json"
REAL_BOOK_PARTS = ("book", "chapters", "styles")
BOOK_NAMES = ("real", *KINDS)  # real, long, technical: the order of the table
SNAPSHOT_PARTS = ("builder",)  # what `python -m builder` runs, its template and house style


@dataclass(frozen=True)
class BookCase:
    """One book, prepared in the scratch folder."""

    name: str  # "real", "long" or "technical"
    title: str  # for Pandoc's --metadata title=
    source: Path  # pristine copy: the fresh copies are taken from it
    cached: Path  # a copy whose page-map cache was made once, before the rounds
    floor: Path  # a copy with our print.html and the styles the builder used
    rounds: int

    @property
    def chapters(self) -> list[Path]:
        """The chapter files in the order the shell glob chapters/*.md gives."""
        return sorted(self.source.glob("chapters/*.md"))


@dataclass(frozen=True)
class Run:
    """Where one measured run happens: the book folder it reads, the folder it writes."""

    book_dir: Path
    out: Path
    cwd: Path


@dataclass(frozen=True)
class Command:
    key: str
    label: str
    output: Literal["epub", "pdf"]
    fresh_copy: bool  # runs on its own fresh copy of the book (a build from scratch)
    argv: Callable[[BookCase, Run], list[str]]
    # Runs in the book's chapters/ folder: Pandoc, and the WeasyPrint it starts, find
    # the chapters' images (images/fig-NN.png) relative to the working folder.
    in_chapters: bool = False
    env: tuple[tuple[str, str], ...] = ()  # set for this command only


def _ours(*flags: str) -> Callable[[BookCase, Run], list[str]]:
    def argv(book: BookCase, run: Run) -> list[str]:
        return [str(PYTHON), "-m", "builder", "build", *flags, "--quiet", "--out", str(run.out),
                str(run.book_dir)]

    return argv


def _pandoc(*flags: str) -> Callable[[BookCase, Run], list[str]]:
    def argv(book: BookCase, run: Run) -> list[str]:
        name = "pandoc.pdf" if "--pdf-engine=weasyprint" in flags else "pandoc.epub"
        return ["pandoc", "-o", str(run.out / name), *flags, "--metadata", f"title={book.title}",
                *(str(chapter) for chapter in book.chapters)]

    return argv


def _weasyprint(*flags: str) -> Callable[[BookCase, Run], list[str]]:
    def argv(book: BookCase, run: Run) -> list[str]:
        html, pdf = book.floor / "print.html", run.out / "bare.pdf"
        return [str(VENV_BIN / "weasyprint"), *flags, str(html), str(pdf)]

    return argv


COMMANDS: tuple[Command, ...] = (
    Command("ours-epub", "ours: EPUB, from scratch (no layout)", "epub", True, _ours("--epub")),
    Command("ours-epub-cached", "ours: EPUB, page map cached", "epub", False, _ours("--epub")),
    Command("ours-pdf", "ours: PDF", "pdf", True, _ours("--pdf")),
    # The same build laying the book out once: the typography pass (issue 20) turned off through
    # its adapter probe, so that the pipeline's own cost shows apart from the pass's layouts.
    Command("ours-pdf-one-layout", "ours: PDF, typography pass off (one layout)", "pdf", True,
            _ours("--pdf"), env=(("BOOK_BUILDER_PROBES", "typography-pass"),)),
    Command("ours-both", "ours: EPUB+PDF, one process = make book", "pdf", True, _ours()),
    Command("pandoc-epub", "Pandoc: EPUB", "epub", False, _pandoc(), in_chapters=True),
    Command("pandoc-pdf", "Pandoc + WeasyPrint: PDF", "pdf", False,
            _pandoc("--pdf-engine=weasyprint", "--css", str(PANDOC_CSS)), in_chapters=True),
    Command("weasyprint", "bare WeasyPrint on our HTML", "pdf", False, _weasyprint()),
    Command("weasyprint-ua", "bare WeasyPrint, --pdf-variant pdf/ua-1", "pdf", False,
            _weasyprint("--pdf-variant", "pdf/ua-1")),
)


# Measured once more per book, sampling the memory of every process of the run.
TREE_MEMORY_COMMANDS = ("ours-pdf", "ours-both", "pandoc-pdf", "weasyprint")


@dataclass(frozen=True)
class Sample:
    wall_s: float
    cpu_s: float  # user + system, of the process and its children
    peak_rss_mib: float
    pages: int | None
    output_bytes: int


@dataclass
class Summary:
    command: str
    label: str
    book: str
    samples: list[Sample] = field(default_factory=list)
    tree_pss_mib: float | None = None  # the memory of all its processes at once (one sampled run)

    def median(self, attribute: str) -> float:
        return float(statistics.median(getattr(s, attribute) for s in self.samples))

    @property
    def pages(self) -> int | None:
        counts = {s.pages for s in self.samples}
        return counts.pop() if len(counts) == 1 else None

    def as_dict(self) -> dict[str, Any]:
        walls = [s.wall_s for s in self.samples]
        return {
            "command": self.command, "label": self.label, "book": self.book, "runs": len(walls),
            "median_s": self.median("wall_s"), "min_s": min(walls), "max_s": max(walls),
            "median_cpu_s": self.median("cpu_s"), "median_peak_rss_mib": self.median("peak_rss_mib"),
            "pages": self.pages, "tree_pss_peak_mib": self.tree_pss_mib,
            "samples": [asdict(s) for s in self.samples],
        }


class CommandFailed(RuntimeError):
    pass


# --- running one command -------------------------------------------------------------------------

def environment(xdg_cache: Path) -> dict[str, str]:
    """PATH with the project's .venv/bin first (Pandoc finds that weasyprint), the
    builder's snapshot first on PYTHONPATH, and a cache folder of the run's own for
    anything that follows XDG_CACHE_HOME."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(_snapshot)
    env.pop("PYTHONHOME", None)
    env["XDG_CACHE_HOME"] = str(xdg_cache)
    env.pop("PYTHONSTARTUP", None)
    return env


def measure(argv: Sequence[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[float, float, float]:
    """Run *argv* to its end; return wall seconds, CPU seconds and peak RSS in MiB."""
    with log.open("wb") as sink:
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=sink, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = log.read_text("utf-8", errors="replace").splitlines()[-15:]
        raise CommandFailed(f"exit {process.returncode}: {' '.join(argv)}\n  " + "\n  ".join(tail))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # ru_maxrss is in KiB


def _process_tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(found for child in children for found in _process_tree(int(child)))]


def _pss_kib(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0  # gone meanwhile
    found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
    return int(found[1]) if found else 0


def measure_tree_memory(argv: Sequence[str], cwd: Path, env: dict[str, str], log: Path) -> float:
    """Run *argv*; return the peak, over samples every 10 ms, of the summed
    proportional set size (Pss) of its whole process tree, in MiB: the memory
    all its processes hold at once, pages shared between them counted once.
    Sampling costs CPU, so these runs are apart from the timed ones."""
    with log.open("wb") as sink:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=sink, stderr=subprocess.STDOUT)
        peak = 0
        while process.poll() is None:
            peak = max(peak, sum(_pss_kib(pid) for pid in _process_tree(process.pid)))
            time.sleep(0.01)
    if process.returncode != 0:
        raise CommandFailed(f"exit {process.returncode}: {' '.join(argv)}")
    return peak / 1024


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    if not found:
        raise CommandFailed(f"pdfinfo found no page count in {pdf}")
    return int(found[1])


def _prepare(command: Command, book: BookCase, scratch: Path) -> tuple[Path, Run, Path]:
    """A folder of the run's own (removed by the caller), the run's paths, its XDG cache."""
    folder = scratch / "runs" / f"{book.name}-{command.key}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    book_dir = book.cached if not command.fresh_copy else folder / "book"
    if command.fresh_copy:
        shutil.copytree(book.source, book_dir)
    run = Run(book_dir=book_dir, out=folder / "out",
              cwd=book.source / "chapters" if command.in_chapters else folder)
    run.out.mkdir()
    xdg = scratch / "xdg-cached" / book.name if command.key.endswith("-cached") else folder / "xdg"
    return folder, run, xdg


def run_once(command: Command, book: BookCase, scratch: Path) -> Sample:
    """One measured run, in a folder of its own that is removed afterwards."""
    folder, run, xdg = _prepare(command, book, scratch)
    wall, cpu, rss = measure(command.argv(book, run), run.cwd, {**environment(xdg), **dict(command.env)},
                             scratch / "last.log")
    made = sorted(run.out.glob(f"*.{command.output}"))
    if len(made) != 1:
        raise CommandFailed(f"{command.key} on the {book.name} book made {made}, not one .{command.output}")
    sample = Sample(round(wall, 4), round(cpu, 4), round(rss, 1),
                    page_count(made[0]) if command.output == "pdf" else None, made[0].stat().st_size)
    shutil.rmtree(folder)
    return sample


def tree_memory_once(command: Command, book: BookCase, scratch: Path) -> float:
    """One run that samples the memory of all its processes (MiB); its times are not kept."""
    folder, run, xdg = _prepare(command, book, scratch)
    pss = measure_tree_memory(command.argv(book, run), run.cwd, environment(xdg), scratch / "last.log")
    shutil.rmtree(folder)
    return round(pss, 1)


# --- preparing the code and the books ------------------------------------------------------------

_snapshot = ROOT  # replaced by take_snapshot(); ROOT until then


def take_snapshot(scratch: Path) -> str:
    """Copy builder/ into *scratch*/code; return a hash of the copied files."""
    global _snapshot
    target = scratch / "code"
    shutil.rmtree(target, ignore_errors=True)
    digest = hashlib.sha256()
    for part in SNAPSHOT_PARTS:
        shutil.copytree(ROOT / part, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        for path in sorted((target / part).rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(target).as_posix().encode() + b"\0" + path.read_bytes())
    # Compiled as an installed builder is (pip compiles at install): the warm-up round
    # cannot leave .pyc files where PYTHONDONTWRITEBYTECODE is set, as it is on our machines.
    compileall.compile_dir(target, quiet=1)
    # Its template too, as a first build on a machine that writes bytecode leaves it (render.CompiledBeside).
    subprocess.run([str(PYTHON), "-c", "from builder.render import compile_ahead; compile_ahead()"],
                   env={**os.environ, "PYTHONPATH": str(target)}, check=True)
    _snapshot = target
    return digest.hexdigest()[:16]



def prepare_book(name: str, source: Path, scratch: Path, rounds: int,
                 commands: Sequence[Command] = COMMANDS) -> BookCase:
    """Copies of *source* in the scratch folder: pristine, cache primed, print HTML
    (the last two only where one of *commands* reads them)."""
    home = scratch / name
    pristine = home / "source"
    if source != pristine:
        pristine.mkdir(parents=True)
        for part in REAL_BOOK_PARTS:
            if (source / part).exists():
                shutil.copytree(source / part, pristine / part)
    cached = home / "cached"
    shutil.copytree(pristine, cached)
    floor = home / "floor"
    keys = {command.key for command in commands}
    if keys & {"weasyprint", "weasyprint-ua"}:
        subprocess.run([str(PYTHON), str(BENCH / "print_html.py"), str(pristine), str(floor)],
                       check=True, capture_output=True, env=environment(home / "xdg"))
    if "ours-epub-cached" in keys:
        # One untimed build of both editions leaves the page map in the cached copy's cache
        # (an EPUB alone lays nothing out, so caches none).
        subprocess.run([str(PYTHON), "-m", "builder", "build", "--quiet", "--out", str(home / "primed"),
                        str(cached)], check=True, capture_output=True,
                       env=environment(scratch / "xdg-cached" / name))
    title = _book_title(pristine)
    return BookCase(name, title, pristine, cached, floor, rounds)


def _book_title(book_dir: Path) -> str:
    import tomllib

    with (book_dir / "book" / "book.toml").open("rb") as file:
        return str(tomllib.load(file)["title"])


def round_order(commands: Sequence[Command], index: int) -> list[Command]:
    """Rotated by one each round, and reversed every other round."""
    shift = index % len(commands)
    rotated = [*commands[shift:], *commands[:shift]]
    return rotated[::-1] if index % 2 else rotated


# --- the ratios and their targets ----------------------------------------------------------------

@dataclass(frozen=True)
class Ratio:
    name: str
    book: str
    value: float
    target: str  # e.g. "<= 1.10"
    ok: bool | None  # None: for information, no target


def ratios(summaries: dict[tuple[str, str], Summary]) -> list[Ratio]:
    def wall(book: str, key: str) -> float | None:
        found = summaries.get((book, key))
        return found.median("wall_s") if found else None

    def cpu(book: str, key: str) -> float | None:
        found = summaries.get((book, key))
        return found.median("cpu_s") if found else None

    def rss(book: str, key: str) -> float | None:
        found = summaries.get((book, key))
        return found.median("peak_rss_mib") if found else None

    def tree(book: str, key: str) -> float | None:
        found = summaries.get((book, key))
        return found.tree_pss_mib if found else None

    out: list[Ratio] = []

    def add(name: str, book: str, a: float | None, b: float | None, limit: float | None,
            strict: bool = False) -> None:
        if a is None or b is None or b == 0:
            return
        value = a / b
        ok = None if limit is None else (value < limit if strict else value <= limit)
        target = "" if limit is None else f"{'<' if strict else '<='} {limit:.2f}"
        out.append(Ratio(name, book, value, target, ok))

    # The targets the issue sets for "both books" apply to every book; those it
    # sets for the long book, to the long book only (the others are shown).
    for book in BOOK_NAMES:
        pdf = wall(book, "ours-pdf")
        add("ours PDF / bare WeasyPrint", book, pdf, wall(book, "weasyprint"), 1.10)
        # WeasyPrint as shipped (issue 16): the same kind of PDF, tagged PDF/UA-1, within 1.05 ×.
        add("ours PDF / bare WeasyPrint pdf/ua-1", book, pdf, wall(book, "weasyprint-ua"), 1.05)
        add("ours PDF, one layout (pass off) / bare WeasyPrint pdf/ua-1", book,
            wall(book, "ours-pdf-one-layout"), wall(book, "weasyprint-ua"), 1.05)
        add("ours PDF / Pandoc+WeasyPrint PDF", book, pdf, wall(book, "pandoc-pdf"), 1.0, True)
        # `make book` is one `build` call that makes both editions (the Makefile's grouped target).
        both = wall(book, "ours-both")
        add("make book (EPUB+PDF, one process) / bare WeasyPrint", book,
            both, wall(book, "weasyprint"), 1.20)
        add("make book / bare WeasyPrint pdf/ua-1", book, both, wall(book, "weasyprint-ua"), None)
        epub = wall(book, "ours-epub")
        epub_limit = 0.5 if book == "long" else None
        # Issue 19: `build --epub` never waits for a layout, so from scratch (nothing
        # cached: no Markdown, no page map) it is held to 0.5 x Pandoc on every book.
        add("ours EPUB from scratch / Pandoc EPUB", book, epub, wall(book, "pandoc-epub"), 0.5)
        add("CPU: ours EPUB from scratch / Pandoc EPUB", book, cpu(book, "ours-epub"),
            cpu(book, "pandoc-epub"), None)
        add("ours EPUB page map cached / Pandoc EPUB", book,
            wall(book, "ours-epub-cached"), wall(book, "pandoc-epub"), epub_limit)
        add("peak memory: ours PDF / bare WeasyPrint", book, rss(book, "ours-pdf"), rss(book, "weasyprint"),
            1.2 if book == "long" else None)
        add("peak memory: make book (EPUB+PDF) / bare WeasyPrint", book,
            rss(book, "ours-both"), rss(book, "weasyprint"), 1.2 if book == "long" else None)
        # Every process of the build at once: shown, with no target. The issue's
        # floor is one process's peak RSS, what /usr/bin/time reports (for a
        # tree, its largest process), and the target is read the same way; see
        # bench/README.md, "which memory the target means".
        add("all processes' memory: ours PDF / bare WeasyPrint", book,
            tree(book, "ours-pdf"), tree(book, "weasyprint"), None)
        add("all processes' memory: make book / bare WeasyPrint", book,
            tree(book, "ours-both"), tree(book, "weasyprint"), None)
        add("all processes' memory: Pandoc+WP / bare WeasyPrint", book,
            tree(book, "pandoc-pdf"), tree(book, "weasyprint"), None)
    add("ours EPUB from scratch: seconds, start-up included", "real", wall("real", "ours-epub"), 1.0, None)
    add("ours EPUB page map cached: seconds, start-up included", "real",
        wall("real", "ours-epub-cached"), 1.0, 0.5, True)
    for book in BOOK_NAMES:
        ours, pandoc = summaries.get((book, "ours-pdf")), summaries.get((book, "pandoc-pdf"))
        if ours and pandoc and ours.pages and pandoc.pages:
            add("time per page: ours PDF / Pandoc+WeasyPrint PDF", book,
                ours.median("wall_s") / ours.pages, pandoc.median("wall_s") / pandoc.pages, 1.05)
    real_pdf = summaries.get(("real", "ours-pdf"))
    for name in KINDS:
        other = summaries.get((name, "ours-pdf"))
        if other and real_pdf and other.pages and real_pdf.pages:
            # A long-book target; a page of highlighted code costs more than one of prose.
            add(f"ours PDF time per page, {name} / real", name,
                other.median("wall_s") / other.pages, real_pdf.median("wall_s") / real_pdf.pages,
                1.3 if name == "long" else None)
    return out


# --- reporting -----------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    def first_line(argv: list[str]) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
        except OSError:
            return "?"
        return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "?"

    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    memory = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.MULTILINE)
    os_release = Path("/etc/os-release").read_text() if Path("/etc/os-release").exists() else ""
    pretty = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', os_release, re.MULTILINE)
    dirty = first_line(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model[1].strip() if model else platform.processor() or "?",
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory[1]) / 1024**2, 1) if memory else None,
        "os": pretty[1] if pretty else platform.platform(),
        "python": first_line([str(PYTHON), "--version"]),
        "weasyprint": first_line([str(VENV_BIN / "weasyprint"), "--version"]),
        "pandoc": first_line(["pandoc", "--version"]),
        "builder": first_line([str(PYTHON), "-m", "builder", "--version"]),
        "commit": first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
                  + (" (with uncommitted changes)" if dirty not in ("?", "") else ""),
    }


def table(summaries: dict[tuple[str, str], Summary], found: list[Ratio], info: dict[str, Any],
          rounds: dict[str, int]) -> str:
    lines = [
        f"book-builder benchmark, {info['date']}: {info['cpu']}, {info['cores']} cores, "
        f"{info['memory_gib']} GiB, {info['os']}",
        f"{info['python']}, {info['weasyprint']}, {info['pandoc']}, {info['builder']}, "
        f"commit {info['commit']}",
        "rounds: " + ", ".join(f"{name} book {count}" for name, count in rounds.items()),
        "",
        f"{'command':<42} {'book':<9} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s':>7} "
        f"{'peak MiB':>9} {'all MiB':>8} {'pages':>6}",
    ]
    for summary in summaries.values():
        d = summary.as_dict()
        pages = "" if d["pages"] is None else str(d["pages"])
        tree = "" if summary.tree_pss_mib is None else f"{summary.tree_pss_mib:.0f}"
        lines.append(f"{summary.label:<42} {summary.book:<9} {d['median_s']:>9.2f} {d['min_s']:>7.2f} "
                     f"{d['max_s']:>7.2f} {d['median_cpu_s']:>7.2f} {d['median_peak_rss_mib']:>9.0f} "
                     f"{tree:>8} {pages:>6}")
    lines += ["", f"{'ratio (medians)':<56} {'book':<9} {'value':>7}  {'target':<8} result"]
    for ratio in found:
        verdict = "" if ratio.ok is None else ("ok" if ratio.ok else "FAIL")
        lines.append(f"{ratio.name:<56} {ratio.book:<9} {ratio.value:>7.2f}  {ratio.target:<8} {verdict}")
    return "\n".join(lines)


# --- the command line ----------------------------------------------------------------------------

def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    keys = [c.key for c in COMMANDS]
    parser = argparse.ArgumentParser(description="Time our EPUB and PDF against Pandoc and bare WeasyPrint.")
    parser.add_argument("--rounds-real", type=int, default=_env_int("BENCH_ROUNDS_REAL", 5),
                        help="rounds for the real book (env BENCH_ROUNDS_REAL, default 5)")
    parser.add_argument("--rounds-long", type=int, default=_env_int("BENCH_ROUNDS_LONG", 3),
                        help="rounds for the long book (env BENCH_ROUNDS_LONG, default 3)")
    parser.add_argument("--rounds-technical", type=int, default=_env_int("BENCH_ROUNDS_TECHNICAL", 2),
                        help="rounds for the technical book (env BENCH_ROUNDS_TECHNICAL, default 2)")
    parser.add_argument("--warmup", type=int, default=_env_int("BENCH_WARMUP", 1),
                        help="untimed rounds of the real book first (env BENCH_WARMUP, default 1)")
    parser.add_argument("--books", default=os.environ.get("BENCH_BOOKS", ",".join(BOOK_NAMES)),
                        help=f"comma-separated, of {', '.join(BOOK_NAMES)} (env BENCH_BOOKS, default all)")
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""),
                        help=f"comma-separated command keys (env BENCH_ONLY): {', '.join(keys)}")
    parser.add_argument("--real-book", type=Path, default=ROOT,
                        help="the real book's folder (default: the project)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the generated books' seed")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="scratch folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    parser.add_argument("--report", type=Path, default=None, metavar="JSON",
                        help="run nothing: print the table of a saved results file, with today's targets")
    args = parser.parse_args(argv)
    wanted = [k.strip() for k in args.only.split(",") if k.strip()]
    unknown = sorted(set(wanted) - set(keys))
    if unknown:
        parser.error(f"unknown command(s) {', '.join(unknown)}; known: {', '.join(keys)}")
    args.commands = [c for c in COMMANDS if not wanted or c.key in wanted]
    args.book_names = [b.strip() for b in args.books.split(",") if b.strip()]
    if not set(args.book_names) <= set(BOOK_NAMES) or not args.book_names:
        parser.error(f"--books takes one or more of {', '.join(BOOK_NAMES)}, comma-separated")
    args.book_names = [name for name in BOOK_NAMES if name in args.book_names]
    return args


def report(saved: Path) -> str:
    """The table of an earlier run, from its results file, with the ratios worked out again."""
    data = json.loads(saved.read_text(encoding="utf-8"))
    summaries = {}
    for result in data["results"]:
        summary = Summary(result["command"], result["label"], result["book"],
                          [Sample(**sample) for sample in result["samples"]],
                          result.get("tree_pss_peak_mib"))
        summaries[(summary.book, summary.command)] = summary
    return table(summaries, ratios(summaries), data["machine"], data["rounds"])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report:
        print(report(args.report))
        return 0
    if not PYTHON.exists():
        print(f"bench: no {PYTHON}; run `make book` once first", file=sys.stderr)
        return 2
    scratch = args.workdir or Path(tempfile.mkdtemp(prefix="book-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    snapshot = take_snapshot(scratch)
    info = machine()
    info["builder_sha256"] = snapshot
    try:
        books: list[BookCase] = []
        for name in args.book_names:
            log(f"preparing the {name} book in {scratch / name}")
            shutil.rmtree(scratch / name, ignore_errors=True)
            if name == "real":
                books.append(prepare_book("real", args.real_book.resolve(), scratch, args.rounds_real,
                                          args.commands))
            else:
                source = make_book(name, scratch / name / "source", seed=args.seed)
                books.append(prepare_book(name, source, scratch, getattr(args, f"rounds_{name}"),
                                          args.commands))
        summaries = {(b.name, c.key): Summary(c.key, c.label, b.name) for b in books for c in args.commands}
        warm = next((b for b in books if b.name == "real"), books[0])
        for index in range(args.warmup):
            for command in round_order(args.commands, index):
                log(f"warm-up {index + 1}/{args.warmup}: {command.key} ({warm.name} book)")
                run_once(command, warm, scratch)
        for index in range(max(b.rounds for b in books)):
            for book in books:
                if index >= book.rounds:
                    continue
                for command in round_order(args.commands, index):
                    sample = run_once(command, book, scratch)
                    summaries[(book.name, command.key)].samples.append(sample)
                    pages = f" {sample.pages} pages" if sample.pages else ""
                    log(f"{book.name} {index + 1}/{book.rounds}: {command.key:<17} {sample.wall_s:7.2f} s "
                        f"{sample.peak_rss_mib:6.0f} MiB{pages}")
        for book in books:
            for command in args.commands:
                if command.key in TREE_MEMORY_COMMANDS:
                    pss = tree_memory_once(command, book, scratch)
                    summaries[(book.name, command.key)].tree_pss_mib = pss
                    log(f"{book.name} all processes' memory: {command.key:<17} {pss:6.0f} MiB")
    except (CommandFailed, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.decode(errors="replace") if isinstance(exc, subprocess.CalledProcessError) else ""
        print(f"bench: failed: {exc}\n{detail}\nbench: scratch folder kept: {scratch}", file=sys.stderr)
        return 1
    found = ratios(summaries)
    print(table(summaries, found, info, {b.name: b.rounds for b in books}))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({
        "machine": info,
        "rounds": {b.name: b.rounds for b in books},
        "generated_books_seed": args.seed,
        "commands": {c.key: c.label for c in args.commands},
        "results": [s.as_dict() for s in summaries.values()],
        "ratios": [asdict(r) for r in found],
    }, indent=2) + "\n", encoding="utf-8")
    log(f"results written to {args.json}")
    if args.keep or args.workdir:
        log(f"scratch folder kept: {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def log(line: str) -> None:
    print(f"bench: {line}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
