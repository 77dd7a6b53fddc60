"""Array backend, the inputs' array namespace, and seeded random streams on any namespace.

numpy is the default; cupy is used when asked for and installed. Numerical code takes its array
namespace from its inputs (:func:`namespace`, the Python array API standard's
``array_namespace``), so the same code runs on numpy, cupy and array-api-strict (the standard's
reference namespace, used by the tests).

Randomness is never ambient: every check gets its own generator, derived from the root seed
and the check's stable key (claim id + check name) through :class:`numpy.random.SeedSequence`.
The stream a check sees therefore does not depend on which other checks run or in what order.

Random numbers on any namespace
-------------------------------
The array API standard has no random module, and the libraries differ: cupy's ``Generator``
has ``standard_normal``, ``random`` and ``integers`` but no ``normal``,
``multivariate_normal`` or ``spawn``, and its state lives on the GPU and cannot be pickled. Every
draw of the numerical core therefore goes through the few functions below, which use only what
both generators have:

- :func:`default_rng` ``(seed, xp)``: a generator of ``xp``'s library;
- :func:`standard_normal`, :func:`normal` (``loc + scale·ξ`` from ``standard_normal``),
  :func:`uniform` (``low + (high − low)·u`` from ``random``), each returning an array of ``xp``;
- :func:`child_seeds` and :func:`spawn`: independent children through numpy's
  :class:`~numpy.random.SeedSequence`, whose seeds (not the generators) are what pickles.

On numpy these draws are bit for bit numpy's own (``rng.normal(loc, scale, size)`` is
``loc + scale * rng.standard_normal(size)``, ``rng.uniform(low, high, size)`` is
``low + (high - low) * rng.random(size)`` and ``rng.spawn(n)`` builds its children from the
same SeedSequence children). A namespace without a random module — array-api-strict — gets a
numpy generator: its draws are made on the host and converted with ``xp.asarray``, so an
array-api-strict run sees exactly the numbers a numpy run with the same seed sees.
"""

from __future__ import annotations

import hashlib
import importlib
import math
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

import array_api_compat
import array_api_compat.numpy  # namespace() of no array at all is numpy's
import numpy as np

from ebmcheck.theory.validation import generator, positive_int, real_array, real_scalar

BackendName = Literal["numpy", "cupy"]
BACKENDS: tuple[str, ...] = ("numpy", "cupy")


class BackendUnavailable(RuntimeError):
    """The requested array backend is not installed or has no usable device."""


@dataclass(frozen=True)
class Backend:
    """An array namespace ``xp`` plus the seeded generators that go with it."""

    name: str
    xp: ModuleType

    def rng(self, root_seed: int, *key: str):
        """Return a generator for ``key`` (e.g. claim id, check name) under ``root_seed`` (see :func:`derive_seed`)."""
        return default_rng(derive_seed(root_seed, *key), self.xp)


def to_host(array) -> np.ndarray:
    """A numpy copy of an array of any namespace: numpy's as is, cupy's through ``.get()``, others
    (array-api-strict, ...) through ``numpy.asarray``."""
    if isinstance(array, np.ndarray):
        return array
    if callable(getattr(array, "get", None)):
        return array.get()
    return np.asarray(array)


def namespace(*arrays):
    """The array API namespace of ``arrays`` (numpy, cupy, array-api-strict, ...), taken from the inputs.

    Python scalars and ``None`` are ignored; with no array at all the namespace is numpy's. Arrays of
    two different libraries are a ``TypeError`` (array_api_compat's message names them).
    """
    arrays = [a for a in arrays if a is not None and not isinstance(a, (bool, int, float, complex))]
    if not arrays:
        return array_api_compat.numpy
    return array_api_compat.array_namespace(*arrays)


def random_module(xp):
    """The random module of namespace ``xp`` (``numpy.random``, ``cupy.random``), or None if it has none.

    The array-API wrappers of array_api_compat stand for their library. A namespace counts as
    having one only if it offers ``random.default_rng``; array-api-strict has none."""
    if array_api_compat.is_numpy_namespace(xp):
        return np.random
    if array_api_compat.is_cupy_namespace(xp):
        return importlib.import_module("cupy").random
    module = getattr(xp, "random", None)
    return module if callable(getattr(module, "default_rng", None)) else None


