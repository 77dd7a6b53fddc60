"""One figure style for every report: theory as lines, simulation as points with error bars.

Use :func:`new_figure` for the axes, :func:`theory_line` for a derived prediction,
:func:`simulation_points` for estimates with their error bars (± ``z`` standard errors, the
acceptance band of the checks by default), and label both axes with symbols or units. Figures
are 6.4 in wide and saved at :data:`DPI` (960 px), so 10-pt text stays legible when a page
shows them at full width. :func:`save` writes PNGs whose bytes depend only on the figure.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display anywhere: CI, reports, tests

from cycler import cycler  # noqa: E402
from matplotlib import rc_context  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

DPI = 150
# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
STYLE = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=COLORS),
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "errorbar.capsize": 2.5,
    "savefig.facecolor": "white",
    "svg.hashsalt": "ebmcheck",  # reproducible ids should anyone save SVG
}


def new_figure(ncols: int = 1, width: float = 6.4, height: float = 3.6):
    """A figure with ``ncols`` axes side by side, legible at page width; returns (figure, axes list)."""
    if ncols < 1:
        raise ValueError(f"ncols={ncols!r} must be a positive integer")
    # A bare Figure, not pyplot's: nothing keeps it alive after its claim is done (a seed sweep
    # makes hundreds), and no global state is touched.
    with rc_context(STYLE):
        figure = Figure(figsize=(width, height), layout="constrained")
        axes = figure.subplots(1, ncols, squeeze=False)
    return figure, list(axes[0])


def theory_line(axis, x, y, label: str, **style):
    """Plot a derived prediction as a line (the theory)."""
    with rc_context(STYLE):
        return axis.plot(x, y, label=label, **({"linestyle": "-", "zorder": 2} | style))


def simulation_points(axis, x, estimate, standard_error=None, label: str = "", z: float = 1.0, **style):
    """Plot estimates as points with error bars of ± ``z`` standard errors (the simulation)."""
    with rc_context(STYLE):
        yerr = None if standard_error is None else z * abs(_array(standard_error))
        defaults = {"fmt": "o", "markersize": 4.5, "elinewidth": 1.2, "zorder": 3}
        return axis.errorbar(x, estimate, yerr=yerr, label=label, **(defaults | style))


def save(figure, path) -> None:
    """Save as PNG without timestamps or software tags, so the bytes are reproducible."""
    with rc_context(STYLE):
        figure.savefig(path, dpi=DPI, metadata={"Software": None})


def _array(values):
    import numpy as np

    return np.asarray(values, dtype=float)
