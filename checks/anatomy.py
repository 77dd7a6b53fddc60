r"""The anatomy of a claim: source, derivation, checks with negative controls, verdict.

Two kinds of check
------------------
A **statistical** check (Monte Carlo: replicates, chains, batch means) is a two-sided z-test:
the prediction is accepted when

.. math:: |\hat m - m_{\text{pred}}| \le z_{\alpha/2}\,\widehat{\mathrm{se}},

with :math:`\widehat{\mathrm{se}}` measured by the experiment itself, at the per-check
false-alarm rate :data:`ALPHA` = 1e-4 (:math:`z_{\alpha/2} \approx 3.89`). Its *resolution* is
the smallest discrepancy it detects with probability :math:`1-\beta` (:data:`BETA` = 1e-4):
:math:`(z_{\alpha/2} + z_\beta)\,\widehat{\mathrm{se}} \approx 7.6\,\widehat{\mathrm{se}}`. The
suite's false-alarm budget is :math:`\sum\alpha` over statistical checks only.

A **numerical** check (quadrature, ODE solve, root finding) is not a test with a false-alarm
rate: it passes when :math:`|\text{value} - m_{\text{pred}}|` is within its error bound,
:data:`NUMERICAL_SAFETY` times the estimated numerical error, floored by rounding at the scale
of the check (:data:`ROUNDING` relative to the largest magnitude among prediction, value and
control); its resolution is that bound, and it reports agreement in significant digits.

A **one-sided** statistical check tests a statement that bounds a quantity on one side, "m ≥ m₀"
(``ZTest(..., alternative="greater")``) or "m ≤ m₀" (``alternative="less"``): "m ≥ m₀" is accepted
unless :math:`z = (\hat m - m_0)/\widehat{\mathrm{se}} < -z_\alpha` (critical value
:math:`z_\alpha \approx 3.72`, not :math:`z_{\alpha/2}`), so its false-alarm rate is at most α at the
boundary m = m₀ and smaller inside; its resolution is :math:`(z_\alpha + z_\beta)\,\widehat{\mathrm{se}}`,
the shortfall below m₀ it detects with probability 1 − β. Its negative control is a bound on the
wrong side of the truth (for "m ≥ m₀", a level above the true m) that the experiment must reject.

Every check carries a **negative control** — a plausible wrong prediction — that the same
experiment must reject; a surviving control means no power. A control's *distance* is
:math:`|m_{\text{control}} - m_{\text{pred}}|` in units of the check's resolution; every claim
needs a *near* control (:data:`NEAR_CONTROL`).

The verdict rule (applied by :func:`judge`, never by whoever declares a claim)
------------------------------------------------------------------------------
A check's prediction comes from the statement as printed (``evidence="statement"``, the default
for a claim without a correction), from the claim's corrected statement (``"corrected"``, the
default when the claim has one) or from a sharper form of a true statement (``"sharpening"``).
A check whose control *is* the statement as printed says so (``control_is_statement``).

1. ``inconclusive`` when the evidence cannot tell: a derivation step failed or is undecided, a
   check diverged, a control survived (no power), or a statistical failure was not confirmed on
   fresh, independent data (the claim's confirmation stream, :data:`CONFIRMATION`).
2. ``refuted`` only when the statement *as written* is false: a check of it fails, or a control
   that is the printed statement is rejected — for a statistical check on the primary **and** the
   confirmation data — and the claim's corrected statement is derived and every check of it
   passes. A claim whose printed statement no check rejects is not refuted, whatever its
   ``corrected`` field says. ``Claim.typo`` marks a refutation by a misprint that changes the
   result ("refuted (typo)").
3. ``verified`` (``verified-with-conditions`` when the claim names conditions) when every check
   of the statement as written — and of its sharpening, if any — passes. A true statement that
   is weaker than it could be is verified; its sharper form is a *sharpening*, never an erratum.
4. A confirmed failure of a statement for which no corrected statement is derived is
   ``inconclusive`` ("rejected on fresh data; no corrected statement derived").

A false ``refuted`` needs the same true statement rejected on two independent draws: at most
:math:`n\alpha^2` per claim for :math:`n` statistical checks carrying the refutation (reported
per claim as ``false_refutation_bound``).

When even the sharpest statistical check of a claim is coarser than the claim says its statement
needs (``Claim.required_resolution``), the verdict line says so ("verified at 23% resolution;
the statement needs 10%").
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from scipy import stats

from ebmcheck.derivations.steps import Depth, Derivation, StepResult
from ebmcheck.theory.backend import Backend, derive_seed, get_backend

if TYPE_CHECKING:  # checks.config imports this module
    from ebmcheck.checks.config import RunConfig

ALPHA = 1e-4
BETA = 1e-4
"""Miss probability at which a statistical check's resolution is stated."""
NUMERICAL_SAFETY = 10.0
"""A numerical check passes within this many estimated numerical errors (error estimates of
quadrature and ODE rules are themselves rough: a factor 10 keeps a true prediction in)."""
ROUNDING = 64 * 2.0**-52
"""Floor of a numerical check's error bound, relative to the check's scale (64 ulps)."""
NEAR_CONTROL = 10.0
"""A control within this many resolutions of the prediction is *near*: it tests the statement's
precision, not only that the experiment can tell anything apart."""
CONFIRMATION = "confirmation"
"""The name of the independent random stream on which a statistical failure is confirmed."""
Verdict = Literal["verified", "verified-with-conditions", "refuted", "inconclusive"]
Kind = Literal["statistical", "numerical"]
Alternative = Literal["two-sided", "greater", "less"]
ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")
Evidence = Literal["statement", "corrected", "sharpening"]
Profile = Literal["quick", "full"]
PROFILES: tuple[str, ...] = ("quick", "full")


