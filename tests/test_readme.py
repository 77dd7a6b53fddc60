"""Every Python code block of the README runs as written (imports included)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import matplotlib
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"^([ \t]*)```python\n(.*?)^\1```", re.MULTILINE | re.DOTALL)


def python_blocks() -> list[tuple[int, str]]:
    """(line number, dedented source) of every ```python block, also those indented in lists."""
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, textwrap.dedent(m.group(2))) for m in _BLOCK.finditer(text)]


def test_the_readme_has_python_blocks():
    assert len(python_blocks()) >= 3


@pytest.mark.parametrize("line, source", python_blocks(), ids=lambda v: f"line-{v}" if isinstance(v, int) else "")
def test_readme_block_runs(line, source, monkeypatch, tmp_path):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    exec(compile(source, f"README.md:{line}", "exec"), {"__name__": f"readme_line_{line}"})
