r"""Monte Carlo times for the stochastic-interpolant losses (seed 003, §3.3, eqs. 68–69).

:func:`arcsine_times` draws :math:`t \sim \mathrm{Beta}(\tfrac12,\tfrac12)` with the weights
:math:`1/q(t) = \pi\sqrt{t(1-t)}` that make :math:`\mathbb E_{t\sim q}[w(t) f(t)] = \int_0^1 f`.
With :math:`\gamma(t) = \sqrt{2t(1-t)}` the integrands of eqs. 68–69 carry :math:`\dot\gamma^2`
and :math:`\gamma^{-2}`, both :math:`\propto 1/(t(1-t))`: their Monte Carlo variance under
:math:`t\sim\mathcal U[0,1]` is infinite, under the arcsine law finite. The integrators of the
generative ODE and SDE are in :mod:`theory.sde`.
"""

from __future__ import annotations

import numpy as np
from ebmcheck.theory.validation import generator, positive_int


def arcsine_times(num: int, rng) -> tuple[np.ndarray, np.ndarray]:
    r"""``num`` times :math:`t\sim\mathrm{Beta}(\tfrac12,\tfrac12)` and their weights
    :math:`\pi\sqrt{t(1-t)}` (so that the weighted mean estimates :math:`\int_0^1 f\,dt`)."""
    num = positive_int("num", num)
    rng = generator("rng", rng)
    t = rng.beta(0.5, 0.5, size=num)
    return t, np.pi * np.sqrt(t * (1 - t))
