"""Model families and the cases of a property run.

A :class:`Family` is a model with a readable grid of true parameters, the simplest first; a
:class:`Case` is one family and one of its parameters. A property run's cases (:func:`plan`) are
the simplest case, one case with d >= 2 where the objective supports one, and cases Hypothesis
draws from the rest, all chosen by the run's root seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ebmcheck.theory import models
from ebmcheck.theory.objectives import NotApplicable
from ebmcheck.theory.validation import real_array


@dataclass(frozen=True)
class Family:
    """A model family with a readable grid of true parameters (the simplest first: a run tests it first)."""

    name: str
    build: Callable[[], models.Model]
    thetas: tuple[tuple[float, ...], ...]  # simplest first

    def model(self) -> models.Model:
        return _model(self.build)


_MODELS: dict[Any, models.Model] = {}


def _model(build):
    if build not in _MODELS:
        _MODELS[build] = build()
    return _MODELS[build]


def family(name: str, build: Callable[[], models.Model], thetas: Iterable[Sequence[float]]) -> Family:
    """A :class:`Family` from a model constructor and a list of true parameters (validated).

    ``name`` a str, ``build`` a callable returning a :class:`theory.models.Model`, ``thetas`` an
    iterable of allowed parameter vectors of that model."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    if not callable(build) or isinstance(build, models.Model):
        raise TypeError(f"build must be a callable returning a theory.models.Model, got {build!r}")
    if isinstance(thetas, (str, bytes)) or not isinstance(thetas, Iterable):
        raise TypeError(f"thetas must be an iterable of parameter vectors, got {thetas!r}")
    built = _model(build)
    if not isinstance(built, models.Model):
        raise TypeError(f"build must return a theory.models.Model, returned {built!r}")
    checked = []
    for i, theta in enumerate(thetas):
        try:
            theta = built.validate(np.atleast_1d(real_array(f"thetas[{i}]", theta)))
        except ValueError as error:
            raise ValueError(f"thetas[{i}] is not a parameter of {built.name}: {error}") from None
        if theta.ndim != 1:
            raise ValueError(f"thetas[{i}] must be one parameter vector ({built.num_params},), got shape {theta.shape}")
        checked.append(tuple(float(v) for v in theta))
    thetas = tuple(checked)
    if not thetas:
        raise ValueError(f"family {name!r}: thetas must hold at least one parameter vector")
    return Family(name, build, thetas)


def _gaussian_1d():
    return models.gaussian(1)


def _gaussian_2d():
    return models.gaussian(2)


def _mixture():
    return models.two_mode_mixture(-2, 2)


DEFAULT_FAMILIES: tuple[Family, ...] = (
    Family("gaussian-1d", _gaussian_1d, ((0.0, 1.0), (0.5, 2.0), (-1.0, 0.5), (1.5, 4.0))),
    Family("gaussian-precision", models.gaussian_precision, ((1.0,), (0.5,), (2.0,), (4.0,))),
    Family("quartic", models.quartic, ((0.0, 1.0, 1.0), (0.5, -1.0, 1.0), (-0.5, 0.0, 2.0), (1.0, 1.0, 0.5))),
    Family("two-mode-mixture(a=-2, b=2)", _mixture, ((0.0,), (1.0,), (-1.0,), (2.0,))),
    Family(
        "gaussian-2d",
        _gaussian_2d,
        (((0.0, 0.0, 1.0, 0.0, 1.0)), (0.5, -1.0, 2.0, 0.6, 1.0), (-0.5, 0.5, 0.5, -0.2, 2.0)),
    ),
)
"""The default families of a property run; extend them with ``models=DEFAULT_FAMILIES + (mine,)``.

The slides' two-mode mixture is used with modes at ±2: at ±10 (the slides' toy) score-based
objectives carry no information on the mode weight (Hessian ≈ e^{-50}), which is a property of
that model, not a defect of an objective."""


@dataclass(frozen=True)
class Case:
    """One case of a property run: a family and its true parameter."""

    family: str
    theta: tuple[float, ...]

    def __repr__(self) -> str:
        return f"Case({self.family}, θ*=({', '.join(f'{t:g}' for t in self.theta)}))"


def supported(families: Sequence[Family], objective) -> tuple[tuple[Family, ...], tuple[str, ...]]:
    """The families ``objective`` supports, and the others as ``"name: reason"``;
    :class:`~theory.objectives.NotApplicable` when it supports none."""
    usable, skipped = [], []
    for fam in families:
        reason = objective.supports(fam.model())
        if reason is not None and not isinstance(reason, str):
            raise TypeError(
                f"objective.supports(model) must return None (supported) or a str (the reason it is not), "
                f"got {reason!r} for {fam.name}"
            )
        (skipped.append(f"{fam.name}: {reason}") if reason else usable.append(fam))
    if not usable:
        raise NotApplicable(f"{objective.name} supports none of the families: " + "; ".join(skipped))
    return tuple(usable), tuple(skipped)


@dataclass(frozen=True)
class Plan:
    """The cases of one property run of ``count`` cases (:func:`plan`): ``first``, run in this order,
    then ``count - len(first)`` cases Hypothesis draws from ``rest`` (None: no case is left to draw)."""

    first: tuple[Case, ...]
    rest: st.SearchStrategy | None


def plan(usable: Sequence[Family], count: int, rng: random.Random) -> Plan:
    """``count`` cases from the ``usable`` families: the simplest case first (the first family's
    first parameter, where a failure is easiest to read), then — when ``count >= 2`` and the first
    family is one-dimensional — one case of a family with d >= 2 chosen by ``rng`` (errors in the
    cross terms of d > 1 then never go unseen), then cases Hypothesis draws from the others, in an
    order shuffled by ``rng``.

    ``rng`` is seeded from the run's root seed, and so is Hypothesis (``hypothesis.seed``): the
    root seed alone chooses the cases."""
    first = [Case(usable[0].name, usable[0].thetas[0])]
    multivariate = [fam for fam in usable if fam.model().dim >= 2]
    if count >= 2 and usable[0].model().dim < 2 and multivariate:
        fam = rng.choice(multivariate)
        first.append(Case(fam.name, rng.choice(fam.thetas)))
    # Hypothesis draws its first case as the simplest one and favours simple ones after it: the
    # order of the others is shuffled by rng, so that over root seeds this favours none.
    left = []
    for fam in rng.sample(usable, len(usable)):
        thetas = [t for t in fam.thetas if Case(fam.name, t) not in first]
        if thetas:
            left.append(st.builds(Case, st.just(fam.name), st.sampled_from(rng.sample(thetas, len(thetas)))))
    return Plan(tuple(first), st.one_of(left) if left else None)


def as_families(models_) -> tuple[Family, ...]:
    """``models=``: None (the defaults) or a non-empty sequence of :class:`Family`."""
    if models_ is None:
        return DEFAULT_FAMILIES
    if isinstance(models_, Family):
        raise ValueError(f"models must be a sequence of Family objects, got a single Family: pass models=({models_.name!r} family,)")
    if isinstance(models_, (str, bytes, dict)) or not isinstance(models_, Iterable):
        raise ValueError(f"models must be a sequence of checks.properties.Family objects (see family()), got {models_!r:.80}")
    families = tuple(models_)
    if not families:
        raise ValueError("models must hold at least one checks.properties.Family, got an empty sequence")
    for fam in families:
        if not isinstance(fam, Family):
            raise ValueError(f"models must hold checks.properties.Family objects (see family()), got {fam!r:.80}")
    return families

