"""The last step: bytes -> files in dist/, atomically.

In: an output folder and {file name: bytes}. Out: the files, each written to a
temporary file in the same folder, flushed to disk, then renamed over the old
one. A failure or Ctrl-C at any point leaves the old files as they were and no
temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from builder.errors import Location, OutputError


def write_atomically(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc.strerror}", Location(out_dir)) from exc
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in files.items():
            staged.append((_stage(out_dir, name, data), out_dir / name))
        for temporary, final in staged:
            os.replace(temporary, final)
    except OSError as exc:
        raise OutputError(
            f"cannot write {exc.filename or out_dir}: {exc.strerror}; nothing in it was changed",
            Location(out_dir),
        ) from exc
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    return [final for _, final in staged]


def _stage(out_dir: Path, name: str, data: bytes) -> Path:
    handle, temporary_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=out_dir)
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
