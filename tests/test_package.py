"""The package installs anywhere: a wheel, installed into a fresh virtual
environment, builds a book from another folder with nothing of the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO
from tests.helpers import copy_book, epubcheck


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                            str(REPO)], capture_output=True, text=True, check=False, timeout=300)
    assert built.returncode == 0, built.stderr
    [found] = out.glob("book_builder-*.whl")
    return found


def test_the_wheel_holds_the_template_and_the_house_style(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("builder/templates/book.html.j2", "builder/styles/base.css", "builder/styles/epub.css",
                   "builder/styles/print.css", "builder/speed/forking.py", "builder/manuscript/chapter.py",
                   "builder/weasyprint_adapter.py"):
        assert needed in names, needed
    assert not any(name.startswith(("tests/", "styles/", "chapters/")) for name in names)


def test_an_installed_wheel_builds_a_book_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    """The dependencies come from this environment (a .pth file names its
    site-packages, whose own .pth files, the checkout's editable install among
    them, are not read); the builder itself only from the wheel."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    book = copy_book(FIXTURES / "small-book", tmp_path / "elsewhere" / "my-book")
    clean_env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    where = subprocess.run([str(python), "-c", "import builder; print(builder.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path, env=clean_env)
    assert Path(where.stdout.strip()).is_relative_to(site), "the builder came from the checkout"
    result = subprocess.run([str(python), "-m", "builder", "build", "my-book"], capture_output=True,
                            text=True, check=False, cwd=book.parent, env=clean_env, timeout=300)
    assert result.returncode == 0, result.stderr
    [epub] = (book / "dist").glob("*.epub")
    assert list((book / "dist").glob("*.pdf"))
    assert epubcheck(epub) == []
