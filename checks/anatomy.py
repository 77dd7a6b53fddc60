r"""The anatomy of a claim: source, derivation, checks with negative controls, verdict.

Statistical acceptance
----------------------
Every numerical check is a two-sided z-test. A prediction is *accepted* when

.. math:: |\hat m - m_{\text{pred}}| \le z_{\alpha/2}\,\widehat{\mathrm{se}},

with :math:`\widehat{\mathrm{se}}` the standard error measured by the experiment itself
(replicates, batch means, or a quadrature error estimate). The per-check false-alarm rate is
:data:`ALPHA` = 1e-4 (:math:`z_{\alpha/2} \approx 3.89`): a suite of :math:`n` correct checks
raises at most :math:`n\alpha` false alarms in expectation (0.03 for 300 checks), and
``ebmcheck verify --seed 0-99`` measures the real rate. The same experiment must *reject* the
check's negative control — a plausible wrong prediction (a sign flip, a missing factor, the
unbiased answer where a bias is claimed); a check whose control survives has no power and
makes its claim ``inconclusive``.

When the statement as written in the source is wrong, the claim carries a corrected statement:
the checks then test the corrected statement, and the statement as written is their negative
control — the same data accept the correction and reject the source.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import stats

from derivations.steps import Derivation, StepResult
from theory.backend import Backend, derive_seed

ALPHA = 1e-4
Verdict = Literal["verified", "verified-with-conditions", "refuted", "inconclusive"]
Profile = Literal["quick", "full"]
PROFILES: tuple[str, ...] = ("quick", "full")


def critical_z(alpha: float = ALPHA) -> float:
    """Two-sided critical value :math:`z_{\\alpha/2}`."""
    return float(stats.norm.isf(alpha / 2))


@dataclass(frozen=True)
class ZTest:
    """An estimate with its standard error held against a prediction."""

    prediction: float
    estimate: float
    standard_error: float

    @property
    def statistic(self) -> float:
        """:math:`z = (\\hat m - m_{\\text{pred}})/\\widehat{\\mathrm{se}}`; NaN if undefined."""
        if not self.finite or self.standard_error <= 0:
            return math.nan
        return (self.estimate - self.prediction) / self.standard_error

    @property
    def finite(self) -> bool:
        return all(math.isfinite(v) for v in (self.prediction, self.estimate, self.standard_error))


@dataclass(frozen=True)
class Check:
    """One numerical check: a test of the prediction plus its negative control.

    ``control`` usually shares the estimate and differs in the prediction; when the wrong
    alternative is a different statistic of the same data (e.g. a variant of an identity),
    it carries its own estimate and standard error.
    """

    name: str
    quantity: str  # what is estimated, LaTeX
    test: ZTest
    control: ZTest
    control_label: str  # what the negative control is, in words
    error_kind: str = "monte-carlo"  # or "quadrature", "finite-difference", ...
    alpha: float = ALPHA
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def threshold(self) -> float:
        return critical_z(self.alpha)

    @property
    def diverged(self) -> bool:
        """The experiment produced non-finite numbers (e.g. a sampler blew up)."""
        return not (self.test.finite and self.control.finite)

    @property
    def passed(self) -> bool:
        return not self.diverged and abs(self.test.statistic) <= self.threshold

    @property
    def control_rejected(self) -> bool:
        return not self.diverged and abs(self.control.statistic) > self.threshold

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "quantity": self.quantity,
            "prediction": _number(self.test.prediction),
            "estimate": _number(self.test.estimate),
            "standard_error": _number(self.test.standard_error),
            "error_kind": self.error_kind,
            "statistic": _number(self.test.statistic),
            "threshold": self.threshold,
            "alpha": self.alpha,
            "passed": bool(self.passed),
            "diverged": bool(self.diverged),
            "negative_control": {
                "label": self.control_label,
                "prediction": _number(self.control.prediction),
                "estimate": _number(self.control.estimate),
                "standard_error": _number(self.control.standard_error),
                "statistic": _number(self.control.statistic),
                "rejected": bool(self.control_rejected),
            },
            "details": {k: _jsonable(v) for k, v in self.details.items()},
        }


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


@dataclass
class Context:
    """What a check needs to run: profile, backend and its own seeded generator."""

    claim_id: str
    profile: str
    backend: Backend
    root_seed: int
    figures: list[tuple[str, Any, str]] = field(default_factory=list)  # (filename, figure, caption)

    def rng(self, check_name: str) -> np.random.Generator:
        """The host (numpy) generator of check ``check_name``, independent of every other check."""
        return np.random.default_rng(derive_seed(self.root_seed, self.claim_id, check_name))

    def device_rng(self, check_name: str):
        """The generator of check ``check_name`` on the array backend (numpy or cupy)."""
        return self.backend.rng(self.root_seed, self.claim_id, check_name)

    @property
    def xp(self):
        """The backend's array namespace."""
        return self.backend.xp

    def size(self, quick: int, full: int) -> int:
        """Pick an experiment size by profile."""
        return quick if self.profile == "quick" else full

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


@dataclass
class ClaimResult:
    claim: Claim
    steps: list[StepResult]
    checks: list[Check]
    figures: list[tuple[str, Any, str]]
    seconds: float

    @property
    def verdict(self) -> Verdict:
        return decide_verdict(self.claim, self.steps, self.checks)

    @property
    def reasons(self) -> list[str]:
        return verdict_reasons(self.steps, self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.claim.id,
            "title": self.claim.title,
            "verdict": self.verdict,
            "expected_verdict": self.claim.expected_verdict,
            "reasons": self.reasons,
            "sources": [vars(s) for s in self.claim.sources],
            "corrected": self.claim.corrected,
            "steps": [
                {"latex": r.step.latex(), "justification": r.step.justification, "status": r.status, "detail": r.detail,
                 "erratum": r.step.erratum}
                for r in self.steps
            ],
            "checks": [c.to_json() for c in self.checks],
        }


def verdict_reasons(steps: list[StepResult], checks: list[Check]) -> list[str]:
    """Why a claim is not simply verified/refuted: failed steps, divergence, lack of power."""
    reasons = [f"derivation step {i + 1} {r.status}: {r.detail}" for i, r in enumerate(steps) if not r.ok]
    reasons += [f"check {c.name!r} diverged (non-finite result)" for c in checks if c.diverged]
    reasons += [
        f"check {c.name!r}: negative control '{c.control_label}' not rejected (no power)"
        for c in checks
        if not c.diverged and not c.control_rejected
    ]
    reasons += [
        f"check {c.name!r}: prediction rejected, z = {c.test.statistic:.2f}" for c in checks if not c.diverged and not c.passed
    ]
    return reasons


def decide_verdict(claim: Claim, steps: list[StepResult], checks: list[Check]) -> Verdict:
    """The verdict the evidence supports.

    - A derivation step that failed or is undecided, a diverged check, or a control that
      survives: ``inconclusive`` (the evidence cannot tell).
    - Checks test the corrected statement when there is one: all pass → ``refuted``
      (the source is wrong and the correction holds); otherwise ``inconclusive``.
    - Checks test the statement as written otherwise: all pass → ``verified`` (or
      ``verified-with-conditions`` when the claim names conditions); any rejected → ``refuted``.
    """
    if not checks and not steps:
        return "inconclusive"
    if any(not r.ok for r in steps) or any(c.diverged or not c.control_rejected for c in checks):
        return "inconclusive"
    all_pass = all(c.passed for c in checks)
    if claim.corrected is not None:
        return "refuted" if all_pass else "inconclusive"
    if not all_pass:
        return "refuted"
    return "verified-with-conditions" if claim.conditions else "verified"


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