def default_rng(seed, xp):
    """A random generator for arrays of namespace ``xp`` seeded by ``seed`` (an int >= 0 or a SeedSequence).

    ``xp.random.default_rng(seed)`` where the namespace has one (numpy, cupy); numpy's for a
    namespace without one (array-api-strict), whose draws the functions below then convert with
    ``xp.asarray``. The seed, not the generator, is what to keep or send to another process:
    cupy's generators cannot be pickled."""
    if not isinstance(seed, np.random.SeedSequence):
        seed = positive_int("seed", seed, minimum=0)
    module = random_module(_check_namespace(xp))
    return (module if module is not None else np.random).default_rng(seed)


def _check_namespace(xp):
    """``xp`` if it is an array namespace (a module with ``asarray``); TypeError naming ``xp`` otherwise."""
    if not isinstance(xp, ModuleType) or not callable(getattr(xp, "asarray", None)):
        raise TypeError(f"xp must be an array namespace such as numpy, cupy or array_api_strict, got {xp!r:.60}")
    return xp


def _parameter(name: str, value, shape: tuple[int, ...], *, low: float | None = None):
    """A distribution parameter: a finite real number, or a finite real array (kept in its
    namespace) that broadcasts to the draws' ``shape``."""
    if hasattr(value, "__array_namespace__") or isinstance(value, np.ndarray):
        array = real_array(name, value, allow_empty=True)
        try:
            fits = np.broadcast_shapes(tuple(array.shape), shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{name} must broadcast to the draws' shape {shape}, got shape {tuple(array.shape)}")
        if low is not None and not bool(namespace(array).all(array >= low)):
            raise ValueError(f"{name} must be >= {low:g} everywhere")
        return array
    return real_scalar(name, value, low=low)


def _shape(shape) -> tuple[int, ...]:
    """``shape`` (an int or a tuple of ints >= 0) as a tuple."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, tuple):
        raise TypeError(f"shape must be an int or a tuple of ints, got {shape!r:.60}")
    return tuple(positive_int("shape", n, minimum=0) for n in shape)


def standard_normal(rng, shape, xp):
    r"""Independent :math:`\mathcal N(0, 1)` draws of ``shape`` from ``rng``, as an array of namespace ``xp``.

    ``rng.standard_normal(shape)`` — the one normal draw that numpy's and cupy's generators
    share — converted by ``xp.asarray`` (no copy when ``rng`` already draws arrays of ``xp``;
    a host-to-namespace copy for a numpy generator serving array-api-strict)."""
    rng, xp = generator("rng", rng), _check_namespace(xp)
    return xp.asarray(rng.standard_normal(_shape(shape)))


def normal(rng, shape, xp, loc=0.0, scale=1.0):
    r""":math:`\mathcal N(\mathrm{loc}, \mathrm{scale}^2)` draws of ``shape``: ``loc + scale·ξ``, ξ from :func:`standard_normal`.

    Bit for bit ``rng.normal(loc, scale, shape)`` on numpy (which computes the same
    ``loc + scale * standard_normal``); cupy's generator has no ``normal``. ``loc`` and
    ``scale`` are real numbers or arrays of ``xp`` that broadcast to ``shape``."""
    shape = _shape(shape)
    loc, scale = _parameter("loc", loc, shape), _parameter("scale", scale, shape, low=0.0)
    return loc + scale * standard_normal(rng, shape, xp)


def uniform(rng, shape, xp, low=0.0, high=1.0):
    r"""Uniform draws on :math:`[\mathrm{low}, \mathrm{high})` of ``shape``: ``low + (high − low)·u``, u = ``rng.random(shape)``.

    Bit for bit ``rng.uniform(low, high, shape)`` on numpy, and ``rng.random(shape)`` for the
    default interval (0 + 1·u is u); the same operations on cupy. ``low`` and ``high`` are real numbers or arrays of
    ``xp`` that broadcast to ``shape``."""
    rng, xp = generator("rng", rng), _check_namespace(xp)
    if not callable(getattr(rng, "random", None)):
        raise TypeError(f"rng must be a random generator with random(shape), got {rng!r:.60}")
    shape = _shape(shape)
    low, high = _parameter("low", low, shape), _parameter("high", high, shape)
    if isinstance(low, float) and isinstance(high, float) and not math.isfinite(high - low):
        raise ValueError(f"high - low must be finite, got high={high!r}, low={low!r}")
    return low + (high - low) * xp.asarray(rng.random(shape))


ENTROPY_WORDS = 4  # 128 bits drawn from a generator that has no SeedSequence of its own


def child_seeds(rng, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child :class:`~numpy.random.SeedSequence` of ``rng``'s stream (they pickle; generators of cupy do not).

    A numpy generator's children are its own SeedSequence's (``rng.bit_generator.seed_seq.spawn(n)``,
    what ``rng.spawn(n)`` uses). A generator without one (cupy's) draws :data:`ENTROPY_WORDS`
    32-bit words with ``rng.integers`` — advancing its stream — and spawns the children of the
    SeedSequence they seed."""
    rng = generator("rng", rng)
    n = positive_int("n", n, minimum=0)
    seed_seq = getattr(getattr(rng, "bit_generator", None), "seed_seq", None)
    if not isinstance(seed_seq, np.random.SeedSequence):
        if not callable(getattr(rng, "integers", None)):
            raise TypeError(f"rng must be a numpy generator or have integers(low, high, size), got {rng!r:.60}")
        words = rng.integers(0, 2**32, size=ENTROPY_WORDS)
        seed_seq = np.random.SeedSequence([int(word) for word in words.tolist()])
    return seed_seq.spawn(n)


def spawn(rng, n: int, xp) -> list:
    """``n`` independent generators for namespace ``xp``: :func:`default_rng` of each of :func:`child_seeds` ``(rng, n)``.

    On numpy these draw exactly what ``rng.spawn(n)`` would (same children, same default bit
    generator); cupy's generator has no ``spawn``."""
    _check_namespace(xp)
    return [default_rng(seed, xp) for seed in child_seeds(rng, n)]


def derive_seed(root_seed: int, *key: str) -> int:
    """Return a 63-bit seed from the root seed and a string key, stable across runs.

    Python's ``hash`` is salted per process, so the key is hashed with SHA-256 instead.
    ``root_seed`` is an int >= 0, each part of ``key`` a str.
    """
    if isinstance(root_seed, bool) or not isinstance(root_seed, (int, np.integer)):
        raise TypeError(f"root_seed must be a non-negative integer, got {root_seed!r}")
    if root_seed < 0:
        raise ValueError(f"root_seed (the root seed) must be a non-negative integer, got {root_seed!r}")
    for part in key:
        if not isinstance(part, str):
            raise TypeError(f"key must be strings (e.g. claim id, check name), got {part!r}")
    digest = hashlib.sha256("/".join(key).encode()).digest()
    words = np.frombuffer(digest[:16], dtype=np.uint32).tolist()
    state = np.random.SeedSequence([int(root_seed), *words]).generate_state(2, dtype=np.uint32)
    return int(state[0]) << 31 ^ int(state[1])


def get_backend(name: str = "numpy") -> Backend:
    """Return the backend called ``name``; raise :class:`BackendUnavailable` if it cannot run."""
    if not isinstance(name, str):
        raise ValueError(f"unknown backend name={name!r:.60}; choose one of {', '.join(BACKENDS)}")
    if name == "numpy":
        return Backend("numpy", np)
    if name == "cupy":
        try:
            import cupy  # noqa: PLC0415 (optional dependency)
        except ImportError as error:
            raise BackendUnavailable(
                "backend 'cupy' is not installed: install it with `pip install ebmcheck[gpu]` "
                "or use --backend numpy"
            ) from error
        try:
            cupy.cuda.runtime.getDeviceCount()
        except Exception as error:  # cupy raises its own CUDA error types
            raise BackendUnavailable(f"backend 'cupy' is installed but no GPU is usable: {error}") from error
        return Backend("cupy", cupy)
    raise ValueError(f"unknown backend name={name!r}; choose one of {', '.join(BACKENDS)}")
