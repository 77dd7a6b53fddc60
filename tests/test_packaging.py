"""The install exposes one namespace, ebmcheck, and nothing with a generic name."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("theory", "derivations", "checks")


def test_every_package_folder_is_installed_under_ebmcheck():
    """pyproject's explicit package list names every folder that is a package, and only those."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == {"ebmcheck": "."}
    folders = {
        "ebmcheck." + ".".join(init.parent.relative_to(ROOT).parts)
        for top in FOLDERS for init in (ROOT / top).rglob("__init__.py")
    }
    assert set(config["packages"]) == {"ebmcheck"} | folders


def test_import_from_outside_the_repository(tmp_path):
    """From another directory, ebmcheck.theory imports from this checkout and `theory` is not ours."""
    probe = (
        "import importlib.util, ebmcheck.theory.models, ebmcheck.checks.cli, ebmcheck.derivations.ula\n"
        "print(ebmcheck.theory.models.__file__)\n"
        "for name in ('theory', 'checks', 'derivations'):\n"
        "    spec = importlib.util.find_spec(name)\n"
        "    print(name, spec.origin if spec else None)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert Path(lines[0]).resolve() == ROOT / "theory" / "models.py"
    for line in lines[1:]:
        name, origin = line.split(" ", 1)
        assert origin == "None" or not Path(origin).resolve().is_relative_to(ROOT), f"`import {name}` finds {origin}"
