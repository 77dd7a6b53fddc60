"""The command line as a user meets it: seeds from options and the environment, progress and a
summary in a log, exit codes in --help, `list` finding the last results, the dirty-tree guard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ebmcheck.checks import registry
from ebmcheck.checks.cli import main, parse_seeds
from ebmcheck.checks.report.provenance import CodeState
from ebmcheck.checks.score_matching import CLAIMS as SCORE_MATCHING

FAST = next(c for c in SCORE_MATCHING if c.id == "gaussian-score")


@pytest.fixture
def one_claim(monkeypatch):
    monkeypatch.setattr(registry, "CLAIMS", (FAST,))
    monkeypatch.setattr(registry, "_BY_ID", {FAST.id: FAST})


def _invoke(args, env=None):
    return CliRunner().invoke(main, args, env=env or {})


@pytest.mark.parametrize("text, expected", [("7", [7]), ("0-3", [0, 1, 2, 3]), (" 5 ", [5])])
def test_seeds_parse(text, expected):
    assert parse_seeds(text)[0] == expected


@pytest.mark.parametrize("bad", ["abc", "-1", "3-1", "1-x", ""])
def test_a_bad_seed_option_names_the_option(bad, one_claim):
    result = _invoke(["verify", "--seed", bad])
    assert result.exit_code == 2 and "--seed=" in result.output


@pytest.mark.parametrize("bad", ["abc", "3-1", "1.5"])
def test_a_bad_seed_variable_names_the_variable(bad, one_claim):
    result = _invoke(["verify"], env={"EBMCHECK_SEED": bad})
    assert result.exit_code == 2 and "$EBMCHECK_SEED=" in result.output and "--seed" not in result.output.split("Error:")[1]


def test_a_seed_range_from_the_variable_is_announced_as_a_sweep(one_claim):
    result = _invoke(["verify"], env={"EBMCHECK_SEED": "1-2"})
    assert result.exit_code == 0, result.output
    assert "seeds 1-2 (2-seed sweep) (from $EBMCHECK_SEED)" in result.output
    assert "2 seeds x 5 statistical checks: 0 failures in 10 runs" in result.output
    assert "claim verdicts that differ from the recorded one: 0 of 2 claim runs" in result.output


def test_report_refuses_a_seed_range_and_says_where_it_came_from(one_claim, tmp_path):
    result = _invoke(["report", "--out", str(tmp_path / "r")], env={"EBMCHECK_SEED": "1-3"})
    assert result.exit_code == 2 and "$EBMCHECK_SEED gives 3 seeds" in result.output
    assert not (tmp_path / "r").exists()


def test_a_large_sweep_says_how_long_it_will_take(one_claim, monkeypatch):
    monkeypatch.setattr("ebmcheck.checks.cli.LARGE_SWEEP", 2)
    result = _invoke(["verify", "--seed", "0-2"])
    assert result.exit_code == 0
    assert "note: 3 seeds x 1 claims" in result.output and "the sweep needs about" in result.output
    assert "sweep [3/3] seed 2: all 1 claims done" in result.output


def test_a_run_prints_one_line_per_claim_and_a_summary(one_claim):
    result = _invoke(["verify", "--seed", "3"])
    assert result.exit_code == 0
    assert "[1/1] gaussian-score: verified, 5 checks" in result.output
    assert "summary: 1 claims, 5 checks in" in result.output and "1 verified" in result.output


def test_the_summary_names_a_verdict_that_moved(one_claim, monkeypatch):
    import dataclasses

    moved = dataclasses.replace(FAST, expected_verdict="refuted")
    monkeypatch.setattr(registry, "CLAIMS", (moved,))
    monkeypatch.setattr(registry, "_BY_ID", {moved.id: moved})
    result = _invoke(["verify"])
    assert result.exit_code == 1
    assert "verdict differs from the recorded one: gaussian-score: verified (recorded refuted)" in result.output


def test_report_ends_with_where_to_look(one_claim, tmp_path):
    result = _invoke(["report", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert f"open {tmp_path / 'r' / 'index.html'}" in result.output


@pytest.mark.parametrize("command", ["verify", "report", "objectives", "list"])
def test_help_states_the_exit_codes(command):
    result = _invoke([command, "--help"])
    assert result.exit_code == 0 and "Exit codes: 0" in " ".join(result.output.split())


def test_list_reads_the_results_of_out_not_of_the_current_directory(tmp_path, monkeypatch):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps({"claims": [{"id": registry.CLAIMS[0].id, "verdict": "refuted"}]}))
    monkeypatch.chdir(tmp_path)
    result = _invoke(["list", "--out", str(folder)])
    assert result.exit_code == 0
    first = next(line for line in result.output.splitlines() if line.startswith(registry.CLAIMS[0].id))
    assert "last: refuted" in first


def test_list_defaults_to_the_repositorys_reports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no reports/ here
    result = _invoke(["list"])
    committed = Path(__file__).resolve().parents[1] / "reports" / "results.json"
    assert result.exit_code == 0
    assert f"last verdicts from: {committed}" in result.output


def test_list_verbose_names_the_code_of_a_claim_whose_id_is_not_its_topic():
    """``hyvarinen-identity`` lives in the topic score_matching: its parts come from the claim
    object, not from its id."""
    claim = registry.get_claim("hyvarinen-identity")
    result = _invoke(["list", "-v", claim.id])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if not line.startswith("last verdicts from")]
    assert lines[0].startswith(f"{claim.id} ") and len(lines) == 7  # one claim, its six detail lines
    assert "  topic:      score_matching" in lines
    assert "  derivation: ebmcheck.derivations.score_matching:hyvarinen_identity" in lines
    assert "  checks:     ebmcheck.checks.score_matching:hyvarinen_checks" in lines
    assert '  tests:      python -m pytest tests/test_claims.py -k "[hyvarinen-identity]"' in lines
    assert lines[-1].startswith("  backend:    host only (numpy whatever --backend): ")


def test_list_without_verbose_prints_one_line_per_claim_and_refuses_an_unknown_id():
    result = _invoke(["list", "gaussian-score", "ula-bias-order"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.splitlines() if not line.startswith("last verdicts from")]
    assert listed == ["gaussian-score", "ula-bias-order"]
    unknown = _invoke(["list", "-v", "hyvarinen"])
    assert unknown.exit_code == 2 and "unknown claim id 'hyvarinen'; closest: hyvarinen-identity" in unknown.output


def test_report_into_the_repositorys_reports_needs_a_clean_tree(one_claim, monkeypatch):
    """Reports that name a commit must have been produced by it: a dirty tree is refused there."""
    monkeypatch.setattr("ebmcheck.checks.report.provenance.code_state", lambda: CodeState("abc1234", ("theory/models.py",)))

    def must_not_run(*args, **kwargs):
        raise AssertionError("the run started on a dirty tree")

    monkeypatch.setattr("ebmcheck.checks.cli.run_claims", must_not_run)
    reports = Path(__file__).resolve().parents[1] / "reports"
    result = _invoke(["report", "--out", str(reports)])
    assert result.exit_code == 2 and "uncommitted changes (theory/models.py)" in result.output and "--allow-dirty" in result.output
