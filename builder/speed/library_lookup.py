"""Importing WeasyPrint without running gcc: its native libraries, found sooner.

In: nothing (call ``import_weasyprint()`` before the first WeasyPrint import).
Out: WeasyPrint imported, with the same Pango, HarfBuzz, fontconfig and GObject
libraries loaded.

WeasyPrint tries each library under its Windows and macOS names before the
Linux one ("libgobject-2.0-0", "gobject-2.0-0", then "gobject-2.0", ...). For
every name that does not load, cffi asks ``ctypes.util.find_library``, which on
Linux runs ``ldconfig -p``, then gcc, then ld: 54 processes and about 0.25 s of
each import, spent on names that are not there (WeasyPrint issue #1125). While
WeasyPrint is imported, find_library is answered from one reading of
``ldconfig -p``, exactly as its own first step answers it; a name the loader
cache does not list is not looked for with gcc and ld. Should WeasyPrint then
fail to load a library, the import is made again with the standard lookup, so
a library that only gcc or ld can find still loads.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import io
import os
import re
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator

# ctypes.util's table: the ABI tag ldconfig prints for this machine's libraries.
_ABI_TAGS = {
    "x86_64-64": "libc6,x86-64",
    "ppc64-64": "libc6,64bit",
    "sparc64-64": "libc6,64bit",
    "s390x-64": "libc6,64bit",
    "ia64-64": "libc6,IA-64",
}


def loader_cache_listing() -> bytes:
    """What ``ldconfig -p`` prints (b"" where there is none: not Linux, no ldconfig)."""
    if not sys.platform.startswith("linux"):
        return b""
    try:
        return subprocess.run(["/sbin/ldconfig", "-p"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              env={"LC_ALL": "C", "LANG": "C"}, check=False).stdout
    except OSError:
        return b""


def finder_from(listing: bytes) -> Callable[[str], str | None]:
    """find_library's ldconfig step (the same pattern, the same answer), on *listing*."""
    bits = "-32" if struct.calcsize("l") == 4 else "-64"
    abi = _ABI_TAGS.get(os.uname().machine + bits, "libc6")

    def find_library(name: str) -> str | None:
        pattern = os.fsencode(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({abi}")
        found = re.search(pattern, listing)
        return os.fsdecode(found.group(1)) if found else None
    return find_library


@contextlib.contextmanager
def _library_lookup(find_library: Callable[[str], str | None]) -> Iterator[None]:
    standard = ctypes.util.find_library
    ctypes.util.find_library = find_library  # type: ignore[assignment]
    try:
        yield
    finally:
        ctypes.util.find_library = standard


def import_weasyprint() -> None:
    if "weasyprint" in sys.modules:
        return
    listing = loader_cache_listing()
    if listing:
        try:
            # WeasyPrint prints its installation advice when a library is missing;
            # that is for the standard attempt below to say, if it fails too.
            with _library_lookup(finder_from(listing)), contextlib.redirect_stdout(io.StringIO()):
                import weasyprint
            return
        except OSError:
            for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
                del sys.modules[name]
    import weasyprint  # noqa: F401
