"""The ``ebmcheck`` command line: list, verify, report, objectives.

Exit codes: 0 all verdicts as recorded; 1 a verdict differs from its recorded expected verdict
(or ``report --check`` found a difference); 2 usage error (unknown claim id, bad option);
3 the requested backend is unavailable.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

import click
from tqdm import tqdm

from checks import registry
from checks.anatomy import PROFILES
from checks.runner import DEFAULT_SEED, run_claims
from theory.backend import BACKENDS, BackendUnavailable, get_backend

SEED_HELP = "root seed S, or a range A-B for a false-alarm sweep (default: $EBMCHECK_SEED or %d)" % DEFAULT_SEED


def parse_seeds(text: str | None) -> list[int]:
    """'7' -> [7]; '0-99' -> [0, ..., 99]."""
    text = text if text is not None else os.environ.get("EBMCHECK_SEED", str(DEFAULT_SEED))
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-", 1))
            if first < 0 or last < first:
                raise ValueError
            return list(range(first, last + 1))
        seed = int(text)
        if seed < 0:
            raise ValueError
        return [seed]
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected a non-negative integer or a range A-B with A <= B", param_hint="--seed") from None


def _select(claim_ids: tuple[str, ...]):
    unknown = [cid for cid in claim_ids if cid not in {c.id for c in registry.CLAIMS}]
    if unknown:
        for cid in unknown:
            click.echo(f"error: unknown claim id {cid!r}; closest: {', '.join(registry.closest_ids(cid))}", err=True)
        sys.exit(2)
    return [registry.get_claim(cid) for cid in claim_ids] if claim_ids else list(registry.CLAIMS)


def _require_backend(name: str) -> None:
    try:
        get_backend(name)
    except BackendUnavailable as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(3)


profile_option = click.option("--profile", type=click.Choice(PROFILES), default="quick", show_default=True)
backend_option = click.option("--backend", type=click.Choice(BACKENDS), default="numpy", show_default=True)


@click.group()
@click.version_option(package_name="ebmcheck")
def main() -> None:
    """Verify the analytical theory of training energy-based models."""


@main.command("list")
def list_claims() -> None:
    """List the claims, their sources and their recorded verdicts."""
    last = _last_verdicts(Path("reports/results.json"))
    for claim in registry.CLAIMS:
        sources = ", ".join(f"seed {s.seed_file} {s.location}" for s in claim.sources)
        click.echo(f"{claim.id:34s} {claim.expected_verdict:26s} last: {last.get(claim.id, '-'):26s} {sources}")


@main.command()
@click.argument("claim_ids", nargs=-1)
@profile_option
@backend_option
@click.option("--seed", "seed_text", help=SEED_HELP)
@click.option("--json", "as_json", is_flag=True, help="print one JSON document on stdout")
def verify(claim_ids, profile, backend, seed_text, as_json) -> None:
    """Verify claims (all by default); exit 1 when a verdict differs from the recorded one."""
    claims = _select(claim_ids)
    _require_backend(backend)
    seeds = parse_seeds(seed_text)
    click.echo(f"ebmcheck verify: seed {seed_text or seeds[0]}, profile {profile}, backend {backend}", err=True)
    if len(seeds) > 1:
        sys.exit(_sweep(claims, seeds, profile, backend))
    results = run_claims(claims, profile=profile, backend=backend, seed=seeds[0])
    mismatched = [r for r in results if r.verdict != r.claim.expected_verdict]
    if as_json:
        document = {"seed": seeds[0], "profile": profile, "backend": backend, "claims": [r.to_json() for r in results]}
        click.echo(json.dumps(document, indent=2))
    else:
        for result in results:
            _print_result(result)
    sys.exit(1 if mismatched else 0)


def _print_result(result) -> None:
    claim = result.claim
    mark = "ok" if result.verdict == claim.expected_verdict else "MISMATCH"
    click.echo(f"{claim.id}: {result.verdict} (expected {claim.expected_verdict}) [{mark}] {result.seconds:.1f}s")
    steps_ok = sum(r.ok for r in result.steps)
    click.echo(f"  derivation: {steps_ok}/{len(result.steps)} steps checked")
    for check in result.checks:
        status = "pass" if check.passed else "FAIL"
        control = "rejected" if check.control_rejected else "NOT REJECTED"
        click.echo(
            f"  {status} {check.name}: z = {check.test.statistic:+.2f} (|z| <= {check.threshold:.2f}); "
            f"control z = {check.control.statistic:+.3g} {control}"
        )
    for reason in result.reasons:
        click.echo(f"  ! {reason}")


def _sweep(claims, seeds, profile, backend) -> int:
    """Run every seed and report how often each check's correct prediction was rejected."""
    from checks.anatomy import ALPHA

    false_alarms, controls_survived, totals = Counter(), Counter(), Counter()
    for seed in seeds:
        for result in run_claims(claims, profile=profile, backend=backend, seed=seed):
            for check in result.checks:
                key = f"{result.claim.id} / {check.name}"
                totals[key] += 1
                false_alarms[key] += not check.passed
                controls_survived[key] += not check.control_rejected
    num_checks = sum(totals.values())
    rate = sum(false_alarms.values()) / num_checks
    click.echo(f"{len(seeds)} seeds x {len(totals)} checks: false-alarm rate {rate:.2e} (nominal alpha {ALPHA:.0e})")
    click.echo(f"negative controls that survived: {sum(controls_survived.values())} of {num_checks}")
    for key in sorted(totals):
        if false_alarms[key] or controls_survived[key]:
            click.echo(f"  {key}: {false_alarms[key]} false alarms, {controls_survived[key]} surviving controls")
    return 0