def critical_z(alpha: float = ALPHA, alternative: Alternative = "two-sided") -> float:
    """Critical value: :math:`z_{\\alpha/2}` for a two-sided test, :math:`z_\\alpha` for a one-sided one."""
    _require_alternative(alternative)
    return float(stats.norm.isf(alpha / 2)) if alternative == "two-sided" else float(stats.norm.isf(alpha))


def _require_alternative(alternative: str) -> None:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")


def kind_of(error_kind: str) -> Kind:
    """Monte Carlo errors ("monte-carlo…") make a statistical check; quadrature, ODE and other
    numerical error estimates a numerical one."""
    return "statistical" if str(error_kind).startswith("monte-carlo") else "numerical"


def power_z(alpha: float = ALPHA, beta: float = BETA, alternative: Alternative = "two-sided") -> float:
    r""":math:`z_{\alpha/2} + z_\beta` (one-sided: :math:`z_\alpha + z_\beta`): a discrepancy of this many
    standard errors (one-sided: on the side the statement excludes) is detected with probability
    :math:`1-\beta` (normal approximation)."""
    return critical_z(alpha, alternative) + float(stats.norm.isf(beta))


@dataclass(frozen=True)
class ZTest:
    """An estimate with its standard error held against a prediction.

    ``log_scale``: the test is on :math:`\\log\\hat m` with the delta-method error
    :math:`\\widehat{\\mathrm{se}}/\\hat m`, for a positive quantity (a variance, a trace) estimated by a
    mean of skewed, chi-square-like values, whose studentized mean is far from normal in the low
    tail; on the log scale it is much closer (``benchmarks/bench_sequential.py`` measures both).

    ``alternative``: which statement about the quantity *m* the prediction :math:`m_0` stands for —
    ``"two-sided"`` (the default): m = m₀; ``"greater"``: m ≥ m₀, rejected only when
    :math:`z < -z_\\alpha`; ``"less"``: m ≤ m₀, rejected only when :math:`z > z_\\alpha`. (It names the
    side the *statement* puts m on — the null hypothesis — not scipy's alternative hypothesis.)
    """

    prediction: float
    estimate: float
    standard_error: float
    log_scale: bool = False
    alternative: Alternative = "two-sided"

    def __post_init__(self) -> None:
        _require_alternative(self.alternative)

    @property
    def statistic(self) -> float:
        """:math:`z = (\\hat m - m_{\\text{pred}})/\\widehat{\\mathrm{se}}`, or on the log scale
        :math:`z = \\log(\\hat m/m_{\\text{pred}})\\,\\hat m/\\widehat{\\mathrm{se}}`; NaN if undefined
        (on the log scale also when the estimate or the prediction is not positive)."""
        if not self.finite or self.standard_error <= 0:
            return math.nan
        if self.log_scale:
            if self.estimate <= 0 or self.prediction <= 0:
                return math.nan
            return math.log(self.estimate / self.prediction) * self.estimate / self.standard_error
        return (self.estimate - self.prediction) / self.standard_error

    @property
    def finite(self) -> bool:
        return all(math.isfinite(v) for v in (self.prediction, self.estimate, self.standard_error))


