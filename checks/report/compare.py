r"""Does a regenerated ``results.json`` reproduce the committed one?

On the platform that wrote it (same libraries, CPU features, BLAS core) the documents must be
equal, number for number. Elsewhere the floating-point kernels differ (numpy's SIMD loops,
OpenBLAS's core: Haswell vs SkylakeX), the last bits of every number move, and a few numbers
move more: an adaptive ODE or quadrature error *estimate* (itself a difference of two
approximations, at 1e-11) changes by tens of per cent, an entry that is rounding noise
(4e-15 beside entries of 50) changes completely, and a Metropolis decision that sits on a
rounding boundary flips and moves a Monte Carlo estimate by a small fraction of its standard
error. The science reproduces when every number agrees *within its own resolution*:

=============================  =============================================================
number                         agrees when
=============================  =============================================================
value in a numerical check     :math:`|a-b| \le \max(e_a, e_b) + \rho S` — within the check's
(quadrature, ODE)              own error estimate *e*, plus rounding :math:`\rho` relative to
                               the check's scale *S* (not to the number itself)
prediction                     :math:`|a-b| \le \rho S` (statistical check), as a value in a
                               numerical check
value in a statistical check   :math:`|a-b| \le \tau\,\mathrm{se} + \rho S` — a fraction
(Monte Carlo)                  :math:`\tau` of the check's standard error, plus rounding
numerical error estimate       same order of magnitude, :math:`|\log_{10}(a/b)| \le 1`, or both
(``standard_error`` of a       below the floor :math:`10^3\,\epsilon_{\mathrm{mach}} S` (rounding noise)
numerical check, details
``*error``)
z statistic                    statistical check: :math:`|z_a - z_b| \le \tau`; numerical check:
                               not compared — it is a ratio of two rounding-level numbers;
                               its pass/fail flag is compared exactly
derived summaries              same order of magnitude (resolutions, control distances,
                               budgets: functions of the numbers above)
integers, strings, flags,      exactly
verdicts
=============================  =============================================================

The check's scale *S* is the largest magnitude among its prediction, estimate and its negative
control's prediction and estimate. :math:`\rho` = :data:`ROUNDING` and :math:`\tau` =
:data:`STATISTICAL_FRACTION` (or the ``--rtol`` given on the command line).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ebmcheck.checks.anatomy import kind_of

ROUNDING = 1e-12
"""Rounding, relative to a check's scale: about 4500 ulps, room for the amplification of
rounding by a well-conditioned solve or a long sum; any error in the science is far larger."""

ERROR_FLOOR = 1e3 * 2.0**-52
"""Below this fraction of a check's scale an error estimate is rounding noise (its order of
magnitude means nothing: 4e-15 beside entries of 50)."""

STATISTICAL_FRACTION = 1e-2
"""Agreement of a Monte Carlo number across platforms, as a fraction of its check's standard error
(a flipped accept/reject decision moves an estimate by far less; a change in the science by far
more: a check's resolution is several standard errors)."""

ORDER_OF_MAGNITUDE = 1.0  # |log10(a/b)| allowed for numerical error estimates


@dataclass(frozen=True)
class _Rule:
    """How numbers inside one check record are compared."""

    statistical: bool
    scale: float  # S
    error: float  # the check's standard error / numerical error estimate (largest of both runs)
    fraction: float  # tau

    def agree(self, kind: str, a: float, b: float) -> bool:
        return {"prediction": self.prediction, "value": self.value, "error": self.error_estimate,
                "statistic": self.statistic}[kind](a, b)

    def prediction(self, a: float, b: float) -> bool:
        """A derived prediction is deterministic: rounding (plus its numerical error, if any)."""
        return abs(a - b) <= (0.0 if self.statistical else self.error) + ROUNDING * self.scale

    def value(self, a: float, b: float) -> bool:
        slack = self.fraction * self.error if self.statistical else self.error
        return abs(a - b) <= slack + ROUNDING * self.scale

    def error_estimate(self, a: float, b: float) -> bool:
        floor = ERROR_FLOOR * self.scale
        return (abs(a) <= floor and abs(b) <= floor) or _order_of_magnitude(a, b)

    def statistic(self, a: float, b: float) -> bool:
        return (not self.statistical) or abs(a - b) <= self.fraction


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite_abs(*values) -> list[float]:
    return [abs(v) for v in values if _number(v) and math.isfinite(v)]


def _rule(committed: dict, fresh: dict, fraction: float) -> _Rule:
    magnitudes, errors = [], []
    for record in (committed, fresh):
        control = record.get("negative_control") or {}
        magnitudes += _finite_abs(record.get("prediction"), record.get("estimate"),
                                  control.get("prediction"), control.get("estimate"))
        errors += _finite_abs(record.get("standard_error"))
    return _Rule(kind_of(committed.get("error_kind", "")) == "statistical", max(magnitudes, default=0.0),
                 max(errors, default=0.0), fraction)


def _is_check(record: Any) -> bool:
    return isinstance(record, dict) and "estimate" in record and "standard_error" in record and "error_kind" in record


DERIVED = frozenset({
    "resolution", "relative_resolution", "distance_in_resolutions", "best_relative_resolution",
    "worst_relative_resolution", "nearest_control_in_resolutions", "false_alarm_budget", "false_refutation_bound",
})
"""Summaries computed from the numbers above them (resolutions, distances, budgets): compared to
their order of magnitude, since their inputs are compared within their own resolution."""


def _order_of_magnitude(a: float, b: float) -> bool:
    if a == b:
        return True
    if a == 0 or b == 0 or (a > 0) != (b > 0):
        return False
    return abs(math.log10(abs(a) / abs(b))) <= ORDER_OF_MAGNITUDE


def _agree_outside_checks(key: str, a: float, b: float, fraction: float) -> bool:
    """Numbers outside a check record: derived summaries and confirmation-run z statistics."""
    if key in DERIVED:
        return _order_of_magnitude(a, b)
    if key in ("statistic", "control_statistic"):  # z of a confirmation run: a fraction of one SE
        return abs(a - b) <= fraction
    return False


def _kind(key: str, rule: _Rule) -> str:
    """What a number under ``key`` is: 'prediction', 'error' (numerical error estimate),
    'statistic', 'derived' or 'value'."""
    if key in DERIVED:
        return "error"
    if key == "prediction":
        return "prediction"
    if key == "statistic":
        return "statistic"
    if key == "standard_error":
        return "value" if rule.statistical else "error"
    if key == "error" or key.endswith("_error"):
        return "error"
    return "value"


def compare_results(committed: Any, fresh: Any, fraction: float | None = 0.0, path: str = "") -> list[str]:
    """Paths where two results documents differ, one line each; ``[]`` when they agree.

    ``fraction = 0`` (or None) compares exactly. Otherwise numbers are compared within their
    resolution (module docstring) with :math:`\\tau` = ``fraction``. Lists of records with a
    unique ``id`` (claims) or ``name`` (checks) are matched by that key, so a missing or extra
    claim is named.
    """
    if fraction is not None and (not _number(fraction) or not math.isfinite(fraction) or fraction < 0):
        raise ValueError(f"rtol={fraction!r} must be a finite number >= 0")
    return list(_compare(committed, fresh, fraction or 0.0, path, None, None))


def _keyed(items: list) -> str | None:
    for key in ("id", "name", "label"):
        if items and all(isinstance(i, dict) and isinstance(i.get(key), str) for i in items):
            if len({i[key] for i in items}) == len(items):
                return key
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _compare(committed, fresh, fraction, path, rule: _Rule | None, key: str | None):
    if isinstance(committed, dict) and isinstance(fresh, dict):
        if fraction and _is_check(committed) and _is_check(fresh):
            rule = _rule(committed, fresh, fraction)
        for name in sorted(set(committed) | set(fresh)):
            if name not in fresh:
                yield f"{path}/{name}: committed {_short(committed[name])}, missing from the regenerated results"
            elif name not in committed:
                yield f"{path}/{name}: not in the committed results, regenerated {_short(fresh[name])}"
            else:
                yield from _compare(committed[name], fresh[name], fraction, f"{path}/{name}", rule, name)
        return
    if isinstance(committed, list) and isinstance(fresh, list):
        by = _keyed(committed) if _keyed(committed) == _keyed(fresh) else None
        if by is not None:
            old = {item[by]: item for item in committed}
            new = {item[by]: item for item in fresh}
            for name in old.keys() - new.keys():
                yield f"{path}[{name}]: committed, missing from the regenerated results"
            for name in new.keys() - old.keys():
                yield f"{path}[{name}]: regenerated, not in the committed results"
            order_old = [n for n in old if n in new]
            if order_old != [n for n in new if n in old]:
                yield f"{path}: order differs: committed {order_old}, regenerated {[n for n in new if n in old]}"
            for name in order_old:
                yield from _compare(old[name], new[name], fraction, f"{path}[{name}]", rule, key)
            return
        if len(committed) != len(fresh):
            yield f"{path}: committed {len(committed)} items, regenerated {len(fresh)}"
            return
        for index, (a, b) in enumerate(zip(committed, fresh)):
            yield from _compare(a, b, fraction, f"{path}[{index}]", rule, key)
        return
    if committed == fresh and type(committed) is type(fresh):
        return
    if fraction and isinstance(committed, float) and isinstance(fresh, float) and math.isfinite(committed) and math.isfinite(fresh):
        if rule is not None and rule.agree(_kind(key or "", rule), committed, fresh):
            return
        if rule is None and _agree_outside_checks(key or "", committed, fresh, fraction):
            return
    yield f"{path}: committed {_short(committed)}, regenerated {_short(fresh)}"


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing a committed results document with a regenerated one."""

    fraction: float
    same_platform: bool
    platform_notes: list[str]  # how the recorded platform differs from this one (not failures)
    differences: list[str]  # numbers, flags or verdicts that differ (failures)

    @property
    def reproduced(self) -> bool:
        return not self.differences

    def describe(self) -> str:
        if self.fraction == 0:
            return "compared exactly" + (" (same platform)" if self.same_platform else "")
        where = "" if self.same_platform else " (the platform differs from the recorded one)"
        return (f"compared within each number's resolution: Monte Carlo to {self.fraction:g} of its standard error, "
                f"numerical values to their error estimates, rounding {ROUNDING:g} of each check's scale{where}")


def compare_documents(committed: dict, fresh: dict, rtol: float | None = None) -> Comparison:
    """Compare two results documents: numbers, verdicts and flags; provenance only as notes.

    ``rtol=None`` picks from the recorded platform: exact when seed, profile, backend, library
    versions and platform all match, within each number's resolution with
    :data:`STATISTICAL_FRACTION` otherwise. Seed, profile and backend must always match: a
    different run is not a reproduction.
    """
    for name, document in (("committed", committed), ("regenerated", fresh)):
        if not isinstance(document, dict) or not isinstance(document.get("claims"), list):
            raise ValueError(f"the {name} results document has no 'claims' list: is it an ebmcheck results.json?")
    old, new = committed.get("provenance", {}), fresh.get("provenance", {})
    run_keys = ("seed", "profile", "backend")
    run_differences = [
        f"/provenance/{k}: committed {old.get(k)!r}, regenerated {new.get(k)!r}" for k in run_keys if old.get(k) != new.get(k)
    ]
    environment_old = {k: v for k, v in old.items() if k not in run_keys}
    environment_new = {k: v for k, v in new.items() if k not in run_keys}
    notes = compare_results(environment_old, environment_new, 0.0, "/provenance")
    same_platform = not notes
    if rtol is None:
        rtol = 0.0 if same_platform else STATISTICAL_FRACTION
    differences = run_differences + compare_results(committed["claims"], fresh["claims"], rtol, "/claims")
    return Comparison(rtol, same_platform, notes, differences)
