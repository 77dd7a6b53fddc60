"""The ``ebmcheck`` command line: list, verify, report, objectives.

Exit codes (every subcommand): 0 success, every verdict as recorded; 1 a verdict differs from its
recorded expected verdict (``verify``, ``report``), ``report --check`` found a difference, or
``objectives`` saw a failed property; 2 usage error (unknown claim id, bad option or seed, an
unusable ``--out`` folder, a dirty tree for the repository's reports); 3 the requested backend
is unavailable.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import click
from tqdm import tqdm

from ebmcheck.checks import registry
from ebmcheck.checks.anatomy import PROFILES
from ebmcheck.checks.config import DEFAULT_SEED, RunConfig
from ebmcheck.checks.runner import run_claims
from ebmcheck.theory.backend import BACKENDS, BackendUnavailable, get_backend

SEED_VARIABLE = "EBMCHECK_SEED"
SEED_HELP = f"root seed S, or a range A-B for a false-alarm sweep (default: ${SEED_VARIABLE} or {DEFAULT_SEED})"
EXIT_CODES = (
    "Exit codes: 0 every verdict as recorded; 1 a verdict differs from the recorded one{extra}; "
    "2 usage error (unknown claim id, bad option, seed or folder); 3 backend unavailable."
)
LARGE_SWEEP = 20  # seeds: above this, a sweep says up front how long it will take


def parse_seeds(text: str | None) -> tuple[list[int], str]:
    """The seeds to run and where they came from: '7' -> [7]; '0-99' -> [0, ..., 99].

    Without ``text`` the seed comes from ``$EBMCHECK_SEED``, else the default; an error names
    the option or the variable that held the bad value."""
    origin = "--seed"
    if text is None:
        if os.environ.get(SEED_VARIABLE, "").strip():
            text, origin = os.environ[SEED_VARIABLE].strip(), f"${SEED_VARIABLE}"
        else:
            return [DEFAULT_SEED], "default"
    try:
        if "-" in text.strip()[1:]:
            first, last = (int(part) for part in text.split("-", 1))
        else:
            first = last = int(text)
        if first < 0 or last < first:
            raise ValueError
    except ValueError:
        raise click.UsageError(
            f"{origin}={text!r}: expected a non-negative integer seed (e.g. 7) or a range A-B with 0 <= A <= B (e.g. 0-99)"
        ) from None
    return list(range(first, last + 1)), origin


def _describe_seeds(seeds: list[int], origin: str) -> str:
    where = f" (from {origin})" if origin.startswith("$") else ""
    if len(seeds) == 1:
        return f"seed {seeds[0]}{where}"
    return f"seeds {seeds[0]}-{seeds[-1]} ({len(seeds)}-seed sweep){where}"


def _select(claim_ids: tuple[str, ...]):
    unknown = [cid for cid in claim_ids if cid not in {c.id for c in registry.CLAIMS}]
    if unknown:
        for cid in unknown:
            click.echo(f"error: unknown claim id {cid!r}; closest: {', '.join(registry.closest_ids(cid))}", err=True)
        sys.exit(2)
    return [registry.get_claim(cid) for cid in claim_ids] if claim_ids else list(registry.CLAIMS)


def _require_backend(name: str, claims=()) -> None:
    """Exit 3 when the backend cannot run; say which of ``claims`` will run on the host anyway."""
    try:
        get_backend(name)
    except BackendUnavailable as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(3)
    host = [claim.id for claim in claims if claim.host_only]
    if name != "numpy" and host:
        click.echo(f"note: {len(host)} of {len(claims)} claims run on the host (numpy) whatever --backend "
                   f"(each page says why): {', '.join(host)}", err=True)


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


profile_option = click.option("--profile", type=click.Choice(PROFILES), default="quick", show_default=True)
backend_option = click.option("--backend", type=click.Choice(BACKENDS), default="numpy", show_default=True)
jobs_option = click.option("-j", "--jobs", type=click.IntRange(min=0), default=1, show_default=True,
                           help="worker processes for the claims' numerical checks (0: one per core); the numbers "
                                "do not depend on it")


@click.group(epilog=EXIT_CODES.format(extra=", a report --check difference or a failed objective property"))
@click.version_option(package_name="ebmcheck")
def main() -> None:
    """Verify the analytical theory of training energy-based models."""


def _default_results() -> Path | None:
    from ebmcheck.checks.report.provenance import repository_reports

    folder = repository_reports()
    return folder / "results.json" if folder is not None and (folder / "results.json").is_file() else None


@main.command("list", epilog="Exit codes: 0 success; 2 an unknown claim id or a bad option.")
@click.argument("claim_ids", nargs=-1)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="report folder whose results.json holds the last verdicts (default: the repository's reports/)")
@click.option("-v", "--verbose", is_flag=True,
              help="also name each claim's code: topic, derivation and check functions, and the pytest line of its tests")
def list_claims(claim_ids, out, verbose) -> None:
    """List the claims (all by default), their sources, recorded verdicts and the last reported verdicts."""
    from ebmcheck.checks.report.mathtext import plain_text
    from ebmcheck.checks.report.parts import claim_parts

    claims = _select(claim_ids)
    path = (out / "results.json") if out is not None else _default_results()
    last = _last_verdicts(path) if path is not None else {}
    click.echo(f"last verdicts from: {path if path is not None and path.is_file() else 'none (run ebmcheck report)'}", err=True)
    for claim in claims:
        sources = ", ".join(f"seed {s.seed_file} {s.location}" for s in claim.sources)
        click.echo(f"{claim.id:34s} {claim.expected_verdict:26s} last: {last.get(claim.id, '-'):26s} {sources}")
        if verbose:
            parts = claim_parts(claim)
            for label, value in (("title", plain_text(claim.title)), ("topic", parts.topic), ("derivation", parts.derivation),
                                 ("checks", parts.checks), ("tests", parts.tests),
                                 ("backend", parts.backend)):
                click.echo(f"  {label + ':':12s}{value}")


@main.command(epilog=EXIT_CODES.format(extra=""))
@click.argument("claim_ids", nargs=-1)
@profile_option
@backend_option
@click.option("--seed", "seed_text", help=SEED_HELP)
@click.option("--json", "as_json", is_flag=True, help="print one JSON document on stdout")
@jobs_option
def verify(claim_ids, profile, backend, seed_text, as_json, jobs) -> None:
    """Verify claims (all by default); exit 1 when a verdict differs from the recorded one."""
    claims = _select(claim_ids)
    _require_backend(backend, claims)
    seeds, origin = parse_seeds(seed_text)
    click.echo(f"ebmcheck verify: {_describe_seeds(seeds, origin)}, profile {profile}, backend {backend}, "
               f"{len(claims)} claims", err=True)
    config = RunConfig(seeds[0], profile, backend)
    if len(seeds) > 1:
        sys.exit(_sweep(claims, seeds, config, jobs))
    start = time.perf_counter()
    results = run_claims(claims, config, jobs=jobs)
    mismatched = [r for r in results if r.verdict != r.claim.expected_verdict]
    if as_json:
        document = {**config.to_json(), "claims": [r.to_json() for r in results]}
        click.echo(json.dumps(document, indent=2))
    else:
        for result in results:
            _print_result(result)
    _summary(results, time.perf_counter() - start)
    sys.exit(1 if mismatched else 0)


def _print_result(result) -> None:
    claim = result.claim
    mark = "ok" if result.verdict == claim.expected_verdict else "MISMATCH"
    click.echo(f"{claim.id}: {result.judgement.line} (expected {claim.expected_verdict}) [{mark}] {result.seconds:.1f}s")
    steps_ok = sum(r.ok for r in result.steps)
    click.echo(f"  derivation: {steps_ok}/{len(result.steps)} steps checked")
    for check in result.checks:
        status = "pass" if check.passed else "FAIL"
        control = "rejected" if check.control_rejected else "NOT REJECTED"
        click.echo(
            f"  {status} {check.name} [{check.kind}, resolution {check.relative_resolution:.2g}]: "
            f"z = {check.test.statistic:+.2f} ({_acceptance(check)}); "
            f"control z = {check.control.statistic:+.3g} at {check.control_distance:.3g} resolutions, {control}"
        )
    for reason in result.reasons:
        click.echo(f"  ! {reason}")


def _acceptance(check) -> str:
    """When a check accepts: "|z| <= 3.89" (two-sided), "z >= -3.72" / "z <= 3.72" (one-sided)."""
    return {"greater": f"z >= -{check.threshold:.2f}", "less": f"z <= {check.threshold:.2f}"}.get(
        check.alternative, f"|z| <= {check.threshold:.2f}")


def _summary(results, seconds: float, reports: Path | None = None) -> None:
    """The closing lines on stderr: verdict counts, verdicts that moved, where to look."""
    counts = Counter(r.verdict for r in results)
    checks = sum(len(r.checks) for r in results)
    click.echo(
        f"summary: {len(results)} claims, {checks} checks in {seconds:.0f} s: "
        + ", ".join(f"{counts[v]} {v}" for v in ("verified", "verified-with-conditions", "refuted", "inconclusive") if counts[v]),
        err=True,
    )
    for result in results:
        if result.verdict != result.claim.expected_verdict:
            click.echo(f"  verdict differs from the recorded one: {result.claim.id}: {result.verdict} "
                       f"(recorded {result.claim.expected_verdict})", err=True)
    if reports is not None:
        click.echo(f"open {reports / 'index.html'} (or index.md); errata: {reports / 'errata.html'}", err=True)


def _sweep(claims, seeds, config: RunConfig, jobs: int = 1) -> int:
    """Run every seed under ``config``'s profile and backend and report how often each check's
    correct prediction was rejected."""
    from ebmcheck.checks.anatomy import ALPHA

    false_alarms, controls_survived, totals = Counter(), Counter(), Counter()
    kinds: dict[str, str] = {}
    verdicts_moved: Counter = Counter()  # (claim id, verdict) for verdicts that differ from the recorded one
    first_failure: dict[str, int] = {}  # check key -> first seed where it failed
    first_move: dict[str, int] = {}  # claim id -> first seed where its verdict moved
    if len(seeds) > LARGE_SWEEP:
        click.echo(f"note: {len(seeds)} seeds x {len(claims)} claims; the time per seed is printed after the first "
                   "seed, with an estimate of the whole sweep (interrupt with Ctrl-C)", err=True)
    start = time.perf_counter()
    interactive = sys.stderr.isatty()
    with tqdm(seeds, desc="seeds", unit="seed", disable=not interactive, leave=True, file=sys.stderr) as bar:
        for index, seed in enumerate(bar, start=1):
            label = f"seed {seed} ({index}/{len(seeds)})"
            for result in run_claims(claims, config, seed=seed, progress=not interactive, label=label, jobs=jobs):
                if result.verdict != result.claim.expected_verdict:
                    verdicts_moved[(result.claim.id, result.verdict)] += 1
                    first_move.setdefault(result.claim.id, seed)
                for check in result.checks:
                    key = f"{result.claim.id} / {check.name}"
                    kinds[key] = check.kind
                    totals[key] += 1
                    false_alarms[key] += not check.passed
                    controls_survived[key] += not check.control_rejected
                    if not check.passed:
                        first_failure.setdefault(key, seed)
            if index == 1 and len(seeds) > LARGE_SWEEP:
                per_seed = time.perf_counter() - start
                click.echo(f"first seed took {per_seed:.0f} s: the sweep needs about "
                           f"{per_seed * len(seeds) / 60:.0f} min", err=True)
    num_checks = sum(totals.values())
    for kind in ("statistical", "numerical"):
        keys = [k for k in totals if kinds[k] == kind]
        if not keys:
            continue
        runs, alarms = sum(totals[k] for k in keys), sum(false_alarms[k] for k in keys)
        low, high = _binomial_interval(alarms, runs)
        nominal = f" (nominal alpha {ALPHA:.0e})" if kind == "statistical" else " (no false-alarm rate: numerical)"
        click.echo(f"{len(seeds)} seeds x {len(keys)} {kind} checks: {alarms} failures in {runs} runs, rate "
                   f"{alarms / max(runs, 1):.2e}, 95% interval [{low:.1e}, {high:.1e}]{nominal}")
    click.echo(f"negative controls that survived: {sum(controls_survived.values())} of {num_checks}")
    runs = len(seeds) * len(claims)
    click.echo(f"claim verdicts that differ from the recorded one: {sum(verdicts_moved.values())} of {runs} claim runs")
    for (claim_id, verdict), count in sorted(verdicts_moved.items()):
        click.echo(f"  {claim_id}: {verdict} in {count} of {len(seeds)} seeds; reproduce: "
                   f"ebmcheck verify {claim_id} --seed {first_move[claim_id]}")
    for key in sorted(totals):
        if false_alarms[key] or controls_survived[key]:
            claim_id = key.split(" / ", 1)[0]
            again = f"; reproduce: ebmcheck verify {claim_id} --seed {first_failure[key]}" if key in first_failure else ""
            click.echo(f"  {key}: {false_alarms[key]} false alarms, {controls_survived[key]} surviving controls{again}")
    click.echo(f"sweep time: {time.perf_counter() - start:.0f} s", err=True)
    return 0


def _binomial_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson interval for a binomial proportion."""
    from scipy import stats

    if trials == 0:
        return 0.0, 1.0
    tail = (1 - level) / 2
    low = float(stats.beta.ppf(tail, successes, trials - successes + 1)) if successes else 0.0
    high = float(stats.beta.ppf(1 - tail, successes + 1, trials - successes)) if successes < trials else 1.0
    return low, high