@dataclass(frozen=True)
class Check:
    """One check: a test of the prediction plus its negative control.

    ``control`` usually shares the estimate and differs in the prediction; when the wrong
    alternative is a different statistic of the same data (e.g. a variant of an identity),
    it carries its own estimate and standard error. ``error_kind`` decides the kind: Monte Carlo
    errors ("monte-carlo…") make a statistical check, numerical error estimates ("quadrature",
    "ode", …) a numerical one. ``evidence`` says which statement the prediction comes from
    (None: the claim's corrected statement if it has one, else the statement as printed), and
    ``control_is_statement`` that the control is the statement as printed.
    """

    name: str
    quantity: str  # what is estimated, LaTeX
    test: ZTest
    control: ZTest
    control_label: str  # what the negative control is, in words
    error_kind: str = "monte-carlo"  # or "quadrature", "ode", "finite-difference", ...
    alpha: float = ALPHA
    details: dict[str, Any] = field(default_factory=dict)
    evidence: Evidence | None = None
    control_is_statement: bool = False
    sequential: str | None = None  # a sequential check's stopping reason (checks.sequential); None: fixed size
    resolution_reached: float | None = None  # a sequential check's r_t + z_β σ̂_t/√t (log scale: over m̂); None: (z_α/2 + z_β)·SE

    @property
    def kind(self) -> Kind:
        return kind_of(self.error_kind)

    @property
    def alternative(self) -> Alternative:
        """"two-sided", or the side of a one-sided check's statement ("greater": m ≥ m₀; "less": m ≤ m₀).
        The control is judged by its own ``alternative``: usually the same side (a bound on the wrong
        side of the truth), or the opposite one when the wrong statement bounds the other way (the
        printed "the chain is ergodic: escape probability ≤ 0.01" against a measured escape)."""
        return self.test.alternative

    @property
    def threshold(self) -> float:
        """The |z| at which the prediction is rejected: z_{α/2} (one-sided: z_α, on the excluded
        side only), or the numerical safety factor."""
        return self._threshold(self.test)

    def _threshold(self, test: ZTest) -> float:
        return critical_z(self.alpha, test.alternative) if self.kind == "statistical" else NUMERICAL_SAFETY

    @property
    def scale(self) -> float:
        """The largest finite magnitude among prediction, estimate and the control's."""
        values = (self.test.prediction, self.test.estimate, self.control.prediction, self.control.estimate)
        return max((abs(v) for v in values if math.isfinite(v)), default=0.0)

    def bound(self, test: ZTest) -> float:
        """Largest |estimate − prediction| accepted: z_{α/2}·SE (statistical), or the numerical
        error × safety factor floored by rounding at the check's scale (numerical)."""
        if self.kind == "statistical":
            return self._threshold(test) * test.standard_error
        return max(NUMERICAL_SAFETY * test.standard_error, ROUNDING * self.scale)

    @property
    def diverged(self) -> bool:
        """The experiment produced non-finite numbers (e.g. a sampler blew up)."""
        return not (self.test.finite and self.control.finite)

    def _accepts(self, test: ZTest) -> bool:
        if self.kind == "statistical" and not test.standard_error > 0:
            return False
        if test.alternative != "two-sided":
            return self._accepts_one_sided(test)
        if test.log_scale:
            return abs(test.statistic) <= self.threshold  # NaN (a non-positive value) is not accepted
        return abs(test.estimate - test.prediction) <= self.bound(test)

    def _accepts_one_sided(self, test: ZTest) -> bool:
        """m ≥ m₀ ("greater") is accepted unless the estimate falls more than the bound below m₀
        (z < −z_α); m ≤ m₀ ("less") unless it lies more than the bound above (z > z_α)."""
        if test.log_scale:
            shortfall, limit = test.statistic, self._threshold(test)  # NaN compares False: not accepted
        else:
            shortfall, limit = test.estimate - test.prediction, self.bound(test)
        return shortfall >= -limit if test.alternative == "greater" else shortfall <= limit

    @property
    def passed(self) -> bool:
        return not self.diverged and self._accepts(self.test)

    @property
    def control_rejected(self) -> bool:
        return not self.diverged and not self._accepts(self.control)

    @property
    def resolution(self) -> float:
        """Smallest |prediction error| detected with probability 1 − β (statistical:
        (z_{α/2} + z_β)·SE), or the numerical error bound (numerical)."""
        if self.kind == "statistical":
            if self.test.log_scale:  # the relative error e^k − 1 with k the log-scale resolution
                return abs(self.test.prediction) * math.expm1(self._log_resolution(self.test))
            if self.resolution_reached is not None:
                return self.resolution_reached
            return power_z(self.alpha, alternative=self.alternative) * self.test.standard_error
        return self.bound(self.test)

    def _log_resolution(self, test: ZTest) -> float:
        """The resolution of a log-scale test in units of log m: (z_{α/2} + z_β)·se/m̂, or what a
        sequential check reached on the test's own estimate (its radius over m̂ plus z_β σ̂/(m̂√t),
        narrower than the first, whose se is the radius over z_{α/2})."""
        if test is self.test and self.resolution_reached is not None:
            return self.resolution_reached
        z = power_z(self.alpha, alternative=test.alternative)
        return z * test.standard_error / test.estimate if test.estimate > 0 else math.inf

    @property
    def relative_resolution(self) -> float:
        """:attr:`resolution` relative to |prediction|; NaN where |prediction| is within one
        resolution of zero (an off-diagonal entry near 0: a relative error means nothing there)."""
        resolution, prediction = self.resolution, abs(self.test.prediction)
        if self.test.log_scale and self.kind == "statistical":
            return math.expm1(self._log_resolution(self.test))  # a positive quantity: relative error is always meaningful
        return resolution / prediction if prediction > resolution else math.nan

    @property
    def has_own_estimate(self) -> bool:
        """The control is another statistic of the data (not the same estimate against another prediction)."""
        return self.control.estimate != self.test.estimate or self.control.standard_error != self.test.standard_error

    @property
    def control_distance(self) -> float:
        """How far the control is from the truth the data show, in resolutions:
        |control prediction − prediction| / resolution when the control shares the estimate; for a
        control with its own statistic, or a one-sided control on the other side of the test's bound,
        |its estimate − its prediction| in its own resolutions."""
        if self.test.log_scale and self.kind == "statistical":
            # the same two cases on the log scale: log-ratios in units of the log-scale resolution
            test, reference = (self.control, self.control.estimate) if self.has_own_estimate else (self.test, self.test.prediction)
            if min(self.control.prediction, reference, test.estimate) <= 0:
                return math.nan
            return abs(math.log(self.control.prediction / reference)) / self._log_resolution(test)
        opposite = self.control.alternative != self.test.alternative and "two-sided" not in (
            self.control.alternative, self.test.alternative)
        if self.has_own_estimate or opposite:
            # a control on the other side of the same bound shares it: its distance is where the data sit
            gap = abs(self.control.estimate - self.control.prediction)
            if self.kind == "statistical":
                resolution = power_z(self.alpha, alternative=self.control.alternative) * self.control.standard_error
            else:
                resolution = self.bound(self.control)
        else:
            gap, resolution = abs(self.control.prediction - self.test.prediction), self.resolution
        return gap / resolution if resolution > 0 else math.inf

    @property
    def agreement_digits(self) -> float:
        """Significant digits on which value and prediction agree (numerical checks)."""
        difference = abs(self.test.estimate - self.test.prediction)
        scale = self.scale
        if not scale or not math.isfinite(difference):
            return math.nan
        return min(16.0, -math.log10(max(difference / scale, 1e-16)))

    def to_json(self) -> dict[str, Any]:
        # "alternative" is written only for a one-sided check (absent: two-sided), so that results
        # written before one-sided checks existed reproduce key for key
        sided = {} if self.alternative == "two-sided" else {"alternative": self.alternative}
        return {
            "name": self.name,
            "quantity": self.quantity,
            "kind": self.kind,
            "evidence": self.evidence,
            "prediction": _number(self.test.prediction),
            "estimate": _number(self.test.estimate),
            "standard_error": _number(self.test.standard_error),
            "error_kind": self.error_kind,
            "scale": "log" if self.test.log_scale else "linear",
            "statistic": _number(self.test.statistic),
            "threshold": self.threshold,
            **sided,
            "alpha": self.alpha if self.kind == "statistical" else None,
            "resolution": _number(self.resolution),
            "resolution_reached": _number(self.resolution_reached) if self.resolution_reached is not None else None,
            "relative_resolution": _number(self.relative_resolution),
            "passed": bool(self.passed),
            "diverged": bool(self.diverged),
            "sequential": self.sequential,
            "negative_control": {
                "label": self.control_label,
                "is_statement_as_printed": self.control_is_statement,
                "prediction": _number(self.control.prediction),
                "estimate": _number(self.control.estimate),
                "standard_error": _number(self.control.standard_error),
                "statistic": _number(self.control.statistic),
                "distance_in_resolutions": _number(self.control_distance),
                "rejected": bool(self.control_rejected),
            },
            "details": {k: _jsonable(v) for k, v in self.details.items()},
        }


