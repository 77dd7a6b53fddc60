"""What produced the numbers: seed, profile, backend, library versions, platform and code.

Everything here goes either into ``results.json`` (what can change a number's last bits) or into
the pages' provenance blocks (the commit of the code and the libraries that only shape the pages).

The *platform* is what decides the last bits besides the code and the seed: numpy's SIMD loops
(AVX2 vs AVX-512) and OpenBLAS's kernel ("core": Haswell vs SkylakeX) round differently, and so
does a reduction split over another number of threads. Both are read through public interfaces:
numpy's own build-and-runtime report (:func:`numpy.show_config` with ``mode="dicts"``: its
baseline features and the dispatched features this CPU has, the set numpy picks its loops from)
and threadpoolctl's view of the BLAS libraries loaded.

The *code state* is the last commit that touched :data:`CODE_PATHS` (not the checkout's HEAD) and
the code files changed since: a commit that touches only the README or the reports does not
change what produced the numbers, so it does not change the pages.
"""

from __future__ import annotations

import functools
import platform
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ebmcheck.checks.config import RunConfig

# Libraries whose versions can change the numbers: recorded in results.json.
LIBRARIES = ("ebmcheck", "numpy", "scipy", "sympy", "mpmath")
# Libraries that only shape the pages: shown in the provenance block, not in results.json.
REPORT_LIBRARIES = ("matplotlib", "jinja2", "latex2mathml", "click")

ROOT = Path(__file__).resolve().parents[2]
"""The repository root when the package runs from a checkout (the folder that holds checks/)."""

CODE_PATHS = ("__init__.py", "theory", "derivations", "checks", "pyproject.toml")
"""What produces the numbers, relative to :data:`ROOT`: a change here (committed or not) changes
what the reports say."""


def versions(names) -> dict[str, str]:
    """The installed version of each distribution in ``names`` ('not installed' when absent)."""
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def numpy_simd() -> str:
    """The CPU features numpy's SIMD loops are chosen from here, e.g.
    ``baseline X86_V2; dispatched X86_V3 X86_V4 AVX512_ICL AVX512_SPR``.

    The baseline is compiled in; the dispatched features are those of the build that this CPU
    has and that ``NPY_DISABLE_CPU_FEATURES`` does not switch off — numpy runs the loop of the
    best of them, so they decide the last bits of its reductions and transcendental functions."""
    import numpy

    simd = numpy.show_config(mode="dicts").get("SIMD Extensions", {})  # empty lists are left out
    baseline, found = " ".join(simd.get("baseline", [])), " ".join(simd.get("found", []))
    return f"baseline {baseline or 'none'}; dispatched {found or 'none'}"


def blas_cores() -> str:
    """The BLAS libraries loaded, with their kernel ("core") and thread count, e.g.
    ``openblas 0.3.31 SkylakeX x2``: OpenBLAS picks its kernels from the CPU at load time
    (``OPENBLAS_CORETYPE`` overrides), and both the kernel and the number of threads that split a
    reduction change the last bits."""
    import numpy  # noqa: F401  (load numpy's and scipy's BLAS before asking)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    cores = sorted({
        f"{info.get('internal_api', '?')} {info.get('version') or '?'} {info.get('architecture') or '?'} x{info.get('num_threads', '?')}"
        for info in threadpool_info() if info.get("user_api") == "blas"
    })
    return "; ".join(cores) or "unknown"


def platform_fingerprint() -> dict[str, str]:
    """What, besides the code and the seed, decides the last bits of the numbers."""
    return {
        "python": platform.python_version(),
        "system": platform.system(),
        "machine": platform.machine(),
        "numpy_cpu_features": numpy_simd(),
        "blas": blas_cores(),
    }


def provenance(config: RunConfig) -> dict:
    """What produced the numbers: the run configuration (seed, profile, backend), library versions,
    platform (no timings)."""
    fingerprint = platform_fingerprint()
    return {
        **config.to_json(),
        "python": fingerprint.pop("python"),
        "versions": versions(LIBRARIES),
        "platform": fingerprint,
    }


@dataclass(frozen=True)
class CodeState:
    """The git commit of the code and the code files that differ from it (tracked or new)."""

    commit: str | None  # None when the code is not a git checkout
    changed: tuple[str, ...]

    def describe(self) -> str:
        if self.commit is None:
            return "unknown (not a git checkout)"
        return f"{self.commit} (with uncommitted changes)" if self.changed else self.commit


def code_state() -> CodeState:
    """The last commit that changed the code (:data:`CODE_PATHS`) and its uncommitted code changes.

    The commit of the *code*, not of the checkout: a later commit that touches only the README or
    the reports does not change what produced the numbers, so it must not change the pages."""
    run = functools.partial(subprocess.run, capture_output=True, text=True, check=True, timeout=10, cwd=ROOT)
    try:
        if run(["git", "rev-parse", "--show-toplevel"]).stdout.strip() != str(ROOT):
            return CodeState(None, ())  # installed into site-packages, inside someone else's repository
        commit = run(["git", "log", "-1", "--format=%h", "--", *CODE_PATHS]).stdout.strip()
        status = run(["git", "status", "--porcelain", "--untracked-files=all", "--", *CODE_PATHS]).stdout
    except (OSError, subprocess.SubprocessError):
        return CodeState(None, ())
    changed = tuple(line[3:] for line in status.splitlines() if line.strip() and not line.endswith(".pyc"))
    return CodeState(commit or None, changed)


def repository_reports() -> Path | None:
    """The repository's own reports/ folder, when the package runs from a git checkout."""
    return ROOT / "reports" if code_state().commit is not None else None