@main.command(epilog="Exit codes: 0 no property failed; 1 a property failed (a false alarm of the harness); 2 usage error.")
@profile_option
@click.option("--seed", "seed_text", help=SEED_HELP)
def objectives(profile, seed_text) -> None:
    """Property-test the built-in objectives (checks.properties) over seeds: the harness's false-alarm rate."""
    from ebmcheck.checks.properties import sweep
    from ebmcheck.theory.objectives import built_in_objectives

    seeds, origin = parse_seeds(seed_text)
    click.echo(f"ebmcheck objectives: {_describe_seeds(seeds, origin)}, profile {profile}", err=True)
    tally = sweep(built_in_objectives(), tqdm(seeds, desc="seeds", unit="seed", file=sys.stderr), profile)
    runs = sum(r for r, _, _ in tally.values())
    failures = sum(f for _, f, _ in tally.values())
    click.echo(f"{len(seeds)} seeds: {failures} failed property runs of {runs} (every objective is correct: each is a false alarm)")
    for (name, prop), (count, failed, first) in sorted(tally.items()):
        click.echo(f"  {name} :: {prop}: {failed}/{count}" + (f"  first: {first.splitlines()[0]}" if failed else ""))
    sys.exit(1 if failures else 0)


@main.command(epilog=EXIT_CODES.format(extra=" or report --check found a difference"))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True,
              help="report folder; a non-empty folder that is not an ebmcheck report folder needs --force")
