"""The property runner of checks.properties: the root seed alone chooses the cases, every property
runs a case with d >= 2, a failure is reported at once with the line that reproduces it, and an
objective that breaks the protocol gets one clear error before any experiment runs."""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy as sp

from ebmcheck.checks.properties import DEFAULT_FAMILIES, EXAMPLES, SIZES, check_objective, run_property
from ebmcheck.theory.objectives import FiniteDifferenceObjective, ScoreMatching, _symbolic, built_in_objectives


class CrossTermScoreMatching(ScoreMatching):
    r"""½|s|² + Σᵢⱼ ∂ⱼsᵢ: the Laplacian Σᵢ ∂ᵢsᵢ with the cross terms i ≠ j added — right in 1-D only.

    On the 2-D Gaussian the extra term is −2Λ₁₂, so the population gradient in Λ₁₂ is −2 at θ*.
    It records the shape of the data of every ``draw``: one per experiment (and per probe)."""

    name = "broken: score matching, cross terms in the Laplacian"

    def __init__(self):
        self.draws: list[tuple[str, tuple[int, ...]]] = []

    def _build(self, model):
        score = model.score_expr
        cross = sum(sp.diff(score[i], xj) for i in range(model.dim) for xj in model.x)
        return _symbolic(sp.Rational(1, 2) * sum(s**2 for s in score) + cross, model.x, model.theta)

    def draw(self, model, x, rng, reference):
        self.draws.append((model.name, np.shape(x)))
        return super().draw(model, x, rng, reference)


def _cases(summary: str) -> list[str]:
    return [line.split(": ", 1)[0] for line in summary.splitlines()]


# ---- item 2: the root seed alone chooses the cases -------------------------------------------------
def test_the_root_seed_alone_chooses_the_cases_and_the_outcome():
    runs = {seed: [run_property(ScoreMatching(), "unbiased-gradient", seed=seed) for _ in range(2)] for seed in (1, 2, 3)}
    for seed, (first, again) in runs.items():
        assert first == again, f"seed {seed} drew two case lists:\n{first}\n---\n{again}"
    assert len({tuple(_cases(first)) for first, _ in runs.values()}) > 1, "every seed drew the same cases"


# ---- item 3: every property runs a case with d >= 2 ---------------------------------------------------
def test_every_property_plans_a_case_with_d_at_least_2_when_the_objective_supports_one():
    from ebmcheck.checks.properties.families import plan  # noqa: PLC0415 - new in issue 16

    for profile, counts in EXAMPLES.items():
        for prop, count in counts.items():
            for seed in range(10):
                cases = plan(DEFAULT_FAMILIES, count, random.Random(seed)).first
                assert cases[0].family == DEFAULT_FAMILIES[0].name and cases[0].theta == DEFAULT_FAMILIES[0].thetas[0]
                assert cases[1].family == "gaussian-2d", (profile, prop, seed, cases)
    one_dimensional = DEFAULT_FAMILIES[:4]
    assert [c.family for c in plan(one_dimensional, 6, random.Random(0)).first] == ["gaussian-1d"]
    assert [c.family for c in plan(DEFAULT_FAMILIES, 1, random.Random(0)).first] == ["gaussian-1d"]
    two_first = (DEFAULT_FAMILIES[4], *DEFAULT_FAMILIES[:4])
    assert [c.family for c in plan(two_first, 6, random.Random(0)).first] == ["gaussian-2d"]


def test_a_bug_in_the_cross_terms_of_d_above_1_is_caught_at_every_seed_with_the_default_families():
    for seed in range(1, 11):
        with pytest.raises(AssertionError, match=r"(?s)fisher-consistency\] failed: .* on gaussian-2d .*∂/∂Lambda12"):
            check_objective(CrossTermScoreMatching(), properties=("fisher-consistency",), seed=seed)


def test_two_cases_are_enough_to_reach_d_at_least_2():
    """As asymptotic normality's two cases in the quick profile: the second is 2-D at every seed."""
    for seed in range(1, 6):
        summary = run_property(ScoreMatching(), "invariances", seed=seed, max_examples=2)
        assert [case.split(",")[0] for case in _cases(summary)] == ["Case(gaussian-1d", "Case(gaussian-2d"], summary


# ---- item 6: a failure is reported at its first failing case, with the line that reproduces it --------
def test_a_failure_runs_each_case_once_and_prints_the_line_that_reproduces_it():
    """The cross-term bug is a population-level error (fisher-consistency catches it; the
    minibatch estimator is unbiased for that wrong population gradient, so unbiased-gradient does
    not): the 1-D case passes, the 2-D case fails, and nothing is shrunk or replayed."""
    objective = CrossTermScoreMatching()
    calls = []
    objective.population_gradients = lambda model, *args: calls.append(model.name) or ScoreMatching.population_gradients(
        objective, model, *args)
    with pytest.raises(AssertionError) as caught:
        run_property(objective, "fisher-consistency", seed=7)
    # Runs of calls per family: first the probe (one per supported family), then the experiments.
    runs = [name for i, name in enumerate(calls) if i == 0 or calls[i - 1] != name]
    assert runs[-2:] == ["gaussian-1d", "gaussian-2d"] and runs.count("gaussian-2d") == 2, runs  # probe + one experiment
    message = str(caught.value)
    last = message.splitlines()[-1]
    assert "(case 2 of 6)" in last and "Case(gaussian-2d" in last, message
    call = last.split("reproduce with: ", 1)[1]
    assert call == "check_objective(objective, profile='quick', seed=7, properties=('fisher-consistency',))"
    with pytest.raises(AssertionError) as again:
        eval(call, {"check_objective": check_objective, "objective": CrossTermScoreMatching()})  # noqa: S307
    assert message in str(again.value)


