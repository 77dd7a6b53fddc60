"""Run claims: check the derivation, run the numerical checks, collect the evidence."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import sys
import time
from collections.abc import Iterable, Iterator

from tqdm import tqdm

from ebmcheck.checks.anatomy import CONFIRMATION, Claim, ClaimResult, Context, needs_confirmation
from ebmcheck.checks.config import RunConfig, resolve_config
from ebmcheck.checks.scheduler import (IN_PROCESS, RunStats, Scheduler, UnitFailed, one_blas_thread, parse_scheduler,
                                       run_units)
from ebmcheck.derivations.steps import Derivation, StepResult


@functools.lru_cache(maxsize=None)
def derivation_of(claim: Claim) -> Derivation:
    """The claim's derivation, built once per process (building runs SymPy too)."""
    return claim.derivation()


@functools.lru_cache(maxsize=None)
def checked_derivation(claim: Claim) -> tuple[StepResult, ...]:
    """The derivation's step results; SymPy work is done once per process and claim."""
    return tuple(derivation_of(claim).check())


@dataclasses.dataclass(frozen=True)
class Numerics:
    """What a claim's numerical checks produced: the checks, their figures, the confirmation checks
    (or None) and the seconds they took. Plain numbers and figures: it crosses process boundaries
    (a SymPy expression does not: unpickling re-evaluates an unevaluated step)."""

    checks: list
    figures: list
    confirmation: list | None
    seconds: float


def run_numerics(claim: Claim, config: RunConfig, keep_figures: bool = True) -> Numerics:
    """Run ``claim``'s numerical checks under ``config`` (and on the confirmation stream when a
    statistical rejection needs confirming); ``config`` already resolved by :func:`run_claim`.

    The unit of work of every scheduler (:mod:`checks.scheduler`). A check that raises becomes a
    :class:`~checks.scheduler.UnitFailed` naming the claim, the check (the last one that drew a
    random stream) and the command that reproduces it. ``keep_figures=False`` (a seed sweep) ships
    no figures back. BLAS runs on one thread (:func:`checks.scheduler.one_blas_thread`)."""
    start = time.perf_counter()
    context = Context(claim.id, config)
    try:
        with one_blas_thread():
            checks = claim.checks(context)
        confirmation = None
        if needs_confirmation(claim, checks):
            # A statistical rejection decides a verdict only if fresh, independent data reject again.
            context = Context(claim.id, config, stream=CONFIRMATION)
            with one_blas_thread():
                confirmation = claim.checks(context)  # its figures are not shown
    except Exception as error:
        where = f"check {context.last_check!r}" if context.last_check else "before any check drew a random stream"
        stream = " (confirmation stream)" if context.stream else ""
        raise UnitFailed.from_exception(f"claim {claim.id}, {where}{stream}, seed {config.seed}",
                                        reproduce_line(claim, config), error) from None
    figures = context.figures if keep_figures else []
    return Numerics(checks, figures, confirmation, time.perf_counter() - start)


def reproduce_line(claim: Claim, config: RunConfig) -> str:
    """The command that runs ``claim`` alone under ``config``."""
    options = "".join(f" --{name} {value}" for name, value, default in (
        ("profile", config.profile, "quick"), ("backend", config.backend, "numpy")) if value != default)
    return f"ebmcheck verify {claim.id} --seed {config.seed}{options}"


def _claim_config(claim: Claim, config: RunConfig | None, **settings) -> RunConfig:
    """``config`` with ``settings``; numpy for a host-only claim (:attr:`Claim.host_only`)."""
    config = resolve_config(config, **settings)
    return dataclasses.replace(config, backend="numpy") if claim.host_only else config


def _result(claim: Claim, numerics: Numerics) -> ClaimResult:
    """The claim's evidence: its derivation, checked in this process (once per process), and its numerics."""
    start = time.perf_counter()
    steps = list(checked_derivation(claim))
    seconds = numerics.seconds + time.perf_counter() - start
    return ClaimResult(claim, steps, numerics.checks, numerics.figures, seconds, numerics.confirmation,
                       derivation_of(claim).depth())


def run_claim(claim: Claim, config: RunConfig | None = None, **settings) -> ClaimResult:
    """Run one claim end to end under ``config`` and return its evidence.

    ``config`` is a :class:`~checks.config.RunConfig` (default: ``RunConfig()``, the quick
    profile on numpy at :data:`~checks.config.DEFAULT_SEED`); its fields may also be given as
    keywords, alone or overriding ``config``'s: ``run_claim(claim, seed=7, profile="full")``.
    A claim that declares itself host-only (:attr:`Claim.host_only`, with its reason) runs on
    numpy whatever the backend; its page says so.
    """
    config = _claim_config(claim, config, **settings)
    return _result(claim, run_numerics(claim, config))


