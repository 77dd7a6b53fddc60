"""The ``ebmcheck`` command line: list, verify, report, objectives.

Exit codes (every subcommand): 0 success, every verdict as recorded; 1 a verdict differs from its
recorded expected verdict (``verify``, ``report``), ``report --check`` found a difference, or
``objectives`` saw a failed property; 2 usage error (unknown claim id, bad option or seed, an
unusable ``--out`` folder, a dirty tree for the repository's reports); 3 the requested backend
is unavailable; 4 a unit of work raised (the claim, the check and the command that reproduces it
are printed; nothing is written); 130 interrupted by Ctrl-C (outstanding units cancelled, nothing
written).
"""

from __future__ import annotations

import contextlib
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
from ebmcheck.checks.runner import resolve_scheduler, run_claims, run_sweep
from ebmcheck.checks.scheduler import SCHEDULER_HELP, RunStats, Scheduler, UnitFailed
from ebmcheck.theory.backend import BACKENDS, BackendUnavailable, get_backend

SEED_VARIABLE = "EBMCHECK_SEED"
SEED_HELP = f"root seed S, or a range A-B for a false-alarm sweep (default: ${SEED_VARIABLE} or {DEFAULT_SEED})"
EXIT_CODES = (
    "Exit codes: 0 every verdict as recorded; 1 a verdict differs from the recorded one{extra}; "
    "2 usage error (unknown claim id, bad option, seed or folder); 3 backend unavailable; "
    "4 a unit raised (nothing written); 130 interrupted (nothing written)."
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
jobs_option = click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
                           help="short for --scheduler pool:N: N worker processes (0: one per core)")
scheduler_option = click.option("--scheduler", "scheduler_text", default=None, metavar="SCHEDULER",
                                help=SCHEDULER_HELP + "; the numbers do not depend on it")


def _resolve_scheduler(scheduler_text: str | None, jobs: int | None) -> Scheduler:
    """The scheduler of ``--scheduler`` or ``-j/--jobs``; a usage error when both are given, or
    when a Dask scheduler is asked for without Dask installed."""
    if scheduler_text is not None and jobs is not None:
        raise click.UsageError("give --scheduler or -j/--jobs, not both (-j N is short for --scheduler pool:N)")
    try:
        scheduler = resolve_scheduler(scheduler_text, jobs)
    except ValueError as error:
        raise click.UsageError(f"--scheduler: {error}") from None
    if scheduler.uses_dask:
        try:
            import dask.distributed  # noqa: F401  (only asked for here: the default run never imports Dask)
        except ImportError:
            raise click.UsageError(f"--scheduler {scheduler} needs Dask: pip install 'ebmcheck[dask]'") from None
    return scheduler


@contextlib.contextmanager
def _guarded_run():
    """A unit that raised: what it was, the exception, the command that reproduces it (exit 4).
    Ctrl-C: the outstanding units are cancelled by the scheduler on the way out (exit 130). Either
    way nothing has been written: reports are written only after every unit is back."""
    try:
        yield
    except UnitFailed as error:
        click.echo(f"error: a unit raised: {error.what}", err=True)
        click.echo(error.detail.rstrip(), err=True)
        click.echo(f"reproduce: {error.reproduce}", err=True)
        click.echo("nothing was written", err=True)
        sys.exit(4)
    except KeyboardInterrupt:
        click.echo("interrupted: the outstanding units were cancelled; nothing was written", err=True)
        sys.exit(130)


def _scheduler_summary(stats: RunStats) -> None:
    for note in stats.notes:
        click.echo(f"note: {note}", err=True)
    if stats.scheduler != "in-process":
        retried = "unknown (the scheduler refused to say)" if stats.retried < 0 else stats.retried
        click.echo(f"scheduler {stats.scheduler}: {stats.units} units, {retried} rescheduled after a worker died", err=True)


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
@scheduler_option
@jobs_option
def verify(claim_ids, profile, backend, seed_text, as_json, scheduler_text, jobs) -> None:
    """Verify claims (all by default); exit 1 when a verdict differs from the recorded one."""
    claims = _select(claim_ids)
    _require_backend(backend, claims)
    seeds, origin = parse_seeds(seed_text)
    scheduler = _resolve_scheduler(scheduler_text, jobs)
    click.echo(f"ebmcheck verify: {_describe_seeds(seeds, origin)}, profile {profile}, backend {backend}, "
               f"{len(claims)} claims, scheduler {scheduler}", err=True)
    config = RunConfig(seeds[0], profile, backend)
    stats = RunStats()
    with _guarded_run():
        if len(seeds) > 1:
            sys.exit(_sweep(claims, seeds, config, scheduler, stats, as_json))
        start = time.perf_counter()
        results = run_claims(claims, config, scheduler=scheduler, stats=stats)
    _scheduler_summary(stats)
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


