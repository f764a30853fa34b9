"""Two stages at once: one in a forked child while the parent goes on.

In: a function of plain data and its arguments. Out: its result, made by a
child process (``os.fork``; the result comes back pickled through a pipe)
while the parent does other work, so a build uses both of a machine's cores
where two stages do not depend on each other: the Markdown is converted while
WeasyPrint is imported, and the page map and the EPUB are made while the PDF
is written. ``InTurn`` is the same for a list of items: the child sends each
result back as soon as it has made it (the later chapters' conversions, which
the parent drafts one by one while the child converts the next).

A child is only an optimisation. Where there is no fork, where the process has
other threads (forking them is unsafe), where the machine (or the container's
memory limit) has no room for a second copy of the process, or when
``BOOK_BUILDER_SERIAL`` is set, the function runs at once in the parent, as a
serial build would. (A child shares the parent's memory until either writes to
it, so at worst it copies all of it.)

If the child fails in any way (an error, a signal, a result that does not
pickle), the parent runs the function itself, so every error and its message
is exactly the one a serial build gives, with ``--debug``'s traceback from the
real place.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")
A = TypeVar("A")

_NOT_YET = object()


def can_fork() -> bool:
    return (hasattr(os, "fork") and threading.active_count() == 1
            and not os.environ.get("BOOK_BUILDER_SERIAL") and room_for_a_copy())


def room_for_a_copy(proc: Path = Path("/proc"), cgroup: Path = Path("/sys/fs/cgroup")) -> bool:
    """Whether the memory free to this process would hold all of it once more:
    the most a child could copy. What cannot be read counts as room."""
    resident = _resident_bytes(proc)
    free = [room for room in (_available_bytes(proc), _cgroup_room(proc, cgroup)) if room is not None]
    return resident is None or not free or min(free) >= resident


def _resident_bytes(proc: Path) -> int | None:
    try:
        pages = int((proc / "self" / "statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _available_bytes(proc: Path) -> int | None:
    kib = _number_after(proc / "meminfo", "MemAvailable:")
    return None if kib is None else kib * 1024


def _number_after(path: Path, key: str) -> int | None:
    """The number after *key* in a file of "key number [unit]" lines."""
    try:
        for line in path.read_text().splitlines():
            if line.split(maxsplit=1)[:1] == [key]:
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_room(proc: Path, cgroup: Path) -> int | None:
    """The room left under the tightest memory limit of this process's control
    group and the groups above it (cgroup v1's memory controller where there is
    one, else v2); the kernel can reclaim inactive file cache, so that counts as
    room."""
    rooms = [room for folder, files in _memory_groups(proc, cgroup)
             if (room := _room_in(folder, *files)) is not None]
    return min(rooms, default=None)


_V2 = ("memory.max", "memory.current", "inactive_file")
_V1 = ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")


def _memory_groups(proc: Path, cgroup: Path) -> list[tuple[Path, tuple[str, str, str]]]:
    """The group folders to read, own group first. The path in /proc/self/cgroup
    is the host's; inside a container's namespace it may not exist, and then the
    mounted root is the container's own group."""
    try:
        lines = (proc / "self" / "cgroup").read_text().splitlines()
    except OSError:
        lines = []
    groups = [line.split(":", 2) for line in lines if line.count(":") >= 2]
    for _, controllers, path in groups:
        if "memory" in controllers.split(","):  # v1, or v1's memory beside a v2 mount
            return [(folder, _V1) for folder in _up_to(cgroup / "memory", path)]
    for _, controllers, path in groups:
        if controllers == "" and (cgroup / "cgroup.controllers").is_file():
            return [(folder, _V2) for folder in _up_to(cgroup, path)]
    return [(cgroup, _V2), (cgroup / "memory", _V1)]


def _up_to(root: Path, path: str) -> list[Path]:
    own = root / path.strip("/")
    if not own.is_dir():
        return [root]
    return [own, *[folder for folder in own.parents if folder.is_relative_to(root)]]


def _room_in(folder: Path, limit: str, usage: str, cache: str) -> int | None:
    try:
        limit_bytes = int((folder / limit).read_text())
        used = int((folder / usage).read_text())
    except (OSError, ValueError):
        return None  # no such controller here, or no limit ("max")
    return limit_bytes - used + (_number_after(folder / "memory.stat", cache) or 0)