def run_claims(
    claims: Iterable[Claim], config: RunConfig | None = None, *, progress: bool = True, label: str = "",
    scheduler: Scheduler | str | None = None, jobs: int | None = None, stats: RunStats | None = None, **settings,
) -> list[ClaimResult]:
    """Run claims under one configuration and return their evidence, in the order of ``claims``.

    ``config`` and ``settings`` as in :func:`run_claim`. ``scheduler`` says where the claims'
    numerical checks run (:func:`checks.scheduler.parse_scheduler`: ``"in-process"``, the default,
    ``"pool:N"``, ``"processes:N"``, ``"threads:N"``, ``"tcp://host:port"``); ``jobs=N`` is
    short for ``"pool:N"`` (1: in-process). The derivations are checked in this process while the
    workers go on (an unevaluated SymPy step does not survive pickling). The numbers do not depend
    on the scheduler: every claim draws from its own streams, derived from the root seed and the
    claim id (:meth:`Context.rng`); ``tests/test_scheduler.py`` asserts byte-identical results.
    With ``progress`` (the command line's default): on a terminal, a progress bar with the
    estimated time left on stderr, kept when done; otherwise one line per claim as it finishes
    (``claims [3/24] hyvarinen-identity: verified, 12 checks, 2.1 s``), so a log shows where a long run
    is. ``label`` prefixes the bar and the lines. ``stats`` (a :class:`~checks.scheduler.RunStats`)
    receives the units retried after a worker died. A unit that raises stops the run with
    :class:`~checks.scheduler.UnitFailed`.
    """
    config = resolve_config(config, **settings)
    claims = list(claims)
    scheduler = resolve_scheduler(scheduler, jobs)
    configs = [_claim_config(claim, config) for claim in claims]
    results: list[ClaimResult | None] = [None] * len(claims)
    finished = run_units(run_numerics, list(zip(claims, configs)), scheduler, backend=config.backend, stats=stats,
                         describe=lambda i: (f"claim {claims[i].id}, seed {configs[i].seed}", reproduce_line(claims[i], configs[i])))
    with _progress(len(claims), label or "claims", "claim", progress) as report:
        for index, numerics in finished:
            results[index] = result = _result(claims[index], numerics)
            report(result.claim.id, f"{result.claim.id}: {result.verdict}, {len(result.checks)} checks, {result.seconds:.1f} s")
    return results


def run_sweep(
    claims: Iterable[Claim], seeds: Iterable[int], config: RunConfig | None = None, *, progress: bool = True,
    scheduler: Scheduler | str | None = None, jobs: int | None = None, stats: RunStats | None = None,
) -> Iterator[tuple[int, ClaimResult]]:
    """Yield ``(seed, result)`` for every claim under every root seed, as the units finish.

    A unit is one claim under one seed, so a scheduler keeps all its workers busy across seeds; no
    figures travel back. Arguments as in :func:`run_claims`; ``config`` gives the profile and backend."""
    config = resolve_config(config)
    claims, seeds = list(claims), list(seeds)
    units = [(claim, _claim_config(claim, config, seed=seed), False) for seed in seeds for claim in claims]
    finished = run_units(run_numerics, units, resolve_scheduler(scheduler, jobs), backend=config.backend, stats=stats,
                         describe=lambda i: (f"claim {units[i][0].id}, seed {units[i][1].seed}", reproduce_line(*units[i][:2])))
    left = {seed: len(claims) for seed in seeds}
    with _progress(len(units), "sweep", "unit", progress) as report:
        for index, numerics in finished:
            claim, unit_config, _ = units[index]
            left[unit_config.seed] -= 1
            line = f"seed {unit_config.seed}: all {len(claims)} claims done" if not left[unit_config.seed] else None
            report(f"seed {unit_config.seed}", line)
            yield unit_config.seed, _result(claim, numerics)


def resolve_scheduler(scheduler: Scheduler | str | None, jobs: int | None = None) -> Scheduler:
    """The scheduler of ``scheduler`` (:func:`checks.scheduler.parse_scheduler`) or of ``jobs=N``, short for
    ``"pool:N"`` (1: in-process); ``ValueError`` for a bad value or for both given."""
    if jobs is not None:
        if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 0:
            raise ValueError(f"jobs must be an int >= 0 (0: one worker per core), got {jobs!r}")
        if scheduler is not None:
            raise ValueError(f"give scheduler={scheduler!r} or jobs={jobs!r}, not both (jobs=N is short for 'pool:N')")
        return IN_PROCESS if jobs == 1 else Scheduler("pool", jobs)
    return parse_scheduler(scheduler)


@contextlib.contextmanager
def _progress(total: int, label: str, unit: str, progress: bool):
    """``report(postfix, line)`` per finished unit: a tqdm bar on a terminal, else ``line`` (when not
    None) on stderr as ``[done/total] line``, so a log shows where a long run is."""
    interactive = progress and sys.stderr.isatty()
    done = 0
    with tqdm(total=total, desc=label, unit=unit, disable=not interactive, leave=True, file=sys.stderr) as bar:
        def report(postfix: str, line: str | None) -> None:
            nonlocal done
            done += 1
            bar.set_postfix_str(postfix)
            bar.update()
            if progress and not interactive and line is not None:
                print(f"{label} [{done}/{total}] {line}", file=sys.stderr, flush=True)

        yield report
