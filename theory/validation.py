"""Input validation for every public entry point: one place, one wording.

Each function takes the *argument's name* first and raises a :class:`TypeError` (wrong kind of
object) or :class:`ValueError` (right kind, forbidden value) whose message names the argument,
says what was received and what is allowed. Public functions call these before any arithmetic,
so a bad input never surfaces as a NaN result or a traceback from deep inside numpy.

Arrays are checked on the host with numpy unless they already live on another array backend
(cupy), in which case the checks use that backend's own namespace.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import array_api_compat
import numpy as np


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _namespace(value):
    """numpy, or the array namespace of a non-numpy array (cupy, array-api-strict) so that it stays
    on its device: array_api_compat's, which knows cupy arrays whether or not they carry
    ``__array_namespace__``."""
    if isinstance(value, (np.ndarray, np.generic)) or not array_api_compat.is_array_api_obj(value):
        return np
    return array_api_compat.array_namespace(value)


def real_array(name: str, value: Any, *, ndim: int | tuple[int, ...] | None = None,
               shape: tuple[int | None, ...] | None = None, allow_empty: bool = False, finite: bool = True):
    """``value`` as a float array; ``TypeError``/``ValueError`` naming ``name`` otherwise.

    ``ndim`` may be an int or a tuple of allowed ranks; ``shape`` fixes trailing axes (``None``
    for any length), e.g. ``(None, 2)`` for points in R²."""
    if value is None or isinstance(value, (str, bytes, dict, set)):
        raise TypeError(f"{name} must be an array of real numbers, got {_describe(value)}")
    xp = _namespace(value)
    if xp is np:
        try:
            array = np.asarray(value)
        except (ValueError, TypeError) as error:  # ragged lists
            raise ValueError(f"{name} must be a rectangular array of real numbers ({error})") from None
        if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise TypeError(f"{name} must hold real numbers, got an array of dtype {array.dtype}")
        if np.iscomplexobj(array):
            raise TypeError(f"{name} must hold real numbers, got complex values")
        array = array.astype(float, copy=False)
    else:
        array = xp.asarray(value, dtype=xp.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            ranks = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {ranks} dimension(s), got shape {tuple(array.shape)}")
    if shape is not None:
        if array.ndim < len(shape) or any(
            want is not None and have != want for want, have in zip(shape, array.shape[array.ndim - len(shape):])
        ):
            wanted = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have trailing shape {wanted}, got shape {tuple(array.shape)}")
    if not allow_empty and array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(array.shape)}")
    if finite and array.size and not bool(xp.all(xp.isfinite(array))):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return array


def real_scalar(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                low_inclusive: bool = True, high_inclusive: bool = True) -> float:
    """``value`` as a finite float in the given interval; errors name ``name``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray, np.generic)):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    if isinstance(value, (np.ndarray, np.generic)):  # numpy scalars too: np.complex128 is not real
        if value.ndim != 0:
            raise TypeError(f"{name} must be a real number, got an array of shape {value.shape}")
        if not np.issubdtype(value.dtype, np.number) or np.iscomplexobj(value):
            raise TypeError(f"{name} must be a real number, got dtype {value.dtype}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float64's range, e.g. 10**400
        raise ValueError(f"{name} must be finite, got an integer too large for float64 ({_describe(value)})") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    if low is not None and (number < low or (number == low and not low_inclusive)):
        raise ValueError(f"{name} must be {'>=' if low_inclusive else '>'} {low:g}, got {number:g}")
    if high is not None and (number > high or (number == high and not high_inclusive)):
        raise ValueError(f"{name} must be {'<=' if high_inclusive else '<'} {high:g}, got {number:g}")
    return number


INT64_MAX = int(np.iinfo(np.int64).max)


def positive_int(name: str, value: Any, *, minimum: int = 1, maximum: int = INT64_MAX) -> int:
    """``value`` as an int in [``minimum``, ``maximum``] (integral floats such as 4.0 are refused: say 4).

    ``maximum`` defaults to the largest int64: a count beyond it cannot size a numpy array."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {_describe(value)}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {int(value)}")
    if int(value) > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {_describe(value)}")
    return int(value)


def spd_matrix(name: str, value: Any, *, size: int | None = None, batch: bool = False):
    r"""A symmetric positive-definite matrix (or a stack of them when ``batch``).

    Symmetry is judged relative to the matrix's scale,
    :math:`\max|A - A^\top| \le 10^{-10}\max|A|`; definiteness by a Cholesky factorisation."""
    array = real_array(name, value)
    if array.ndim < 2 or (not batch and array.ndim != 2) or array.shape[-1] != array.shape[-2]:
        raise ValueError(f"{name} must be a square {'(..., d, d)' if batch else '(d, d)'} matrix, got shape {tuple(array.shape)}")
    if size is not None and array.shape[-1] != size:
        raise ValueError(f"{name} must be {size}x{size}, got shape {tuple(array.shape)}")
    xp = _namespace(array)
    scale = float(xp.max(xp.abs(array)))
    asymmetry = float(xp.max(xp.abs(array - xp.swapaxes(array, -1, -2)))) if xp is np else float(
        xp.max(xp.abs(array - xp.matrix_transpose(array))))
    if asymmetry > 1e-10 * max(scale, 1e-300):
        raise ValueError(f"{name} must be symmetric, got max |A - A^T| = {asymmetry:.3g}")
    try:
        cholesky = np.linalg.cholesky(array) if xp is np else xp.linalg.cholesky(array)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite (Cholesky factorisation failed)") from None
    if not bool(xp.all(xp.isfinite(cholesky))):  # cupy returns NaN instead of raising
        raise ValueError(f"{name} must be positive definite (Cholesky factorisation failed)")
    return array


def generator(name: str, value: Any):
    """A random generator: ``numpy.random.Generator`` or any object with ``standard_normal``."""
    if value is None or not callable(getattr(value, "standard_normal", None)):
        raise TypeError(
            f"{name} must be a random generator such as numpy.random.default_rng(seed), got {_describe(value)}"
        )
    return value


def choice(name: str, value: Any, allowed) -> Any:
    """``value`` if it is one of ``allowed``; ``ValueError`` listing them otherwise."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {_describe(value)}")
    return value


def function(name: str, value: Any, signature: str = "") -> Any:
    """``value`` if it is callable; ``TypeError`` naming ``name`` (and the expected ``signature``) otherwise."""
    if not callable(value):
        what = f"a callable {signature}" if signature else "a callable"
        raise TypeError(f"{name} must be {what}, got {_describe(value)}")
    return value


def flag(name: str, value: Any) -> bool:
    """``value`` as a bool: only True or False (numpy bools included); 0, 1 and "yes" are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_describe(value)}")
    return bool(value)