def _sweep(claims, seeds, config: RunConfig, scheduler: Scheduler, stats: RunStats, as_json: bool = False) -> int:
    """Run every claim under every seed (``config``'s profile and backend) on ``scheduler`` and report
    how often each check's correct prediction was rejected: per check, the false-alarm count with its
    95 % Clopper–Pearson interval against the check's α; the surviving controls; the verdicts that
    moved; and for each failure the command that reproduces it. ``as_json``: the same counts as one
    JSON document on stdout (sweeps run in pieces can be added up)."""
    checks: dict[str, dict] = {}  # "claim / check" -> kind, alpha, runs, failures, survived, first failing seed
    verdicts_moved: Counter = Counter()  # (claim id, verdict) for verdicts that differ from the recorded one
    first_move: dict[str, int] = {}  # claim id -> first seed where its verdict moved
    seeds_done: Counter = Counter()
    if len(seeds) > LARGE_SWEEP:
        click.echo(f"note: {len(seeds)} seeds x {len(claims)} claims; when the first seed is done the sweep says "
                   "how long the whole will take (interrupt with Ctrl-C)", err=True)
    start, units_done, first_seed_done = time.perf_counter(), 0, False
    for seed, result in run_sweep(claims, seeds, config, scheduler=scheduler, stats=stats, progress=True):
        units_done += 1
        seeds_done[seed] += 1
        if seeds_done[seed] == len(claims) and not first_seed_done and len(seeds) > LARGE_SWEEP:
            first_seed_done = True
            elapsed = time.perf_counter() - start
            click.echo(f"first seed done after {elapsed:.0f} s: the sweep needs about "
                       f"{elapsed * len(seeds) * len(claims) / units_done / 60:.0f} min", err=True)
        if result.verdict != result.claim.expected_verdict:
            verdicts_moved[(result.claim.id, result.verdict)] += 1
            first_move[result.claim.id] = min(seed, first_move.get(result.claim.id, seed))
        for check in result.checks:
            entry = checks.setdefault(f"{result.claim.id} / {check.name}", {
                "kind": check.kind, "alpha": check.alpha, "runs": 0, "failures": 0, "survived": 0, "first": None})
            entry["runs"] += 1
            entry["failures"] += not check.passed
            entry["survived"] += not check.control_rejected
            if not check.passed:
                entry["first"] = min(seed, entry["first"] if entry["first"] is not None else seed)
    seconds = time.perf_counter() - start
    if as_json:
        click.echo(json.dumps({"profile": config.profile, "backend": config.backend, "seeds": [seeds[0], seeds[-1]], "claims": [c.id for c in claims],
                               "scheduler": str(scheduler), "seconds": round(seconds, 1), "checks": checks,
                               "verdicts_moved": [[cid, verdict, count, first_move[cid]]
                                                  for (cid, verdict), count in sorted(verdicts_moved.items())]}, indent=1))
    else:
        _sweep_table(checks, seeds, claims, verdicts_moved, first_move)
    click.echo(f"sweep time: {seconds:.0f} s on {scheduler} ({len(seeds)} seeds x {len(claims)} claims)", err=True)
    _scheduler_summary(stats)
    return 0