@main.command()
@profile_option
@click.option("--seed", "seed_text", help=SEED_HELP)
def objectives(profile, seed_text) -> None:
    """Property-test the built-in objectives (checks.properties) over seeds: the harness's false-alarm rate."""
    from checks.properties import sweep
    from theory.objectives import built_in_objectives

    seeds = parse_seeds(seed_text)
    click.echo(f"ebmcheck objectives: seeds {seeds[0]}..{seeds[-1]}, profile {profile}", err=True)
    tally = sweep(built_in_objectives(), tqdm(seeds, desc="seeds", unit="seed", file=sys.stderr), profile)
    runs = sum(r for r, _, _ in tally.values())
    failures = sum(f for _, f, _ in tally.values())
    click.echo(f"{len(seeds)} seeds: {failures} failed property runs of {runs} (every objective is correct: each is a false alarm)")
    for (name, prop), (count, failed, first) in sorted(tally.items()):
        click.echo(f"  {name} :: {prop}: {failed}/{count}" + (f"  first: {first.splitlines()[0]}" if failed else ""))
    sys.exit(1 if failures else 0)


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True)
@profile_option
@backend_option
@click.option("--seed", "seed_text", help="root seed (default: $EBMCHECK_SEED or %d)" % DEFAULT_SEED)
@click.option("--check", "check_only", is_flag=True, help="regenerate and compare with OUT/results.json; write nothing")
@click.option(
    "--rtol", type=click.FloatRange(min=0.0), default=None,
    help="tolerance of --check, as a fraction of each number's statistical resolution "
    "(default: 0, exact, when results.json was written on this platform; 0.01 otherwise)",
)
def report(out, profile, backend, seed_text, check_only, rtol) -> None:
    """Verify every claim and write the reports (Markdown, HTML, figures, results.json)."""
    from checks.report import compare_documents, results_document, write_reports

    _require_backend(backend)
    seeds = parse_seeds(seed_text)
    if len(seeds) != 1:
        raise click.BadParameter("a report is written for one seed", param_hint="--seed")
    click.echo(f"ebmcheck report: seed {seeds[0]}, profile {profile}, backend {backend} -> {out}", err=True)
    if check_only:
        committed = out / "results.json"
        if not committed.exists():
            click.echo(f"error: {committed} does not exist", err=True)
            sys.exit(2)
    results = run_claims(registry.CLAIMS, profile=profile, backend=backend, seed=seeds[0])
    if check_only:
        fresh = json.loads(json.dumps(results_document(results, profile, backend, seeds[0])))
        try:
            recorded = json.loads(committed.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            click.echo(f"error: cannot read {committed}: {error}", err=True)
            sys.exit(2)
        comparison = compare_documents(recorded, fresh, rtol)
        for note in comparison.platform_notes[:20]:
            click.echo(f"note: platform differs: {note}", err=True)
        for line in comparison.differences[:50]:
            click.echo(line)
        if len(comparison.differences) > 50:
            click.echo(f"... and {len(comparison.differences) - 50} more differences")
        verdict = "reproduced" if comparison.reproduced else f"{len(comparison.differences)} differences"
        click.echo(f"{committed}: {verdict} ({comparison.describe()})", err=True)
        sys.exit(0 if comparison.reproduced else 1)
    summary = write_reports(results, out, profile=profile, backend=backend, seed=seeds[0])
    for latex, why in summary.math_failures:
        click.echo(f"warning: LaTeX shown as source, not MathML ({why}): {latex[:100]}", err=True)
    mismatched = [r.claim.id for r in results if r.verdict != r.claim.expected_verdict]
    for claim_id in mismatched:
        click.echo(f"verdict differs from the recorded one: {claim_id}", err=True)
    click.echo(
        f"wrote {out}/index.md, index.html, errata, {len(results)} claim pages (Markdown + HTML), "
        f"{summary.figures} figures; {summary.math_converted} formulas as MathML, {len(summary.math_failures)} not converted",
        err=True,
    )
    sys.exit(1 if mismatched else 0)


def _last_verdicts(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    document = json.loads(path.read_text())
    return {claim["id"]: claim["verdict"] for claim in document.get("claims", [])}
