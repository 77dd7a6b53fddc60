"""Writing reports never deletes or overwrites a file ebmcheck did not write (checks.report.write)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from ebmcheck.checks import registry
from ebmcheck.checks.cli import main
from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.report import write
from ebmcheck.checks.report.write import (
    MANIFEST,
    DestinationError,
    check_destination,
    install,
    is_report_folder,
    previously_written,
    write_reports,
)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _user_folder(path: Path) -> Path:
    (path / "sub").mkdir(parents=True)
    (path / "important.txt").write_text("mine\n")
    (path / "sub" / "data.csv").write_text("1,2\n")
    path.chmod(0o755)
    return path


def _staged(tmp_path: Path, files: dict[str, str]) -> Path:
    staging = tmp_path / "staging"
    for name, text in files.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_text(text)
    return staging


def test_a_non_empty_folder_that_is_not_a_report_folder_is_refused(tmp_path):
    folder = _user_folder(tmp_path / "mine")
    before = _tree(folder)
    with pytest.raises(DestinationError, match="not empty.*important.txt.*--force"):
        check_destination(folder)
    assert _tree(folder) == before


def test_force_adds_reports_beside_the_users_files_and_keeps_the_folder_mode(tmp_path):
    folder = _user_folder(tmp_path / "mine")
    check_destination(folder, force=True)
    install(_staged(tmp_path, {"index.md": "report\n", "claims/a.md": "a\n"}), folder)
    tree = _tree(folder)
    assert tree["important.txt"] == b"mine\n" and tree["sub/data.csv"] == b"1,2\n"
    assert tree["index.md"] == b"report\n" and tree["claims/a.md"] == b"a\n"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert is_report_folder(folder) and set(json.loads((folder / MANIFEST).read_text())["files"]) == {"index.md", "claims/a.md"}


def test_a_rerun_deletes_only_what_the_previous_run_wrote(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    install(_staged(tmp_path / "one", {"index.md": "1\n", "claims/old.md": "old\n"}), folder)
    (folder / "claims" / "notes.txt").write_text("a user's note\n")  # added by hand
    install(_staged(tmp_path / "two", {"index.md": "2\n", "claims/new.md": "new\n"}), folder)
    assert _tree(folder) == {"claims/new.md": b"new\n", "claims/notes.txt": b"a user's note\n", "index.md": b"2\n",
                             MANIFEST: (folder / MANIFEST).read_bytes()}


def test_an_unchanged_file_is_not_rewritten(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    install(_staged(tmp_path / "one", {"index.md": "same\n"}), folder)
    os.utime(folder / "index.md", (1_000_000, 1_000_000))
    os.utime(folder / MANIFEST, (1_000_000, 1_000_000))
    install(_staged(tmp_path / "two", {"index.md": "same\n"}), folder)
    assert (folder / "index.md").stat().st_mtime == 1_000_000
    assert (folder / MANIFEST).stat().st_mtime == 1_000_000


def test_a_legacy_report_folder_is_recognised_by_its_results_json(tmp_path):
    folder = tmp_path / "reports"
    (folder / "claims").mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({"provenance": {}, "claims": []}))
    (folder / "claims" / "x.md").write_text("x\n")
    (folder / "mine.txt").write_text("kept\n")
    assert is_report_folder(folder)
    assert previously_written(folder) == {"results.json", "claims/x.md"}
    check_destination(folder)  # no error, no --force needed
    (folder / "results.json").write_text("{not json")
    assert not is_report_folder(folder)


@pytest.mark.parametrize("bad", ["", "  "])
def test_an_empty_destination_is_refused(bad):
    with pytest.raises(DestinationError, match="empty"):
        check_destination(bad)


def test_a_file_or_an_unwritable_place_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DestinationError, match="not a folder"):
        check_destination(tmp_path / "file")
    with pytest.raises(DestinationError, match="cannot create"):
        check_destination(tmp_path / "file" / "below")
    missing = tmp_path / "new" / "deeper"
    found = check_destination(missing)
    assert found.created and missing.is_dir()


def test_a_manifest_cannot_make_ebmcheck_delete_outside_the_folder(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    (folder / MANIFEST).write_text(json.dumps({"files": ["../outside.txt", str(outside)]}))
    install(_staged(tmp_path, {"index.md": "x\n"}), folder)
    assert outside.read_text() == "precious\n"


# ---- through the command line: checked before any claim runs ---------------------------------------
@pytest.fixture
def no_claims(monkeypatch):
    """A run must never start: the registry is empty and running a claim fails the test."""
    monkeypatch.setattr(registry, "CLAIMS", ())

    def must_not_run(*args, **kwargs):
        raise AssertionError("the run started before the destination was checked")

    monkeypatch.setattr("ebmcheck.checks.cli.run_claims", must_not_run)


def test_cli_refuses_a_users_folder_before_running(tmp_path, no_claims):
    folder = _user_folder(tmp_path / "mine")
    before = _tree(folder)
    result = CliRunner().invoke(main, ["report", "--out", str(folder)])
    assert result.exit_code == 2 and "--force" in result.output
    assert _tree(folder) == before and stat.S_IMODE(folder.stat().st_mode) == 0o755


@pytest.mark.parametrize("where", ["/proc/ebmcheck-x", "{file}/below"])
def test_cli_rejects_an_unusable_out_before_running(tmp_path, no_claims, where):
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(main, ["report", "--out", where.format(file=tmp_path / "file")])
    assert result.exit_code == 2 and "error: --out" in result.output and "Traceback" not in result.output


def test_cli_refuses_the_current_directory_when_it_is_not_a_report_folder(tmp_path, no_claims, monkeypatch):
    _user_folder(tmp_path / "work")
    monkeypatch.chdir(tmp_path / "work")
    result = CliRunner().invoke(main, ["report", "--out", "."])
    assert result.exit_code == 2 and "is not empty" in result.output


def test_write_reports_keeps_the_users_files_with_force(tmp_path, monkeypatch):
    """End to end with a real (tiny) claim: the reports land beside the user's files."""
    from ebmcheck.checks.runner import run_claims
    from ebmcheck.checks.score_matching import CLAIMS

    folder = _user_folder(tmp_path / "mine")
    results = run_claims(CLAIMS[:1], progress=False, profile="quick", backend="numpy", seed=1)
    with pytest.raises(DestinationError):
        write_reports(results, folder, RunConfig(seed=1))
    write_reports(results, folder, RunConfig(seed=1), force=True)
    tree = _tree(folder)
    assert tree["important.txt"] == b"mine\n" and tree["sub/data.csv"] == b"1,2\n" and "index.html" in tree
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert not [p for p in folder.iterdir() if p.name.startswith(write._STAGING_PREFIX)]