def _sweep_table(checks: dict[str, dict], seeds, claims, verdicts_moved: Counter, first_move: dict[str, int]) -> None:
    from ebmcheck.checks.anatomy import ALPHA

    for kind in ("statistical", "numerical"):
        keys = [k for k, entry in checks.items() if entry["kind"] == kind]
        if not keys:
            continue
        runs, alarms = sum(checks[k]["runs"] for k in keys), sum(checks[k]["failures"] for k in keys)
        low, high = _binomial_interval(alarms, runs)
        nominal = f" (nominal alpha {ALPHA:.0e})" if kind == "statistical" else " (no false-alarm rate: numerical)"
        click.echo(f"{len(seeds)} seeds x {len(keys)} {kind} checks: {alarms} failures in {runs} runs, rate "
                   f"{alarms / max(runs, 1):.2e}, 95% interval [{low:.1e}, {high:.1e}]{nominal}")
    click.echo(f"negative controls that survived: {sum(e['survived'] for e in checks.values())} of "
               f"{sum(e['runs'] for e in checks.values())}")
    runs = len(seeds) * len(claims)
    click.echo(f"claim verdicts that differ from the recorded one: {sum(verdicts_moved.values())} of {runs} claim runs")
    for (claim_id, verdict), count in sorted(verdicts_moved.items()):
        click.echo(f"  {claim_id}: {verdict} in {count} of {len(seeds)} seeds; reproduce: "
                   f"ebmcheck verify {claim_id} --seed {first_move[claim_id]}")
    click.echo("per check: false alarms / runs, 95% interval, alpha (statistical) or numerical; "
               "'above alpha' when the interval excludes it")
    for key, entry in sorted(checks.items()):
        low, high = _binomial_interval(entry["failures"], entry["runs"])
        side = "numerical" if entry["kind"] == "numerical" else f"alpha {entry['alpha']:.0e}"
        flag = " above alpha" if entry["kind"] == "statistical" and low > entry["alpha"] else ""
        survived = f", {entry['survived']} surviving controls" if entry["survived"] else ""
        again = (f"; reproduce: ebmcheck verify {key.split(' / ', 1)[0]} --seed {entry['first']}"
                 if entry["first"] is not None else "")
        click.echo(f"  {key}: {entry['failures']}/{entry['runs']} [{low:.1e}, {high:.1e}] {side}{flag}{survived}{again}")


def _binomial_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson interval for a binomial proportion."""
    from scipy import stats

    if trials == 0:
        return 0.0, 1.0
    tail = (1 - level) / 2
    low = float(stats.beta.ppf(tail, successes, trials - successes + 1)) if successes else 0.0
    high = float(stats.beta.ppf(1 - tail, successes + 1, trials - successes)) if successes < trials else 1.0
    return low, high


@main.command(epilog="Exit codes: 0 no property failed; 1 a property failed (a false alarm of the harness); "
                    "2 usage error; 4 a unit raised.")
@profile_option
@click.option("--seed", "seed_text", help=SEED_HELP)
@scheduler_option
@jobs_option
def objectives(profile, seed_text, scheduler_text, jobs) -> None:
    """Property-test the built-in objectives (checks.properties) over seeds: the harness's false-alarm rate."""
    from ebmcheck.checks.properties.sweep import built_in_sweep, merge_tallies
    from ebmcheck.checks.scheduler import run_units

    seeds, origin = parse_seeds(seed_text)
    scheduler = _resolve_scheduler(scheduler_text, jobs)
    click.echo(f"ebmcheck objectives: {_describe_seeds(seeds, origin)}, profile {profile}, scheduler {scheduler}", err=True)
    stats, per_seed = RunStats(), [None] * len(seeds)
    units = [(seed, profile) for seed in seeds]
    describe = lambda i: (f"objectives, seed {seeds[i]}", f"ebmcheck objectives --seed {seeds[i]} --profile {profile}")  # noqa: E731
    with _guarded_run(), tqdm(total=len(seeds), desc="seeds", unit="seed", file=sys.stderr) as bar:
        for index, tally in run_units(built_in_sweep, units, scheduler, describe=describe, stats=stats):
            per_seed[index] = tally
            bar.update()
    _scheduler_summary(stats)
    tally = merge_tallies(per_seed)
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
@scheduler_option
@jobs_option
def report(out, profile, backend, seed_text, check_only, rtol, force, allow_dirty, scheduler_text, jobs) -> None:
    """Verify every claim and write the reports (Markdown, HTML, figures, results.json)."""
    from ebmcheck.checks.report.compare import compare_documents
    from ebmcheck.checks.report.provenance import code_state, repository_reports
    from ebmcheck.checks.report.results import results_document
    from ebmcheck.checks.report.write import DestinationError, check_destination, write_reports

    _require_backend(backend, registry.CLAIMS)
    seeds, origin = parse_seeds(seed_text)
    scheduler = _resolve_scheduler(scheduler_text, jobs)
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
    click.echo(f"ebmcheck report: {_describe_seeds(seeds, origin)}, profile {profile}, backend {backend}, "
               f"scheduler {scheduler} -> {out}", err=True)
    start = time.perf_counter()
    config = RunConfig(seeds[0], profile, backend)
    stats = RunStats()
    with _guarded_run():
        results = run_claims(registry.CLAIMS, config, scheduler=scheduler, stats=stats)
    _scheduler_summary(stats)
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
