"""Model families and the cases Hypothesis draws from them.

A :class:`Family` is a model with a readable grid of true parameters; a :class:`Case` is one
family and one of its parameters. Hypothesis draws cases (:func:`cases`) and shrinks a failure to
the first family's first parameter, so the grids list the simplest parameter first.
"""

from __future__ import annotations

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
    """A model family with a readable grid of true parameters (Hypothesis shrinks to the first)."""

    name: str
    build: Callable[[], models.Model]
    thetas: tuple[tuple[float, ...], ...]  # simplest first

    def model(self) -> models.Model:
        return _model(self.build)

    def parameters(self) -> st.SearchStrategy:
        return st.sampled_from(self.thetas)


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
"""The families Hypothesis draws from by default; pass ``models=DEFAULT_FAMILIES + (mine,)`` to extend.

The slides' two-mode mixture is used with modes at ±2: at ±10 (the slides' toy) score-based
objectives carry no information on the mode weight (Hessian ≈ e^{-50}), which is a property of
that model, not a defect of an objective."""


@dataclass(frozen=True)
class Case:
    """One Hypothesis case: a family and its true parameter."""

    family: str
    theta: tuple[float, ...]

    def __repr__(self) -> str:
        return f"Case({self.family}, θ*=({', '.join(f'{t:g}' for t in self.theta)}))"


def cases(families: Sequence[Family], objective) -> tuple[st.SearchStrategy, list[str]]:
    """The Hypothesis strategy of the cases ``objective`` supports, and the families it does not
    (``"name: reason"``); :class:`~theory.objectives.NotApplicable` when it supports none."""
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
    # one_of over builds: shrinks to the first family and its first parameter, and Hypothesis
    # prints the falsifying case as Case(family=..., theta=...).
    strategy = st.one_of([st.builds(Case, st.just(fam.name), fam.parameters()) for fam in usable])
    return strategy, skipped


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

