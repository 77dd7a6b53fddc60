"""The committed reports/ name the commit that produced them, from a clean tree, and hold nothing
that changes when a re-run changes nothing (no run times)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"


def _git(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


def _named_commits() -> set[str]:
    commits = set()
    for page in [REPORTS / "index.md", *sorted((REPORTS / "claims").glob("*.md"))]:
        commits |= set(re.findall(r"commit ([0-9a-f]{7,40}[^|\n]*)", page.read_text(encoding="utf-8")))
    return commits


@pytest.mark.skipif(_git("rev-parse", "--git-dir").returncode != 0, reason="not a git checkout")
def test_committed_reports_name_one_existing_commit_of_a_clean_tree():
    commits = _named_commits()
    assert len(commits) == 1, f"the pages name several commits: {sorted(commits)}"
    (named,) = commits
    assert "uncommitted" not in named, f"the reports were written from a dirty tree: commit {named}"
    if _git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        pytest.skip("shallow clone: the history that holds the commit is not here")
    assert _git("cat-file", "-e", f"{named.strip()}^{{commit}}").returncode == 0, f"commit {named} does not exist"
    from ebmcheck.checks.report.provenance import CODE_PATHS

    last_code_change = _git("log", "-1", "--format=%H", "--", *CODE_PATHS).stdout.strip()
    assert _git("rev-parse", named.strip()).stdout.strip() == last_code_change, (
        f"the reports were produced by commit {named}, but the code last changed in {last_code_change[:7]}: "
        "regenerate them (ebmcheck report) and commit")


def test_committed_pages_hold_no_run_time():
    for page in [*REPORTS.glob("*.md"), *REPORTS.glob("*.html"), *(REPORTS / "claims").iterdir()]:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"[Rr]un time", text), f"{page.name} holds a run time: a re-run would change it"