# ---- item 8: misuse gives one clear error before any experiment ----------------------------------------
class _Loss(FiniteDifferenceObjective):
    """Score matching's loss by finite differences, for the misuse variants below."""

    name = "user objective"

    def losses(self, model, params, batch):
        return ScoreMatching().losses(model, params, batch)


class _NoLoss(FiniteDifferenceObjective):
    name = "user objective without losses"


class _FlatLoss(_Loss):
    def losses(self, model, params, batch):
        return super().losses(model, params, batch).sum(axis=-1)  # (R,)


class _TrailingAxisLoss(_Loss):
    def losses(self, model, params, batch):
        return super().losses(model, params, batch)[..., None]  # (R, n, 1)


class _LossNotImplemented(_Loss):
    def losses(self, model, params, batch):
        raise NotImplementedError("to do")


class _NaNLoss(_Loss):
    def losses(self, model, params, batch):
        return np.full(np.shape(batch["x"])[:2], np.nan)


class _GradientWithoutParameterAxis(_Loss):
    def gradients(self, model, params, batch):
        return super().gradients(model, params, batch).sum(axis=-1)  # (R, n)


class _HessianAsList(_Loss):
    def hessians(self, model, params, batch):
        return super().hessians(model, params, batch).tolist()


class _DrawArray(_Loss):
    def draw(self, model, x, rng, reference):
        return x


class _DrawUnbatched(_Loss):
    def draw(self, model, x, rng, reference):
        return {"x": x, "v": rng.standard_normal(x.shape[-1])}  # one direction for all samples: (d,)


class _TrueParamsBatched(_Loss):
    def true_params(self, model, theta):
        return np.asarray(theta)[None]  # (1, p)


class _ExtraNamesString(_Loss):
    extra_names = "c"


class _OneHook(_Loss):
    def population_gradients(self, model, params, x, reference):
        return self.gradients(model, params, {"x": x})


class _Plain:
    name = "plain"


MISUSE = {  # id: (objective, error, message)
    "losses-missing": (_NoLoss(), TypeError, r"lacks: losses \(FiniteDifferenceObjective needs your per-sample losses\)"),
    "plain-object": (object(), TypeError, r"Objective protocol .* lacks: name \(a non-empty str\), losses, gradients, hessians"),
    "name-only": (_Plain(), TypeError, r"lacks: losses, gradients, hessians"),
    "a-class": (_Loss, TypeError, r"must be an instance, got the class _Loss"),
    "losses-(R,)": (_FlatLoss(), TypeError, r"losses .* shape \(R, n\) = \(2, 3\) .* returned an array of shape \(2,\)"),
    "losses-(R,n,1)": (
        _TrailingAxisLoss(), TypeError, r"losses .* shape \(R, n\) = \(2, 3\) .* returned an array of shape \(2, 3, 1\)"
    ),
    "losses-raise": (_LossNotImplemented(), TypeError, r"losses\(.*\) of 'user objective' raised NotImplementedError: to do"),
    "losses-nan": (_NaNLoss(), ValueError, r"objective.losses .* returned non-finite values on gaussian-1d"),
    "gradients-(R,n)": (
        _GradientWithoutParameterAxis(), TypeError, r"objective.gradients .* \(R, n, q\) = \(2, 3, 2\) .* array of shape \(2, 3\)"
    ),
    "hessians-list": (_HessianAsList(), TypeError, r"hessians .* a real numpy array of shape \(R, n, q, q\) = \(2, 3, 2, 2\)"),
    "draw-array": (_DrawArray(), TypeError, r"draw\(model, x, rng, reference\) .* must return the batch, a dict of arrays"),
    "draw-unbatched": (_DrawUnbatched(), TypeError, r"objective.draw.* leading axes \(R, n\) = \(2, 3\) .* 'v': \(1,\)"),
    "true_params-(1,p)": (
        _TrueParamsBatched(), TypeError, r"objective.true_params .* \(q,\) with q = 2 \(mu1, Lambda11\); it returned .* \(1, 2\)"
    ),
    "extra_names-str": (_ExtraNamesString(), TypeError, r"objective.extra_names must be a tuple of str"),
    "one-hook": (_OneHook(), TypeError, r"population_gradients and .*population_hessians must be both methods .* or both None"),
}


@pytest.mark.parametrize(("objective", "error", "message"), MISUSE.values(), ids=MISUSE.keys())
def test_misuse_gives_one_clear_error(objective, error, message):
    with pytest.raises(error, match=message):
        check_objective(objective, properties=("unbiased-gradient",))


def test_misuse_is_refused_by_the_sweep_and_the_pytest_adapter_too():
    from ebmcheck.checks.properties import parametrize_with_checks, sweep  # noqa: PLC0415

    with pytest.raises(TypeError, match="must implement the Objective protocol"):
        sweep([object()], [1])
    with pytest.raises(TypeError, match="must implement the Objective protocol"):
        parametrize_with_checks([_Plain()])


def test_a_correct_objective_passes_the_probe_on_every_family_it_supports():
    from ebmcheck.checks.properties import probe  # noqa: PLC0415 - new in issue 16
    from ebmcheck.checks.properties.families import supported  # noqa: PLC0415

    for objective in (*built_in_objectives(), _Loss()):
        usable, _ = supported(DEFAULT_FAMILIES, objective)
        probe(objective, usable, seed=0)
