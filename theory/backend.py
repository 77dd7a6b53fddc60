"""Array backend and seeded random streams.

numpy is the default; cupy is used when asked for and installed. Both expose the numpy API
(``xp.exp``, ``xp.linalg``...) and a ``random.default_rng``, so code written against ``xp``
runs on either without a hand-written backend class.

Randomness is never ambient: every check gets its own generator, derived from the root seed
and the check's stable key (claim id + check name) through :class:`numpy.random.SeedSequence`.
The stream a check sees therefore does not depend on which other checks run or in what order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

import array_api_compat
import numpy as np

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
        seed = derive_seed(root_seed, *key)
        return self.xp.random.default_rng(seed)

    def to_numpy(self, array) -> np.ndarray:
        """Copy an array of this backend to host memory (a no-op for numpy)."""
        if self.name == "cupy":
            return self.xp.asnumpy(array)
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
