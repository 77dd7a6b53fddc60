"""Every registered claim as test items: its derivation, its checks, its verdict."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from ebmcheck.checks import anatomy
from ebmcheck.checks.anatomy import NEAR_CONTROL
from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.registry import CLAIMS, get_claim
from ebmcheck.checks.report.compare import compare_results
from ebmcheck.checks.runner import run_claim
from ebmcheck.theory.backend import Backend

_RESULTS = {}


def _run(claim, run_config):
    """The claim's result under the session's configuration, computed once per session."""
    key = (claim.id, run_config)
    if key not in _RESULTS:
        _RESULTS[key] = run_claim(claim, run_config)
    return _RESULTS[key]


@pytest.fixture(params=CLAIMS, ids=[claim.id for claim in CLAIMS])
def result(request, run_config):
    return _run(request.param, run_config)


def test_derivation_steps_are_checked(result):
    failed = [f"step {i + 1} ({r.step.justification}): {r.status} — {r.detail}" for i, r in enumerate(result.steps) if not r.ok]
    assert result.steps, "a claim needs a derivation"
    assert not failed, "\n".join(failed)


def test_checks_pass_and_controls_are_rejected(result):
    assert result.checks, "a claim needs numerical checks"
    problems = [
        f"{c.name}: z = {c.test.statistic:.2f} (threshold {c.threshold:.2f}), control '{c.control_label}' "
        f"z = {c.control.statistic:.3g}"
        for c in result.checks
        if not (c.passed and c.control_rejected)
    ]
    assert not problems, "\n".join(problems)


def test_verdict_is_the_recorded_one(result):
    assert result.verdict == result.claim.expected_verdict, result.reasons


def test_statistical_checks_state_their_power(result):
    """Every statistical check knows its resolution (a positive, finite standard error)."""
    weak = [c.name for c in result.checks if c.kind == "statistical" and not (math.isfinite(c.resolution) and c.resolution > 0)]
    assert not weak, f"statistical checks without a resolution: {weak}"


def test_claim_has_a_near_control(result):
    """A control far from the prediction proves nothing: at least one control of the claim's
    statistical checks lies within NEAR_CONTROL resolutions of the prediction."""
    statistical = [c for c in result.checks if c.kind == "statistical"]
    if not statistical:
        pytest.skip("numerical checks only: any plausible alternative sits ~1e9 error bounds away; "
                    "nearness in resolutions applies to statistical checks")
    nearest = min(statistical, key=lambda c: c.control_distance)
    assert nearest.control_distance <= NEAR_CONTROL, (
        f"nearest control '{nearest.control_label}' ({nearest.name}) is {nearest.control_distance:.3g} resolutions away")


def test_a_required_resolution_says_why():
    for claim in CLAIMS:
        if claim.required_resolution is not None:
            assert 0 < claim.required_resolution < 1 and claim.resolution_reason, claim.id


def test_run_claim_takes_a_configuration_or_its_fields():
    """``run_claim(claim, RunConfig(seed=1))`` and ``run_claim(claim, seed=1)`` are one run; the
    seed reaches the checks (another seed, other numbers)."""
    claim = get_claim("gaussian-score")
    by_config = run_claim(claim, RunConfig(seed=1)).to_json()
    assert by_config == run_claim(claim, seed=1).to_json()
    assert by_config["checks"] != run_claim(claim, seed=2).to_json()["checks"]


def test_every_claim_honours_the_backend_or_says_why_not():
    """A claim either runs its chains on --backend's arrays (the ULA topic) or names why it is host-only."""
    for claim in CLAIMS:
        if claim.topic == "ula":
            assert not claim.host_only, claim.id
        else:
            assert len(claim.host_only) > 40, f"{claim.id}: host-only without a reason"


def test_a_host_only_claim_runs_on_numpy_whatever_the_backend(monkeypatch):
    """The runner hands a host-only claim a numpy context even when the run asks for another backend."""
    seen = []
    claim = get_claim("hyvarinen-identity")
    fake = dataclasses.replace(claim, checks=lambda context: seen.append(context.config.backend) or [])
    monkeypatch.setattr("ebmcheck.checks.runner.checked_derivation", lambda c: ())
    run_claim(fake, RunConfig(backend="cupy"))
    assert seen == ["numpy"]


@pytest.mark.parametrize("claim", [c for c in CLAIMS if not c.host_only], ids=lambda c: c.id)
def test_a_claim_that_honours_the_backend_gives_the_same_numbers_on_array_api_strict(claim, run_config, monkeypatch):
    """The claim run on array-api-strict (the standard's reference namespace, standing in for cupy:
    nothing numpy-only may touch its arrays) records exactly the numbers of the numpy run. Its draws
    come from the same host generators (the shim draws on the host for a namespace without random),
    so any difference is a numpy-only path, not chance."""
    array_api_strict = pytest.importorskip("array_api_strict")
    expected = json.loads(json.dumps(_run(claim, run_config).to_json()))
    monkeypatch.setattr(anatomy, "get_backend", lambda name: Backend("array-api-strict", array_api_strict))
    strict = json.loads(json.dumps(run_claim(claim, run_config).to_json()))
    assert compare_results(expected, strict, 0.0, f"/{claim.id}") == []


def test_every_statement_not_encoded_says_why_and_names_real_claims():
    """A statement of a source that is not a claim carries its reason; "covered by <id>" names a registered claim."""
    import re
    from pathlib import Path

    from ebmcheck.checks.registry import NOT_ENCODED

    seeds = {path.name[:3] for path in (Path(__file__).resolve().parents[2] / "shared" / "seeds").glob("*.txt")}
    ids = {claim.id for claim in CLAIMS}
    for entry in NOT_ENCODED:
        where = f"{entry.source.seed_file}, {entry.source.location}"
        assert entry.source.location and entry.source.statement, where
        assert len(entry.reason) > 15, f"{where}: say why it is not a claim"
        assert not seeds or entry.source.seed_file in seeds, f"{where}: no seed file {entry.source.seed_file}"
        for named in re.findall(r"covered by (?:claim )?`?([a-z0-9]+(?:-[a-z0-9]+)+)", entry.reason):
            assert named in ids, f"{where}: 'covered by {named}' names no registered claim"
