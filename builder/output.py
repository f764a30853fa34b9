"""The last step: bytes -> files in dist/, all or nothing.

In: an output folder and {file name: bytes}. Out: the files. Each is first
written in full to a temporary file in the same folder and flushed to disk;
then each old file is set aside and the new one renamed into place. If any
step fails (or Ctrl-C, or SIGTERM, comes), the files already replaced are put
back: the folder holds either every new file or every old one, and no
temporary file. Temporary files a killed build left behind are removed first.
Nothing is written through a symlink: an output folder that is one is refused,
and a symlink standing where a file goes is replaced, not followed.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from builder.errors import Location, OutputError

PART = ".part"
SET_ASIDE = ".old"


def write_atomically(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    _make_folder(out_dir)
    _remove_leftovers(out_dir, files)
    for name in files:
        if (out_dir / name).is_dir() and not (out_dir / name).is_symlink():
            raise OutputError(f"a folder stands where {name} goes; move it away; nothing in "
                              f"{out_dir} was changed", Location(out_dir / name))
    staged: list[tuple[Path, Path]] = []
    replaced: list[tuple[Path, Path | None]] = []  # (final, the old file set aside, if any)
    try:
        for name, data in files.items():
            staged.append((_stage(out_dir, name, data), out_dir / name))
        for temporary, final in staged:
            replaced.append((final, _set_aside(final)))
            os.replace(temporary, final)
    except BaseException as exc:
        _put_back(replaced)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {exc.filename or out_dir}: {exc.strerror}; nothing in it "
                              "was changed", Location(out_dir)) from exc
        raise
    finally:  # what was staged, even a file whose staging an interruption cut short
        _remove_leftovers(out_dir, files, (PART,))
    for _, old in replaced:
        if old is not None:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
    return [final for _, final in staged]


def _make_folder(out_dir: Path) -> None:
    if out_dir.is_symlink():
        raise OutputError("the output folder is a symlink; the builder writes only into a real folder "
                          "(remove the link, or name another folder with --out)", Location(out_dir))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc.strerror}", Location(out_dir)) from exc


def _remove_leftovers(out_dir: Path, files: dict[str, bytes],
                      kinds: tuple[str, ...] = (PART, SET_ASIDE)) -> None:
    """Temporary (and set-aside) files of these names: a killed build's, or this one's."""
    for name in files:
        for leftover in out_dir.glob(f".{name}.*"):
            if leftover.name.endswith(kinds) and stat.S_ISREG(os.lstat(leftover).st_mode):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()


def _stage(out_dir: Path, name: str, data: bytes) -> Path:
    handle, temporary_name = tempfile.mkstemp(prefix=f".{name}.", suffix=PART, dir=out_dir)
    temporary = Path(temporary_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    return temporary


def _set_aside(final: Path) -> Path | None:
    """Rename the old file (or symlink) out of the way; None if there is none."""
    if not os.path.lexists(final):
        return None
    aside = final.with_name(f".{final.name}.{os.getpid()}{SET_ASIDE}")
    os.replace(final, aside)
    return aside


def _put_back(replaced: list[tuple[Path, Path | None]]) -> None:
    for final, old in reversed(replaced):
        with contextlib.suppress(OSError):
            if old is not None:
                os.replace(old, final)
            elif os.path.lexists(final):
                final.unlink()
