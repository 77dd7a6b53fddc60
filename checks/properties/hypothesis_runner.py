"""The Hypothesis runner: :func:`run_property` runs one property, :func:`check_objective` all of them.

Hypothesis chooses the *case* — a model family and its true parameter, from readable grids so
that a failure shrinks to a small counterexample — and the check of :mod:`.checks` runs its
seeded experiment on it. The number of examples per property is the profile's
(:data:`EXAMPLES`). Arguments are validated, with errors that name them, before any experiment runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.properties.checks import PROPERTIES, Setting, yield_all_checks
from ebmcheck.checks.properties.families import Family, as_families, cases
from ebmcheck.theory.objectives import REQUIRED_MEMBERS, BaseObjective, FiniteDifferenceObjective, NotApplicable
from ebmcheck.theory.validation import positive_int, real_scalar

# Hypothesis examples per property and profile: modest for the statistical ones.
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

    ``TypeError`` for a class passed instead of an instance, or for an object without the required
    members (:data:`theory.objectives.REQUIRED_MEMBERS`: ``name``, ``losses``, ``gradients``,
    ``hessians``), listing those it lacks. Optional members take :class:`BaseObjective`'s defaults."""
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
    for member in ("supports", "true_params", "draw"):
        if hasattr(objective, member) and not callable(getattr(objective, member)):
            raise TypeError(f"objective.{member} must be a method (see theory.objectives.Objective), got {getattr(objective, member)!r}")
    return objective if isinstance(objective, BaseObjective) else _WithDefaults(objective)


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
    """Run one property with Hypothesis; raise :class:`PropertyFailure` with the shrunk case, else return a summary.

    Arguments as in :func:`check_objective`; ``prop`` is one of :data:`PROPERTIES` and
    ``max_examples`` an int >= 1 or None (the profile's number)."""
    objective = as_objective(objective)
    if not isinstance(prop, str) or prop not in PROPERTIES:
        raise ValueError(f"unknown property {prop!r:.60}; prop must be one of {', '.join(PROPERTIES)}")
    config, efficiency_bound, invariances = _options(profile, seed, efficiency_bound, invariances)
    families = as_families(models)
    if max_examples is not None:
        max_examples = positive_int("max_examples", max_examples)
    declared = tuple(getattr(objective, "invariances", ()) or ()) + invariances
    setting = Setting(objective, {f.name: f for f in families}, config, efficiency_bound)
    check = dict(yield_all_checks())[prop]
    strategy, skipped = cases(families, objective)
    examples = EXAMPLES[config.profile][prop] if max_examples is None else max_examples
    summaries: list[str] = []
    options = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    if prop == "invariances":
        if not declared:
            return "no invariances declared"
        strategy = st.tuples(strategy, st.sampled_from(declared)).flatmap(
            lambda ci: st.sampled_from(ci[1].amounts).map(lambda a, ci=ci: (ci[0], ci[1], a))
        )

        @options
        @given(strategy)
        def run(example):
            case, invariance, amount = example
            summaries.append(f"{case}: " + check(setting, case, invariance, amount))

    else:

        @options
        @given(strategy)
        def run(case):
            summaries.append(f"{case}: " + check(setting, case))

    run()
    notes = [f"not applicable to {s}" for s in skipped]
    return "\n".join(summaries + notes)


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
    raise ``TypeError``/``ValueError`` naming them before any experiment runs.

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

