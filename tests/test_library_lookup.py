"""WeasyPrint's native libraries, found without running gcc and ld: the same
answers as ctypes' own lookup, the same libraries loaded, and the standard
lookup again if the quick one ever fails."""

from __future__ import annotations

import ctypes.util
import json
import subprocess
import sys

import pytest

from builder.speed.library_lookup import finder_from, loader_cache_listing
from tests.conftest import REPO

linux_only = pytest.mark.skipif(not loader_cache_listing(),
                                reason="no loader cache (`ldconfig -p`): not glibc Linux")

# Run in a fresh interpreter: WeasyPrint is imported once per process.
_REPORT = """
import json, subprocess, sys
started = []
original = subprocess.Popen.__init__
def recording(self, args, *rest, **kwargs):
    started.append(str(args[0] if isinstance(args, (list, tuple)) else args))
    original(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = recording
{how}
libraries = sorted({{line.split()[-1] for line in open("/proc/self/maps") if ".so" in line}})
print(json.dumps({{"started": started, "libraries": libraries, "loaded": "weasyprint" in sys.modules}}))
"""


def _report(how: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _REPORT.format(how=how)], cwd=REPO,
                          capture_output=True, text=True, check=True)
    report: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return report


@linux_only
def test_the_quick_finder_gives_ctypes_answers() -> None:
    find_quickly = finder_from(loader_cache_listing())
    names = ["gobject-2.0", "pango-1.0", "harfbuzz", "fontconfig", "pangoft2-1.0", "c", "m",
             "libgobject-2.0-0", "gobject-2.0-0", "no-such-library-here"]
    standard = ctypes.util._findSoname_ldconfig  # type: ignore[attr-defined]
    assert [find_quickly(name) for name in names] == [standard(name) for name in names]
    assert find_quickly("pango-1.0") is not None


@linux_only
def test_the_layout_stage_loads_the_same_libraries_without_gcc_or_ld() -> None:
    quick = _report("import builder.layout")
    standard = _report("import weasyprint")
    assert quick["loaded"] and standard["loaded"]
    assert quick["libraries"] == standard["libraries"]
    assert quick["started"] == ["/sbin/ldconfig"], "one reading of the loader cache, nothing else"
    assert len(standard["started"]) > 10  # type: ignore[arg-type]  # what it saves


@linux_only
def test_a_failed_quick_import_is_made_again_the_standard_way() -> None:
    how = """
import ctypes.util, importlib.abc
standard = ctypes.util.find_library
class FailOnce(importlib.abc.MetaPathFinder):
    tried = False
    def find_spec(self, name, path, target=None):
        if name == "weasyprint" and not FailOnce.tried:
            FailOnce.tried = True
            assert ctypes.util.find_library is not standard
            print("WeasyPrint could not import some external libraries")
            raise OSError("cannot load library")
sys.meta_path.insert(0, FailOnce())
from builder.speed.library_lookup import import_weasyprint
import_weasyprint()
assert FailOnce.tried and ctypes.util.find_library is standard
"""
    report = _report(how)
    assert report["loaded"]
    assert "/sbin/ldconfig" in report["started"]  # type: ignore[operator]


def test_nothing_is_looked_up_once_weasyprint_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    import builder.pdf  # noqa: F401  (WeasyPrint is in this process now)
    from builder.speed import library_lookup as native

    def no_second_lookup() -> bytes:
        raise AssertionError("the loader cache was read again")

    monkeypatch.setattr(native, "loader_cache_listing", no_second_lookup)
    native.import_weasyprint()
    assert "weasyprint" in sys.modules