@profile_option
@backend_option
@click.option("--seed", "seed_text", help=f"root seed (default: ${SEED_VARIABLE} or {DEFAULT_SEED})")
@click.option("--check", "check_only", is_flag=True, help="regenerate and compare with OUT/results.json; write nothing")
@click.option(
    "--rtol", type=click.FloatRange(min=0.0), default=None,
    help="tolerance of --check for Monte Carlo numbers, as a fraction of their check's standard error "
    "(default: 0, exact, when results.json was written on this platform; 0.01 otherwise; see checks.report.compare)",
)
@click.option("--force", is_flag=True, help="write into a non-empty folder that is not an ebmcheck report folder "
              "(its other files are kept)")
@click.option("--allow-dirty", is_flag=True, help="write the repository's reports/ although the code has uncommitted changes")
@jobs_option
def report(out, profile, backend, seed_text, check_only, rtol, force, allow_dirty, jobs) -> None:
    """Verify every claim and write the reports (Markdown, HTML, figures, results.json)."""
    from ebmcheck.checks.report.compare import compare_documents
    from ebmcheck.checks.report.provenance import code_state, repository_reports
    from ebmcheck.checks.report.results import results_document
    from ebmcheck.checks.report.write import DestinationError, check_destination, write_reports

    _require_backend(backend, registry.CLAIMS)
    seeds, origin = parse_seeds(seed_text)
    if len(seeds) != 1:
        _fail(f"{origin} gives {len(seeds)} seeds: a report is written for one seed (use verify --seed A-B for a sweep)")
    # Everything that can be wrong with the destination is found before the run, not after it.
    if check_only:
        committed = out / "results.json"
        try:
            recorded = json.loads(committed.read_text(encoding="utf-8"))
        except FileNotFoundError:
            _fail(f"{committed} does not exist: nothing to check against (write it with: ebmcheck report --out {out})")
        except (OSError, ValueError) as error:
            _fail(f"cannot read {committed}: {error}")
    else:
        try:
            check_destination(out, force)
        except DestinationError as error:
            _fail(str(error))
        state = code_state()
        own_reports = repository_reports()
        if own_reports is not None and out.resolve() == own_reports and state.changed and not allow_dirty:
            listed = ", ".join(state.changed[:5]) + (", ..." if len(state.changed) > 5 else "")
            _fail(f"the code has uncommitted changes ({listed}): reports written into the repository's reports/ would "
                  "name a commit that did not produce them. Commit first, or pass --allow-dirty")
    click.echo(f"ebmcheck report: {_describe_seeds(seeds, origin)}, profile {profile}, backend {backend} -> {out}", err=True)
    start = time.perf_counter()
    config = RunConfig(seeds[0], profile, backend)
    results = run_claims(registry.CLAIMS, config, jobs=jobs)
    if check_only:
        fresh = json.loads(json.dumps(results_document(results, config)))
        try:
            comparison = compare_documents(recorded, fresh, rtol)
        except ValueError as error:
            _fail(f"{committed}: {error}")
        for note in comparison.platform_notes[:20]:
            click.echo(f"note: platform differs: {note}", err=True)
        for line in comparison.differences[:50]:
            click.echo(line)
        if len(comparison.differences) > 50:
            click.echo(f"... and {len(comparison.differences) - 50} more differences")
        verdict = "reproduced" if comparison.reproduced else f"{len(comparison.differences)} differences"
        click.echo(f"{committed}: {verdict} ({comparison.describe()})", err=True)
        sys.exit(0 if comparison.reproduced else 1)
    summary = write_reports(results, out, config, force=force)
    for latex, why in summary.math_failures:
        click.echo(f"warning: LaTeX shown as source, not MathML ({why}): {latex[:100]}", err=True)
    click.echo(
        f"wrote {out}/index.md, index.html, errata, {len(results)} claim pages (Markdown + HTML), "
        f"{summary.figures} figures; {summary.math_converted} formulas as MathML, {len(summary.math_failures)} not converted",
        err=True,
    )
    _summary(results, time.perf_counter() - start, reports=out)
    sys.exit(1 if any(r.verdict != r.claim.expected_verdict for r in results) else 0)


def _last_verdicts(path: Path) -> dict[str, str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    claims = document.get("claims", []) if isinstance(document, dict) else []
    return {claim["id"]: claim["verdict"] for claim in claims if isinstance(claim, dict) and "id" in claim}
