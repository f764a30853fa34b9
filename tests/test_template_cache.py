"""The compiled template is kept beside it, as Python keeps .pyc files: a build loads it
instead of compiling the template again, and a changed template is compiled anew."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment

from builder.render import CompiledBeside, environment


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    compiled: list[str] = []
    real = Environment.compile

    def recorded(self: Environment, source: str, name: str | None = None, *args: object,
                 **kw: object) -> object:
        compiled.append(str(name))
        return real(self, source, name, *args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(Environment, "compile", recorded)
    return compiled


def test_a_compiled_template_is_loaded_not_compiled_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "page.j2").write_text("<p>{{ text }}</p>")
    compiled = _compiles(monkeypatch)
    kept = tmp_path / "__pycache__"
    first = environment(tmp_path, CompiledBeside(kept, write=True)).get_template("page.j2")
    second = environment(tmp_path, CompiledBeside(kept, write=True)).get_template("page.j2")
    assert compiled == ["page.j2"], "the second environment loaded what the first compiled"
    assert first.render(text="a & b") == second.render(text="a & b") == "<p>a &amp; b</p>"
    (tmp_path / "page.j2").write_text("<div>{{ text }}</div>")
    changed = environment(tmp_path, CompiledBeside(kept, write=True)).get_template("page.j2")
    assert changed.render(text="x") == "<div>x</div>" and compiled == ["page.j2", "page.j2"]


def test_nothing_is_written_where_python_writes_no_bytecode(tmp_path: Path) -> None:
    (tmp_path / "page.j2").write_text("<p>{{ text }}</p>")
    environment(tmp_path, CompiledBeside(tmp_path / "__pycache__", write=False)).get_template("page.j2")
    assert not (tmp_path / "__pycache__").exists()


def test_a_folder_it_cannot_write_costs_only_the_compiling(tmp_path: Path) -> None:
    (tmp_path / "page.j2").write_text("<p>{{ text }}</p>")
    blocked = tmp_path / "__pycache__"
    blocked.write_text("a file where the folder would be")
    template = environment(tmp_path, CompiledBeside(blocked, write=True)).get_template("page.j2")
    assert template.render(text="x") == "<p>x</p>"