def printed_statement_controls(checks: list[Check], label_part: str) -> list[Check]:
    """``checks`` with ``control_is_statement`` set where the control label contains ``label_part``:
    those controls are the source's statement as printed, and their rejection can refute it."""
    return [dataclasses.replace(c, control_is_statement=True) if label_part in c.control_label else c for c in checks]


def mean_and_standard_error(samples, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sample mean and its standard error :math:`s/\\sqrt n` along ``axis``."""
    samples = np.asarray(samples, dtype=float)
    n = samples.shape[axis]
    if n < 2:
        raise ValueError(f"need at least 2 samples for a standard error, got {n}")
    return samples.mean(axis=axis), samples.std(axis=axis, ddof=1) / math.sqrt(n)


def t_corrected_mean(values) -> tuple[float, float]:
    r"""Replicate mean and its standard error scaled for Student's t with R − 1 degrees of freedom.

    With few replicates the studentized mean follows :math:`t_{R-1}`, whose tail at the suite's
    critical value 3.89 is far heavier than the normal's (R = 16: about 1.5e-3, not 1e-4). The
    returned error is :math:`s/\sqrt R \cdot t_{R-1,1-\alpha/2}/z_{1-\alpha/2}`, so that the suite's
    z-test has exactly level α for normal replicates.
    """
    values = np.asarray(values, dtype=float)
    count = values.size
    if count < 2:
        raise ValueError(f"need at least 2 replicates, got {count}")
    factor = stats.t.isf(ALPHA / 2, count - 1) / critical_z(ALPHA)
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(count) * factor)


@dataclass(frozen=True)
class Source:
    """Where a statement comes from, and the statement as written there (LaTeX)."""

    seed_file: str  # e.g. "003" — the file in ../shared/seeds/ whose name starts with it
    location: str  # equation, slide, theorem
    statement: str  # as written in the source, LaTeX


@dataclass(frozen=True)
class NotEncoded:
    """A statement of a source that is deliberately not a claim, and why (purely historical,
    qualitative, a definition with nothing to check, or covered by another claim: then ``reason``
    names it). The index lists them, so that "every statement is a claim or listed" is checkable."""

    source: Source
    reason: str


@dataclass
class Context:
    """What a check needs to run: the run's :class:`~checks.config.RunConfig`, its array backend
    and a seeded generator per check.

    ``backend`` is the :class:`~theory.backend.Backend` the configuration names, resolved on
    construction (``BackendUnavailable`` when it cannot run)."""

    claim_id: str
    config: RunConfig
    stream: str = ""  # "" for the primary data; CONFIRMATION for fresh, independent data
    figures: list[tuple[str, Any, str]] = field(default_factory=list)  # (filename, figure, caption)
    backend: Backend = field(init=False)
    last_check: str | None = field(default=None, init=False)  # the last check that drew a stream: named when a check raises

    def __post_init__(self) -> None:
        self.backend = get_backend(self.config.backend)

    @property
    def profile(self) -> str:
        """The configuration's profile (``"quick"`` or ``"full"``)."""
        return self.config.profile

    def _key(self, check_name: str) -> tuple[str, ...]:
        return (self.claim_id, check_name) if not self.stream else (self.claim_id, self.stream, check_name)

    def rng(self, check_name: str) -> np.random.Generator:
        """The host (numpy) generator of check ``check_name``, independent of every other check
        and of the same check on another stream."""
        self.last_check = check_name
        return np.random.default_rng(derive_seed(self.config.seed, *self._key(check_name)))

    def device_rng(self, check_name: str):
        """The generator of check ``check_name`` on the array backend (numpy or cupy)."""
        self.last_check = check_name
        return self.backend.rng(self.config.seed, *self._key(check_name))

    @property
    def xp(self):
        """The backend's array namespace."""
        return self.backend.xp

    def size(self, quick: int, full: int) -> int:
        """Pick an experiment size by the configuration's profile."""
        return quick if self.config.profile == "quick" else full

    def add_figure(self, name: str, figure, caption: str) -> None:
        """Attach a matplotlib figure; the report saves it as ``figures/<claim id>-<name>.png``."""
        self.figures.append((f"{self.claim_id}-{name}.png", figure, caption))


@dataclass(frozen=True)
class Claim:
    """A claim from a source, with its derivation, its checks and its recorded verdict."""

    id: str
    title: str
    topic: str  # the module name shared by derivations/, checks/, tests/
    sources: tuple[Source, ...]
    expected_verdict: Verdict
    derivation: Callable[[], Derivation]
    checks: Callable[[Context], list[Check]]
    corrected: str | None = None  # corrected statement (LaTeX) when the source is wrong
    conditions: tuple[str, ...] = ()  # conditions under which the statement holds, in words
    summary: str = ""  # what the evidence shows, one paragraph
    typo: bool = False  # the printed statement is wrong by a misprint that changes the result
    sharpening: str | None = None  # a sharper true form of a true statement (LaTeX), with its own checks
    required_resolution: float | None = None  # relative resolution the statement needs, if it needs one
    resolution_reason: str = ""  # why it needs that resolution
    host_only: str = ""  # why the checks run on the host (numpy) whatever --backend; "" when they honour it


@dataclass(frozen=True)
class Judgement:
    """The verdict the evidence supports, why, and how strong the evidence is."""

    verdict: Verdict
    reasons: tuple[str, ...]
    qualifier: str = ""  # e.g. "at 23 % resolution; the statement needs 10 %"
    false_refutation_bound: float | None = None

    @property
    def line(self) -> str:
        """The verdict as a reader sees it: 'refuted (typo)', 'verified at 23 % resolution; …'."""
        return " ".join(part for part in (self.verdict, self.qualifier) if part)


@dataclass
class ClaimResult:
    claim: Claim
    steps: list[StepResult]
    checks: list[Check]
    figures: list[tuple[str, Any, str]]
    seconds: float
    confirmation: list[Check] | None = None  # the checks re-run on the confirmation stream, when needed
    depth: Depth | None = None  # how far the derivation derives (derivations.steps.Derivation.depth)

    @functools.cached_property
    def judgement(self) -> Judgement:
        return judge(self.claim, self.steps, self.checks, self.confirmation)

    @property
    def verdict(self) -> Verdict:
        return self.judgement.verdict

    @property
    def reasons(self) -> list[str]:
        return list(self.judgement.reasons)

    def evidence(self) -> dict[str, Any]:
        """How strong the evidence is: counts by kind, false-alarm budget, resolutions, nearest control."""
        statistical = [c for c in self.checks if c.kind == "statistical"]
        resolutions = [c.relative_resolution for c in statistical if math.isfinite(c.relative_resolution)]
        return {
            "statistical_checks": len(statistical),
            "numerical_checks": len(self.checks) - len(statistical),
            "false_alarm_budget": sum(c.alpha for c in statistical),
            "best_relative_resolution": _number(min(resolutions, default=math.nan)),
            "worst_relative_resolution": _number(max(resolutions, default=math.nan)),
            "required_resolution": self.claim.required_resolution,
            "nearest_control_in_resolutions": _number(min((c.control_distance for c in self.checks), default=math.nan)),
            "confirmed_on_fresh_data": self.confirmation is not None,
            "false_refutation_bound": self.judgement.false_refutation_bound,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.claim.id,
            "title": self.claim.title,
            "verdict": self.verdict,
            "verdict_line": self.judgement.line,
            "expected_verdict": self.claim.expected_verdict,
            "reasons": self.reasons,
            "sources": [vars(s) for s in self.claim.sources],
            "corrected": self.claim.corrected,
            "typo": self.claim.typo,
            "sharpening": self.claim.sharpening,
            "steps": [
                {"latex": r.step.latex(), "justification": r.step.justification, "status": r.status, "detail": r.detail,
                 "erratum": r.step.erratum}
                for r in self.steps
            ],
            "derivation_depth": None if self.depth is None else self.depth.to_json(),
            "evidence": self.evidence(),
            "checks": [c.to_json() for c in self.checks],
            "confirmation": None if self.confirmation is None else [
                {"name": c.name, "statistic": _number(c.test.statistic), "passed": bool(c.passed),
                 "control_statistic": _number(c.control.statistic), "control_rejected": bool(c.control_rejected)}
                for c in self.confirmation
            ],
        }


def evidence_of(claim: Claim, check: Check) -> Evidence:
    """Which statement a check's prediction comes from (see :class:`Check`)."""
    if check.evidence is not None:
        return check.evidence
    return "corrected" if claim.corrected is not None else "statement"


def needs_confirmation(claim: Claim, checks: list[Check]) -> bool:
    """Whether a verdict would rest on a statistical rejection: a failed statistical check, or a
    statistical check whose control is the printed statement, rejected (a refutation)."""
    return any(
        c.kind == "statistical" and not c.diverged and (not c.passed or (c.control_is_statement and c.control_rejected))
        for c in checks
    )


def judge(claim: Claim, steps: list[StepResult], checks: list[Check], confirmation: list[Check] | None = None) -> Judgement:
    """The verdict rule of the module docstring, applied to the evidence."""
    if not checks and not steps:
        return Judgement("inconclusive", ("no derivation and no checks",))
    again = {c.name: c for c in confirmation or []}
    reasons = [f"derivation step {i + 1} {r.status}: {r.detail}" for i, r in enumerate(steps) if not r.ok]
    reasons += [f"check {c.name!r} diverged (non-finite result)" for c in checks if c.diverged]
    reasons += [f"check {c.name!r}: negative control '{c.control_label}' not rejected (no power)"
                for c in checks if not c.diverged and not c.control_rejected]
    reasons += [f"sequential check {c.name!r} used its whole budget without reaching its resolution (under-powered)"
                for c in checks if c.sequential == "budget"]

    def confirmed(check: Check, rejected: Callable[[Check], bool]) -> bool:
        """A numerical rejection stands; a statistical one only if the fresh data reject again."""
        return check.kind == "numerical" or (check.name in again and rejected(again[check.name]))

    failures = [c for c in checks if not c.diverged and not c.passed]
    unconfirmed = [c for c in failures if not confirmed(c, lambda k: not k.passed)]
    reasons += [f"check {c.name!r}: prediction rejected, z = {c.test.statistic:.2f}, but not on fresh data"
                + (f" (z = {again[c.name].test.statistic:.2f})" if c.name in again else " (no confirmation run)")
                for c in unconfirmed]
    confirmed_failures = [c for c in failures if c not in unconfirmed]
    if reasons:
        return Judgement("inconclusive", tuple(reasons))

    of = {kind: [c for c in checks if evidence_of(claim, c) == kind] for kind in ("statement", "corrected", "sharpening")}
    printed_rejected = [c for c in checks if c.control_is_statement and c.control_rejected
                        and confirmed(c, lambda k: k.control_rejected)]
    statement_failures = [c for c in confirmed_failures if c in of["statement"]]
    other_failures = [c for c in confirmed_failures if c not in of["statement"]]
    if other_failures:
        names = ", ".join(repr(c.name) for c in other_failures)
        return Judgement("inconclusive", (f"checks of the corrected or sharper statement fail: {names}",))
    carrying = [c for c in printed_rejected + statement_failures if c.kind == "statistical"]
    bound = len(carrying) * ALPHA**2 if carrying else None
    if claim.corrected is not None:
        if not (printed_rejected or statement_failures):
            return Judgement("inconclusive", ("a corrected statement is given, but no check rejects the statement as printed",))
        if not of["corrected"]:
            return Judgement("inconclusive", ("the statement as printed is rejected, but no check tests the corrected one",))
        return Judgement("refuted", (), "(typo)" if claim.typo else "", bound)
    if statement_failures:
        names = ", ".join(repr(c.name) for c in statement_failures)
        return Judgement("inconclusive", (f"the statement as printed is rejected on fresh data ({names}), "
                                          "but no corrected statement is derived",), "", bound)
    verdict: Verdict = "verified-with-conditions" if claim.conditions else "verified"
    return Judgement(verdict, (), _resolution_qualifier(claim, checks))


def _resolution_qualifier(claim: Claim, checks: list[Check]) -> str:
    """'at 23% resolution; the statement needs 10%' when not even the claim's sharpest statistical
    check resolves what the statement needs."""
    if claim.required_resolution is None:
        return ""
    relevant = [c.relative_resolution for c in checks if c.kind == "statistical" and math.isfinite(c.relative_resolution)]
    sharpest = min(relevant, default=math.nan)
    if not sharpest > claim.required_resolution:
        return ""
    return f"at {sharpest:.0%} resolution; the statement needs {claim.required_resolution:.0%}"


def _number(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return _number(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    return value