class Beside(Generic[T]):
    """``with Beside(fn, *args) as side: ...; value = side.result()``.

    Leaving the ``with`` block without taking the result stops the child."""

    def __init__(self, function: Callable[..., T], *args: Any) -> None:
        self.function = function
        self.args = args
        self.pid: int | None = None
        self.pipe: int | None = None
        self.value: Any = _NOT_YET
        self.forked = False
        if can_fork():
            self._start()
        else:
            self.value = function(*args)

    def _start(self) -> None:
        def send(write_end: int) -> None:
            data = pickle.dumps(self.function(*self.args), pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)

        self.pid, self.pipe = _fork_child(send)
        self.forked = True

    def result(self) -> T:
        if self.value is _NOT_YET:
            self.value = self._collect()
        return self.value  # type: ignore[no-any-return]

    def _collect(self) -> T:
        assert self.pipe is not None and self.pid is not None
        with os.fdopen(self.pipe, "rb") as pipe:
            self.pipe = None
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if status == 0:
            try:
                return pickle.loads(data)  # type: ignore[no-any-return]
            except Exception:
                pass
        return self.function(*self.args)

    def __enter__(self) -> Beside[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        _stop_child(self.pid, self.pipe)
        self.pid = self.pipe = None


def _fork_child(work: Callable[[int], None]) -> tuple[int, int]:
    """A forked child that runs *work* with the write end of a new pipe, then exits: 0 if
    it returned, 1 if it raised (it never returns into the caller's code). In the parent,
    the child's pid and the pipe's read end."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        status = 1
        try:
            work(write_end)
            status = 0
        except BaseException:
            pass
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _stop_child(pid: int | None, pipe: int | None) -> None:
    """The pipe closed, and the child killed (if it has not ended) and reaped."""
    if pipe is not None:
        os.close(pipe)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


_PLACE = struct.Struct("<QQ")  # where a result lies in InTurn's file: offset, length


class InTurn(Generic[A, T]):
    """``with InTurn(setup, items) as made: for value in made: ...``

    ``setup()`` gives a function; a forked child applies it to each of *items* in
    order and sends each result back as soon as it is made, so the parent can use
    one while the child makes the next. The results go into an unnamed temporary
    file and only their places through the pipe: a pipe alone would stall the child
    once its buffer is full while the parent is still busy with its own share. Where
    there is no child, or it fails, the parent makes what is missing itself (with
    one ``setup()`` of its own), so values and errors are a serial run's.
    Leaving the ``with`` block stops the child."""

    def __init__(self, setup: Callable[[], Callable[[A], T]], items: Sequence[A]) -> None:
        self.setup, self.items = setup, list(items)
        self.taken = 0
        self.pid: int | None = None
        self.pipe: int | None = None
        self.store: Any = None
        self.own: Callable[[A], T] | None = None
        self.forked = False
        if self.items and can_fork():
            self._start()

    def _start(self) -> None:
        store = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop(), when the items are taken)

        def send_each(write_end: int) -> None:
            function, offset = self.setup(), 0
            for item in self.items:
                data = pickle.dumps(function(item), pickle.HIGHEST_PROTOCOL)
                os.pwrite(store.fileno(), data, offset)
                os.write(write_end, _PLACE.pack(offset, len(data)))  # under PIPE_BUF: one piece
                offset += len(data)

        self.pid, self.pipe = _fork_child(send_each)
        self.store, self.forked = store, True

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self.taken == len(self.items):
            self.stop()
            raise StopIteration
        value = self._from_child() if self.pid is not None else _NOT_YET
        item = self.items[self.taken]
        self.taken += 1  # before making it here: an error on one item is that item's alone
        if value is _NOT_YET:
            self.stop()
            self.own = self.own or self.setup()
            value = self.own(item)
        return cast(T, value)

    def _from_child(self) -> Any:
        assert self.pipe is not None
        place = os.read(self.pipe, _PLACE.size)
        if len(place) != _PLACE.size:  # the child ended before this item: it failed
            return _NOT_YET
        offset, length = _PLACE.unpack(place)
        try:
            return pickle.loads(os.pread(self.store.fileno(), length, offset))
        except Exception:
            return _NOT_YET

    def __enter__(self) -> InTurn[A, T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        """The child stopped (it has ended, or is killed) and reaped; its file closed."""
        _stop_child(self.pid, self.pipe)
        self.pid = self.pipe = None
        if self.store is not None:
            self.store.close()
            self.store = None
