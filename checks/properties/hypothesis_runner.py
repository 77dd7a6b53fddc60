"""The Hypothesis runner: :func:`run_property` runs one property, :func:`check_objective` all of them.

A property runs on *cases* — a model family and its true parameter, from readable grids — and
the check of :mod:`.checks` runs its seeded experiment on each. The cases are the simplest one,
one with d >= 2 where the objective supports one, and cases Hypothesis draws under a seed derived
from the root seed (:func:`~checks.properties.families.plan`): the root seed alone chooses them.
The number of cases per property is the profile's (:data:`EXAMPLES`). Arguments are validated,
with errors that name them, and the objective is probed on a tiny case of each family
(:func:`probe`), before any experiment runs.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import hypothesis
import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.properties.checks import PROPERTIES, Setting, yield_all_checks
from ebmcheck.checks.properties.families import Family, as_families, plan, supported
from ebmcheck.theory.backend import derive_seed
from ebmcheck.theory.objectives import REQUIRED_MEMBERS, BaseObjective, FiniteDifferenceObjective, NotApplicable, reference
from ebmcheck.theory.validation import positive_int, real_scalar

# Cases per property and profile: modest for the statistical ones.
EXAMPLES: dict[str, dict[str, int]] = {
    "quick": {"derivatives": 6, "fisher-consistency": 6, "unbiased-gradient": 5, "asymptotic-normality": 2, "efficiency": 3, "invariances": 6},
    "full": {"derivatives": 30, "fisher-consistency": 30, "unbiased-gradient": 30, "asymptotic-normality": 10, "efficiency": 10, "invariances": 30},
}


@dataclass(frozen=True)
class Outcome:
    """The result of one property on one objective."""

    objective: str
    property: str
    status: str  # "passed", "failed", "expected-failure", "unexpected-pass", "not-applicable"
    message: str


class _WithDefaults:
    """An objective that implements only the required members of :class:`theory.objectives.Objective`,
    with :class:`~theory.objectives.BaseObjective`'s defaults for the optional ones (``supports``,
    ``true_params``, ``draw``, ``extra_names``, ``param_names``, ``invariances``, ...)."""

    def __init__(self, objective):
        self._objective = objective

    def __getattr__(self, member):
        try:
            return getattr(self._objective, member)
        except AttributeError:
            default = getattr(BaseObjective, member)  # AttributeError for a member nobody defines
            return default.__get__(self) if callable(default) and hasattr(default, "__get__") else default

    def __repr__(self) -> str:
        return repr(self._objective)


def as_objective(objective):
    """``objective`` checked against the :class:`~theory.objectives.Objective` protocol.

    ``TypeError`` for a class passed instead of an instance, for an object without the required
    members (:data:`theory.objectives.REQUIRED_MEMBERS`: ``name``, ``losses``, ``gradients``,
    ``hessians``), listing those it lacks, and for optional members of the wrong kind (methods
    that are not callable, ``extra_names`` not a tuple of str, one population hook without the
    other). Optional members take :class:`BaseObjective`'s defaults. What the members *return* is
    checked by :func:`probe`."""
    if isinstance(objective, _WithDefaults):
        return objective
    if isinstance(objective, type):
        raise TypeError(
            f"objective must be an instance, got the class {objective.__name__}: pass an instance, "
            f"e.g. {objective.__name__}()"
        )
    missing = [m for m in REQUIRED_MEMBERS[1:] if not callable(getattr(objective, m, None))]
    if isinstance(objective, FiniteDifferenceObjective) and type(objective).losses is FiniteDifferenceObjective.losses:
        missing.append("losses (FiniteDifferenceObjective needs your per-sample losses)")
    name = getattr(objective, "name", None)
    if not isinstance(name, str) or not name:
        missing.insert(0, "name (a non-empty str)")
    if missing:
        raise TypeError(
            f"objective must implement the Objective protocol of theory.objectives (required: "
            f"{', '.join(REQUIRED_MEMBERS)}); {type(objective).__name__} {objective!r:.60} lacks: {', '.join(missing)}"
        )
    for member in ("supports", "true_params", "draw", "param_names"):
        if hasattr(objective, member) and not callable(getattr(objective, member)):
            raise TypeError(f"objective.{member} must be a method (see theory.objectives.Objective), got {getattr(objective, member)!r}")
    extra = getattr(objective, "extra_names", ())
    if not isinstance(extra, (tuple, list)) or not all(isinstance(e, str) and e for e in extra):
        raise TypeError(
            f"objective.extra_names must be a tuple of str, the names of the parameters the objective adds to the "
            f"model's (e.g. ('c',) for a log-normalizer), got {extra!r:.80}"
        )
    hooks = [getattr(objective, m, None) for m in ("population_gradients", "population_hessians")]
    if any(h is not None and not callable(h) for h in hooks) or (hooks[0] is None) != (hooks[1] is None):
        raise TypeError(
            f"objective.population_gradients and objective.population_hessians must be both methods (the gradient and "
            f"Hessian of the population loss's integrand, see theory.objectives.BaseObjective) or both None; "
            f"{name!r} has {hooks[0]!r:.60} and {hooks[1]!r:.60}"
        )
    return objective if isinstance(objective, BaseObjective) else _WithDefaults(objective)


PROBE_SHAPE: tuple[int, int] = (2, 3)
"""(R, n) of the probe call (:func:`probe`): two replicates of three samples."""


def probe(objective, families: Sequence[Family], seed: int) -> None:
    """Call every member of ``objective`` once on a tiny case of each family and check what it returns.

    On each family's first parameter θ*, with R = 2 replicates of n = 3 exact samples: ``true_params``
    must return a finite real array (q,), q = p + ``len(extra_names)``; ``draw`` a dict of arrays
    with leading axes (R, n); at ϑ* ``losses``, ``gradients`` and ``hessians`` finite real arrays
    (R, n), (R, n, q) and (R, n, q, q), and so the population hooks when given. A member
    that raises, or returns anything else, is a ``TypeError`` (``ValueError`` for non-finite
    values) that says what was expected — before any experiment runs, instead of a numpy error
    from deep inside one. :class:`~theory.objectives.NotApplicable` passes through."""
    replicates, n = PROBE_SHAPE
    for fam in families:
        model, theta = fam.model(), np.array(fam.thetas[0])
        where = f"on {fam.name} at θ* = {fam.thetas[0]}"
        names = objective.param_names(model)
        q = len(names)
        truth = _probe_call(objective, "true_params", "(model, theta)", where, model, theta)
        _probe_array(objective, "true_params", truth, (q,), f"(q,) with q = {q} ({', '.join(names)})", where)
        rng = np.random.default_rng(seed)
        x = model.sample(theta, replicates * n, rng).reshape(replicates, n, model.dim)
        ref = reference(model, theta)
        batch = _probe_call(objective, "draw", "(model, x, rng, reference)", where, model, x, rng, ref)
        if not isinstance(batch, dict) or not all(
            isinstance(v, np.ndarray) and v.shape[:2] == (replicates, n) for v in batch.values()
        ):
            got = {k: getattr(v, "shape", type(v).__name__) for k, v in batch.items()} if isinstance(batch, dict) else batch
            raise TypeError(
                f"objective.draw(model, x, rng, reference) of {objective.name!r} must return the batch, a dict of arrays "
                f"with leading axes (R, n) = {(replicates, n)} for x of shape {x.shape} (e.g. {{'x': x, 'v': noise}}); "
                f"it returned {got!r:.200} {where}"
            )
        params = np.tile(np.asarray(truth, dtype=float), (replicates, 1))
        shapes = {"losses": (replicates, n), "gradients": (replicates, n, q), "hessians": (replicates, n, q, q)}
        for member, shape in shapes.items():
            value = _probe_call(objective, member, "(model, params, batch)", where, model, params, batch)
            _probe_array(objective, member, value, shape, f"(R, n{', q' * (len(shape) - 2)}) = {shape} for params of "
                         f"shape (R, q) = {params.shape} and batch['x'] of shape (R, n, d) = {x.shape}", where)
        if objective.population_gradients is not None:
            for member in ("population_gradients", "population_hessians"):
                value = _probe_call(objective, member, "(model, params, x, reference)", where, model, params, x, ref)
                shape = shapes[member.removeprefix("population_")]
                _probe_array(objective, member, value, shape, f"{shape} for params {params.shape} and x {x.shape}", where)


def _probe_call(objective, member: str, signature: str, where: str, *args):
    """``objective.member(*args)``; what it raises becomes a ``TypeError`` naming the member and the case."""
    try:
        return getattr(objective, member)(*args)
    except NotApplicable:
        raise
    except Exception as error:
        raise TypeError(
            f"objective.{member}{signature} of {objective.name!r} raised {type(error).__name__}"
            f"{f': {error}' if str(error) else ''} — "
            f"called {where} with the shapes of theory.objectives (params (R, q), batch['x'] (R, n, d))"
        ) from error


def _probe_array(objective, member: str, value, shape: tuple[int, ...], expected: str, where: str) -> None:
    """``value`` must be a real ndarray of ``shape`` (``TypeError``) and finite (``ValueError``)."""
    if not (isinstance(value, np.ndarray) and value.dtype.kind in "fiu" and value.shape == shape):
        got = f"an array of shape {value.shape} and dtype {value.dtype}" if isinstance(value, np.ndarray) else f"{value!r:.80}"
        raise TypeError(
            f"objective.{member} of {objective.name!r} must return a real numpy array of shape {expected}; "
            f"it returned {got} {where}"
        )
    if not np.all(np.isfinite(value)):
        raise ValueError(
            f"objective.{member} of {objective.name!r} returned non-finite values {where}, at the true parameter on "
            f"exact samples (shape {expected}): {np.array2string(value.ravel()[:8], precision=4)}"
        )


def _options(profile, seed, efficiency_bound, invariances) -> tuple[RunConfig, float | None, tuple]:
    """The run configuration of ``profile`` and ``seed`` (None: :data:`~checks.config.DEFAULT_SEED`),
    and ``efficiency_bound`` and ``invariances`` validated; errors name them."""
    config = RunConfig(profile=profile) if seed is None else RunConfig(seed=seed, profile=profile)
    if efficiency_bound is not None:
        bound = real_scalar("efficiency_bound", efficiency_bound)
        if not bound >= 1:
            raise ValueError(f"efficiency_bound={efficiency_bound!r} must be >= 1 (the Cramér–Rao bound is 1)")
        efficiency_bound = bound
    if isinstance(invariances, (str, bytes)) or not isinstance(invariances, Iterable):
        raise ValueError(f"invariances must be a sequence of theory.objectives.Invariance, got {invariances!r:.80}")
    invariances = tuple(invariances)
    for invariance in invariances:
        if not all(hasattr(invariance, m) for m in ("name", "statement", "transform", "amounts")):
            raise ValueError(f"invariances must hold theory.objectives.Invariance objects, got {invariance!r:.80}")
    return config, efficiency_bound, invariances


def run_property(
    objective,
    prop: str,
    models: Sequence[Family] | None = None,
    profile: str = "quick",
    *,
    seed: int | None = None,
    efficiency_bound: float | None = None,
    invariances: Sequence = (),
    max_examples: int | None = None,
) -> str:
    """Run one property on its cases; raise :class:`PropertyFailure` at the first failing case, else return a summary.

    Arguments as in :func:`check_objective`; ``prop`` is one of :data:`PROPERTIES` and
    ``max_examples`` an int >= 1 or None (the profile's number, :data:`EXAMPLES`).

    The cases (:func:`~checks.properties.families.plan`): the first family's first parameter,
    then one case of a family with d >= 2 when the objective supports one and ``max_examples >=
    2``, then cases Hypothesis draws from the others. Only the root seed chooses them (Hypothesis
    runs under ``hypothesis.seed``, not its own randomness), so the same seed gives the same cases
    and the same outcome. A failure is reported at the first failing case, without Hypothesis's
    shrinking (each shrinking step is a whole experiment, minutes for a failing fit; the first case
    is the simplest already), and its message ends with the one line that reproduces it.
    Each case runs once: the replay with which Hypothesis reports a failure costs nothing.
    """
    objective = as_objective(objective)
    if not isinstance(prop, str) or prop not in PROPERTIES:
        raise ValueError(f"unknown property {prop!r:.60}; prop must be one of {', '.join(PROPERTIES)}")
    config, efficiency_bound, invariances = _options(profile, seed, efficiency_bound, invariances)
    families = as_families(models)
    if max_examples is not None:
        max_examples = positive_int("max_examples", max_examples)
    declared = tuple(getattr(objective, "invariances", ()) or ()) + invariances
    usable, skipped = supported(families, objective)
    probe(objective, usable, config.seed)
    if prop == "invariances" and not declared:
        return "no invariances declared"
    setting = Setting(objective, {f.name: f for f in families}, config, efficiency_bound)
    check = dict(yield_all_checks())[prop]
    count = EXAMPLES[config.profile][prop] if max_examples is None else max_examples
    case_seed = derive_seed(config.seed, objective.name, prop, "cases")
    chooser = random.Random(case_seed)
    cases = plan(usable, count, chooser)
    # An example is (case,), or (case, invariance, amount) for the invariances.
    first: list[tuple] = [(case,) for case in cases.first]
    rest = None if cases.rest is None else cases.rest.map(lambda case: (case,))
    if prop == "invariances":  # the simplest case with the first amount, a d >= 2 one with a seeded one
        with_amounts = [(first[0][0], declared[0], declared[0].amounts[0])]
        for (case,) in first[1:]:
            invariance = chooser.choice(declared)
            with_amounts.append((case, invariance, chooser.choice(invariance.amounts)))
        first = with_amounts
        if rest is not None:
            rest = st.tuples(rest, st.sampled_from(declared)).flatmap(
                lambda ci: st.sampled_from(ci[1].amounts).map(lambda a, ci=ci: (ci[0][0], ci[1], a))
            )
    drawn = count - len(first)
    results: dict[tuple, str | Exception] = {}  # (case[, invariance name, amount]) -> summary or failure, in the order run

    def run(example):
        key = example if len(example) == 1 else (example[0], example[1].name, example[2])
        if key not in results:
            try:
                results[key] = f"{example[0]}: " + check(setting, *example)
            except Exception as error:  # noqa: BLE001 - kept, and raised again at Hypothesis's replay
                results[key] = error
        if isinstance(results[key], Exception):
            raise results[key]

    run = given(rest if rest is not None else st.sampled_from(first))(run)
    for explicit in reversed(first):  # Hypothesis runs explicit examples last-applied first
        run = hypothesis.example(explicit)(run)
    run = settings(
        max_examples=max(drawn, 1),
        phases=(Phase.explicit, Phase.generate) if drawn > 0 and rest is not None else (Phase.explicit,),
        derandomize=False,  # the seed below chooses the cases, never the test's source or the clock
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )(run)
    run = hypothesis.seed(case_seed)(run)
    try:
        run()
    except Exception as error:
        failed = [(i, key[0]) for i, (key, result) in enumerate(results.items(), 1) if result is error]
        if not failed:
            raise
        [(index, case)] = failed
        where = f"{case} (case {index} of {count}) for {objective.name}"
        line = f"{where}; reproduce with: " + _reproduction(prop, models, config, efficiency_bound, invariances, max_examples)
        if isinstance(error, AssertionError):
            error.args = (f"{error}\n{line}",)
        else:
            error.add_note(line)
        raise
    notes = [f"not applicable to {s}" for s in skipped]
    return "\n".join([str(summary) for summary in results.values()] + notes)


def _reproduction(prop, models, config: RunConfig, efficiency_bound, invariances, max_examples) -> str:
    """The one line that runs ``prop`` again on the same cases with the same numbers."""
    args = ["objective"] + (["models"] if models is not None else []) + [f"profile={config.profile!r}", f"seed={config.seed}"]
    if efficiency_bound is not None:
        args.append(f"efficiency_bound={efficiency_bound!r}")
    if invariances:
        args.append("invariances=invariances")
    if max_examples is not None:
        return f"run_property({args[0]}, {prop!r}, {', '.join(args[1:])}, max_examples={max_examples})"
    return f"check_objective({', '.join(args)}, properties=({prop!r},))"


def check_objective(
    objective,
    models: Sequence[Family] | None = None,
    profile: str = "quick",
    *,
    properties: Sequence[str] = PROPERTIES,
    expected_failures: dict[str, str] | None = None,
    efficiency_bound: float | None = None,
    invariances: Sequence = (),
    seed: int | None = None,
) -> list[Outcome]:
    """Run every property on ``objective``; raise ``AssertionError`` listing the failures.

    ``objective`` is an *instance* implementing :class:`theory.objectives.Objective` (required:
    ``name``, ``losses``, ``gradients``, ``hessians``; ``supports``, ``true_params``, ``draw`` and
    the rest are optional, with :class:`~theory.objectives.BaseObjective`'s defaults). ``models``
    is None (:data:`~checks.properties.DEFAULT_FAMILIES`) or a non-empty sequence of :class:`Family`; ``profile`` is
    ``"quick"`` or ``"full"`` and ``seed`` None (:data:`~checks.config.DEFAULT_SEED`) or an int >= 0
    (together the :class:`~checks.config.RunConfig` of the run); ``properties``
    names from :data:`PROPERTIES`; ``efficiency_bound`` None or a real >= 1. Invalid arguments
    raise ``TypeError``/``ValueError`` naming them, and an objective whose members raise or
    return arrays of the wrong shape or non-finite values on a tiny case (:func:`probe`) one
    that says what was expected, before any experiment runs.

    Each property runs on the cases of :func:`run_property`: the simplest, one with d >= 2 when
    the objective supports one, and cases drawn by Hypothesis under the root seed — so the same
    ``seed`` gives the same cases and the same outcome, and a failure, reported at its first
    failing case, ends with the line that reproduces it.

    ``expected_failures`` maps a property to the reason it is known to fail: it is reported
    as ``expected-failure`` and *must* fail (strict: a pass is an error, like a strict xfail).
    Returns the outcomes when nothing unexpected happened.
    """
    objective = as_objective(objective)
    as_families(models)
    _options(profile, seed, efficiency_bound, invariances)
    if isinstance(properties, (str, bytes)) or not isinstance(properties, Iterable):
        raise ValueError(f"properties must be a sequence of names from {', '.join(PROPERTIES)}, got {properties!r:.80}")
    properties = tuple(properties)
    unknown_properties = [p for p in properties if not isinstance(p, str) or p not in PROPERTIES]
    if unknown_properties:
        raise ValueError(f"properties names unknown properties {unknown_properties!r:.80}; choose from {', '.join(PROPERTIES)}")
    if expected_failures is not None and not isinstance(expected_failures, dict):
        raise ValueError(f"expected_failures must be a dict {{property: reason}}, got {expected_failures!r:.80}")
    expected = dict(expected_failures or {})
    unknown = set(expected) - set(PROPERTIES)
    if unknown:
        raise ValueError(f"expected_failures names unknown properties {sorted(unknown, key=repr)}; choose from {', '.join(PROPERTIES)}")
    outcomes = []
    for prop in properties:
        try:
            message = run_property(
                objective, prop, models, profile, seed=seed, efficiency_bound=efficiency_bound, invariances=invariances
            )
            status = "unexpected-pass" if prop in expected else "passed"
            if prop in expected:
                message = f"declared as a known failure ({expected[prop]}) but passed:\n{message}"
        except NotApplicable as error:
            status, message = "not-applicable", str(error)
        except AssertionError as error:
            status = "expected-failure" if prop in expected else "failed"
            message = (f"known failure ({expected[prop]}): " if prop in expected else "") + str(error)
        outcomes.append(Outcome(objective.name, prop, status, message))
    bad = [o for o in outcomes if o.status in ("failed", "unexpected-pass")]
    if bad:
        raise AssertionError("\n\n".join(f"[{o.objective} :: {o.property}] {o.status}: {o.message}" for o in bad))
    return outcomes

