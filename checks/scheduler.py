"""Where a run's independent units of work execute: this process, a local process pool, or Dask.

A run is cut into **units**: a claim's numerical checks under one seed (:func:`checks.runner.run_numerics`),
or one seed of the objectives' property sweep. Units share nothing: each draws from its own random
streams, derived through :class:`numpy.random.SeedSequence` from (root seed, claim id, stream, check
name) (:meth:`checks.anatomy.Context.rng`), so the numbers do not depend on where a unit runs, in
which order, or next to what. A unit is sized to seconds of work (a claim's checks take 0.1–15 s),
far above a Dask task's few hundred microseconds of overhead.

The schedulers (:func:`parse_scheduler`, the command line's ``--scheduler``):

``in-process`` (the default)
    one unit after the other in this process; Dask is not imported.
``pool:N``
    a pool of N worker processes from the standard library (``-j/--jobs N``; 0: one per core);
    no Dask needed.
``processes:N`` / ``threads:N``
    a local Dask cluster (``dask.distributed.LocalCluster``) of N single-threaded worker
    processes, or one worker process with N threads; on ``--backend cupy`` with dask-cuda
    installed, ``processes:N`` is a ``LocalCUDACluster`` (one worker per GPU, N ignored).
``tcp://host:port``
    an existing Dask scheduler (every worker needs ebmcheck and its dependencies installed).

Dask is optional (``pip install 'ebmcheck[dask]'``) and imported only by the last three.

One BLAS thread. OpenBLAS splits a reduction (a dot product, a matrix product's inner sums) over
its threads, so the last bits of a result depend on how many it uses: measured, the second
variation of physics-max-entropy-interval and the sequential estimates of three CNCE claims moved
in the last digit between an in-process run (as many BLAS threads as cores) and Dask workers (one,
Dask's default). Every unit therefore runs with one BLAS thread (:func:`one_blas_thread`, held by
:func:`run_units` for the whole run as well, so that the threads of a ``threads:N`` cluster, which
share the process's BLAS, never see another count); the workers are the parallelism.

Failures. A unit that raises is reported as :class:`UnitFailed` (what it was, the check it was in,
the command that reproduces it); the run stops, the units not yet done are cancelled, and the
caller writes nothing. A Dask worker that dies has its units rescheduled by Dask (up to
``distributed.scheduler.allowed-failures`` times); :attr:`RunStats.retried` counts them. Ctrl-C
cancels the outstanding units the same way.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Literal

SchedulerKind = Literal["in-process", "pool", "processes", "threads", "address"]
SCHEDULER_HELP = ("where the units run: in-process (default), pool:N (standard-library processes), "
                  "processes:N or threads:N (a local Dask cluster), tcp://host:port (an existing Dask scheduler)")


@dataclass(frozen=True)
class Scheduler:
    """Where units run: ``kind`` and, for a local pool or cluster, ``workers`` (0: one per core);
    for an existing Dask scheduler, its ``address``. Build it with :func:`parse_scheduler`."""

    kind: SchedulerKind = "in-process"
    workers: int = 1
    address: str | None = None

    @property
    def uses_dask(self) -> bool:
        return self.kind in ("processes", "threads", "address")

    def __str__(self) -> str:
        if self.kind == "address":
            return str(self.address)
        return self.kind if self.kind == "in-process" else f"{self.kind}:{self.workers}"


IN_PROCESS = Scheduler()
_LOCAL = re.compile(r"(pool|processes|threads):(\d+)")


def parse_scheduler(text: str | Scheduler | None) -> Scheduler:
    """``"in-process"``, ``"pool:N"``, ``"processes:N"``, ``"threads:N"`` (N >= 0; 0: one per
    available core) or a Dask scheduler address ``"tcp://host:port"`` (also ``tls://``,
    ``ucx://``, ``inproc://``). ``ValueError`` naming the accepted forms otherwise."""
    if text is None or isinstance(text, Scheduler):
        return text or IN_PROCESS
    if not isinstance(text, str):
        raise TypeError(f"scheduler must be a str, got {text!r:.60}")
    text = text.strip()
    if text == "in-process":
        return IN_PROCESS
    if match := _LOCAL.fullmatch(text):
        return Scheduler(match[1], int(match[2]))  # type: ignore[arg-type]
    if re.fullmatch(r"(tcp|tls|ucx|inproc)://\S+", text):
        return Scheduler("address", 0, text)
    raise ValueError(f"scheduler {text!r} not understood; use in-process, pool:N, processes:N, threads:N "
                     "(N >= 0, 0 for one per core) or a Dask address such as tcp://127.0.0.1:8786")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform says, else the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class UnitFailed(Exception):
    """A unit of work raised (or its worker died more often than Dask retries).

    ``what`` names the unit and, for a claim, the check it was in; ``reproduce`` is the command that
    runs it alone; ``detail`` the exception and its traceback as text (it crosses process boundaries,
    so it holds no live objects)."""

    def __init__(self, what: str, reproduce: str, detail: str = "") -> None:
        super().__init__(what, reproduce, detail)
        self.what, self.reproduce, self.detail = what, reproduce, detail

    def __str__(self) -> str:
        first = self.detail.strip().splitlines()[-1] if self.detail.strip() else "failed"
        return f"{self.what}: {first}\n  reproduce: {self.reproduce}"

    @classmethod
    def from_exception(cls, what: str, reproduce: str, error: BaseException) -> UnitFailed:
        return cls(what, reproduce, "".join(traceback.format_exception(error)))


@dataclass
class RunStats:
    """What the scheduler saw: units run, and units Dask rescheduled after a worker died."""

    units: int = 0
    retried: int = 0
    scheduler: str = "in-process"
    notes: list[str] = field(default_factory=list)


def one_blas_thread():
    """A context in which BLAS uses one thread (``threadpoolctl``); on leaving, the count it found."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def run_units(
    function: Callable[..., Any], units: Sequence[tuple], scheduler: Scheduler = IN_PROCESS, *,
    describe: Callable[[int], tuple[str, str]], backend: str = "numpy", stats: RunStats | None = None,
) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, function(*units[index]))`` as units finish, on ``scheduler``.

    ``function`` must be importable by name (it is sent to workers by reference) and its results
    picklable. ``describe(index)`` gives ``(what, reproduce)`` for a unit whose worker failed without
    a :class:`UnitFailed` of its own. A failure raises :class:`UnitFailed` after cancelling the
    units not yet done; so does closing the generator early (Ctrl-C). ``stats``, when given, is
    filled in as the run goes (units) and at its end (units retried)."""
    stats = stats if stats is not None else RunStats()
    stats.scheduler, stats.units = str(scheduler), len(units)
    if not units:
        return
    with one_blas_thread():
        if scheduler.kind == "in-process":
            for index, unit in enumerate(units):
                yield index, _call(function, unit, describe, index)
        elif scheduler.kind == "pool":
            yield from _in_pool(function, units, scheduler.workers or available_cores(), describe)
        else:
            yield from _on_dask(function, units, scheduler, describe, backend, stats)


def _call(function, unit, describe, index):
    try:
        return function(*unit)
    except UnitFailed:
        raise
    except Exception as error:
        raise UnitFailed.from_exception(*describe(index), error) from error


def _in_pool(function, units, workers: int, describe) -> Iterator[tuple[int, Any]]:
    """Workers come from a fork server (a clean process, none of the caller's threads), or are
    spawned where there is none."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(max_workers=min(workers, len(units)), mp_context=multiprocessing.get_context(method))
    try:
        futures = {pool.submit(function, *unit): index for index, unit in enumerate(units)}
        for future in as_completed(futures):
            index = futures[future]
            yield index, _result(future, describe, index)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _result(future, describe, index):
    try:
        return future.result()
    except UnitFailed:
        raise
    except Exception as error:  # a worker that died (BrokenProcessPool, KilledWorker), a pickling error
        raise UnitFailed.from_exception(*describe(index), error) from error


def _on_dask(function, units, scheduler: Scheduler, describe, backend: str, stats: RunStats) -> Iterator[tuple[int, Any]]:
    from dask.distributed import Client, as_completed as dask_completed

    cluster = _local_cluster(scheduler, backend, stats) if scheduler.kind != "address" else None
    client = Client(cluster if cluster is not None else scheduler.address, set_as_default=False)
    futures = []
    try:
        # pure=False: two units with equal arguments (none here) are still two runs; no retries on an
        # exception (a unit that raises raises again), Dask reschedules a unit whose worker died.
        futures = [client.submit(function, *unit, pure=False) for unit in units]
        before = _rescheduled(client, futures[0].key)
        index_of = {future.key: index for index, future in enumerate(futures)}
        for future in dask_completed(futures, loop=client.loop):
            index = index_of[future.key]
            result = _result(future, describe, index)
            future.release()  # its result leaves the worker's memory: a long sweep does not pile up
            yield index, result
        after = _rescheduled(client, futures[0].key)
        stats.retried = after - before if min(before, after) >= 0 else -1
    finally:
        outstanding = [future for future in futures if not future.done()]
        if outstanding:  # a failure or Ctrl-C: the rest is not run
            client.cancel(outstanding, force=True)
        client.close()
        if cluster is not None:
            cluster.close()


TRIM_SETTING = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
"""Dask's nannies start workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also turns off glibc's
dynamic mmap threshold: every temporary array above 128 kB is then mmap'ed and unmapped, and its
pages faulted in again on each use. Measured on one quick-profile seed: the CNCE fits ran 2–3×
slower in such workers than in-process (system time 8× higher). The local clusters unset it; an
existing cluster should too (README, "Scale-out")."""


def _local_cluster(scheduler: Scheduler, backend: str, stats: RunStats):
    """A LocalCluster of single-threaded processes (``processes:N``) or of one process with N threads
    (``threads:N``); a LocalCUDACluster (one worker per GPU) for ``processes:N`` on cupy when
    dask-cuda is installed. No dashboard: a run is a batch job, and its port could be taken."""
    import dask

    workers = scheduler.workers or available_cores()
    with warnings.catch_warnings(), dask.config.set({TRIM_SETTING: None}):
        warnings.filterwarnings("ignore", message=".*already in use.*")  # port 8787 taken (another cluster): any port will do
        if backend == "cupy" and scheduler.kind == "processes":
            try:
                from dask_cuda import LocalCUDACluster
            except ImportError:
                stats.notes.append("dask-cuda is not installed: the cupy workers share the default GPU "
                                   "(pip install dask-cuda for one worker per GPU)")
            else:
                return LocalCUDACluster(dashboard_address=None)
        from dask.distributed import LocalCluster

        threads = scheduler.kind == "threads"
        return LocalCluster(n_workers=1 if threads else workers, threads_per_worker=workers if threads else 1,
                            processes=not threads, dashboard_address=None)


def _rescheduled(client, key) -> int:
    """How often the scheduler has run tasks named like ``key`` again because their worker died: its
    ``suspicious`` count of their task prefix (the function's name), read before and after a run;
    -1 when the scheduler refuses to say."""
    try:
        return int(client.run_on_scheduler(_suspicious_of_prefix, key=key))
    except Exception:  # a scheduler that refuses run_on_scheduler: the count is unknown, not zero
        return -1


def _suspicious_of_prefix(key, dask_scheduler=None) -> int:
    from dask.utils import key_split

    prefix = dask_scheduler.task_prefixes.get(key_split(key))
    return prefix.suspicious if prefix is not None else 0
