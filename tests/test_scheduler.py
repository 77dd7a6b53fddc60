"""Schedulers (checks.scheduler): the numbers do not depend on where the units run; failures are
reported, not hung on; a dead worker's units are run again; the default run never imports Dask.

The byte-identity test is the acceptance test of issue 19: results.json of claims of different
kinds — Monte Carlo (gaussian-score), quadrature (toy-partition-function), a fit
(vae-em-converges: EM iterations to convergence), and one whose last bits depended on the BLAS
thread count (physics-max-entropy-interval) — written in-process, on a 2-worker Dask LocalCluster
of processes, on one of threads and on a standard-library pool, byte for byte the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ebmcheck.checks import cli, registry
from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.report.results import results_document
from ebmcheck.checks.runner import run_claims
from ebmcheck.checks.scheduler import IN_PROCESS, RunStats, Scheduler, UnitFailed, parse_scheduler, run_units

pytestmark = pytest.mark.xdist_group("scheduler")  # one module, one process: the Dask clusters do not compete

# Monte Carlo, quadrature, a fit, and a claim whose last bits moved with the number of BLAS threads
# before every unit ran on one (checks.scheduler, "One BLAS thread")
KINDS = ("gaussian-score", "toy-partition-function", "vae-em-converges", "physics-max-entropy-interval")
CONFIG = RunConfig(seed=5)


def _document(scheduler) -> str:
    claims = [registry.get_claim(claim_id) for claim_id in KINDS]
    results = run_claims(claims, CONFIG, progress=False, scheduler=scheduler)
    return json.dumps(results_document(results, CONFIG), indent=2, sort_keys=True)


@pytest.fixture(scope="module")
def in_process() -> str:
    return _document("in-process")


@pytest.mark.parametrize("scheduler", ["processes:2", "threads:2", "pool:2"])
def test_results_are_byte_identical_on_any_scheduler(in_process, scheduler):
    if scheduler != "pool:2":
        pytest.importorskip("dask.distributed")
    assert _document(scheduler) == in_process


@pytest.mark.parametrize("text, expected", [
    ("in-process", IN_PROCESS), (None, IN_PROCESS), ("pool:3", Scheduler("pool", 3)), ("processes:0", Scheduler("processes", 0)),
    ("threads:2", Scheduler("threads", 2)), ("tcp://10.0.0.1:8786", Scheduler("address", 0, "tcp://10.0.0.1:8786")),
])
def test_scheduler_forms(text, expected):
    assert parse_scheduler(text) == expected
    assert str(expected) == (text or "in-process")


@pytest.mark.parametrize("text", ["processes", "processes:-1", "local:2", "http://host:1", "tcp://", 3])
def test_bad_scheduler_is_refused_with_the_accepted_forms(text):
    with pytest.raises((ValueError, TypeError), match="scheduler"):
        parse_scheduler(text)


def test_the_cli_refuses_both_scheduler_and_jobs():
    result = CliRunner().invoke(cli.main, ["verify", "gaussian-score", "--scheduler", "pool:2", "-j", "2"])
    assert result.exit_code == 2 and "not both" in result.output


def test_the_default_run_does_not_import_dask():
    code = ("import sys; from ebmcheck.checks import registry; from ebmcheck.checks.runner import run_claims; "
            "run_claims([registry.get_claim('gaussian-score')], progress=False); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---- failures ---------------------------------------------------------------------------------------
def _raises_in_second_check(context):
    context.rng("first check")
    context.rng("second check")
    raise FloatingPointError("the fit diverged")


FAULTY = registry.get_claim("gaussian-score").__class__(
    **{**registry.get_claim("gaussian-score").__dict__, "id": "faulty-claim", "checks": _raises_in_second_check})


@pytest.mark.parametrize("scheduler", ["in-process", "threads:2"])
def test_a_unit_that_raises_is_reported_by_claim_check_and_reproduction(scheduler):
    if scheduler != "in-process":
        pytest.importorskip("dask.distributed")
    claims = [registry.get_claim("gaussian-score"), FAULTY]
    with pytest.raises(UnitFailed) as caught:
        run_claims(claims, CONFIG, progress=False, scheduler=scheduler)
    error = caught.value
    assert "claim faulty-claim, check 'second check', seed 5" in error.what
    assert error.reproduce == "ebmcheck verify faulty-claim --seed 5"
    assert "FloatingPointError: the fit diverged" in error.detail


def test_a_failed_unit_stops_the_report_and_leaves_the_previous_reports_intact(tmp_path, monkeypatch):
    """On a 2-thread Dask cluster (a claim built in this test cannot be pickled to a process): exit 4,
    the claim, the check and the reproduction line on stderr, and not one byte of reports/ touched."""
    pytest.importorskip("dask.distributed")
    out = tmp_path / "reports"
    monkeypatch.setattr(registry, "CLAIMS", (registry.get_claim("gaussian-score"),))
    assert CliRunner().invoke(cli.main, ["report", "--out", str(out), "--seed", "5"]).exit_code == 0
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    monkeypatch.setattr(registry, "CLAIMS", (registry.get_claim("gaussian-score"), FAULTY))
    result = CliRunner().invoke(cli.main, ["report", "--out", str(out), "--seed", "5", "--scheduler", "threads:2"])
    assert result.exit_code == 4, result.output
    assert "claim faulty-claim, check 'second check', seed 5" in result.output
    assert "reproduce: ebmcheck verify faulty-claim --seed 5" in result.output
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before


def square_or_die(value: int, marker: str) -> int:
    """A unit whose worker process dies the first time it runs value 3 (the marker file remembers)."""
    if value == 3 and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    return value * value


def raise_on(value: int) -> int:
    if value == 2:
        raise KeyError("no such replicate")
    return value


def test_a_dead_workers_unit_is_run_again_and_counted(tmp_path):
    pytest.importorskip("dask.distributed")
    stats = RunStats()
    marker = str(tmp_path / "died-once")
    units = [(value, marker) for value in range(6)]
    results = dict(run_units(square_or_die, units, parse_scheduler("processes:2"), stats=stats,
                             describe=lambda i: (f"unit {i}", f"again {i}")))
    assert results == {i: i * i for i in range(6)}
    assert os.path.exists(marker) and stats.retried >= 1 and stats.units == 6


@pytest.mark.parametrize("scheduler", ["pool:2", "processes:2"])
def test_an_exception_on_a_worker_process_is_reported_with_the_units_description(scheduler):
    if scheduler.startswith("processes"):
        pytest.importorskip("dask.distributed")
    with pytest.raises(UnitFailed) as caught:
        list(run_units(raise_on, [(i,) for i in range(4)], parse_scheduler(scheduler),
                       describe=lambda i: (f"unit {i}", f"run unit {i} alone")))
    assert caught.value.what == "unit 2" and caught.value.reproduce == "run unit 2 alone"
    assert "KeyError: 'no such replicate'" in caught.value.detail


def test_ctrl_c_cancels_the_units_and_leaves_the_previous_reports_intact(tmp_path):
    """``report --scheduler processes:2`` over a copy of the committed reports, interrupted while the
    workers run: exit 130 within seconds, the message, and every file of the folder as it was."""
    pytest.importorskip("dask.distributed")
    import shutil
    import signal
    import threading
    import time

    out = tmp_path / "reports"
    shutil.copytree(Path(__file__).resolve().parents[1] / "reports", out)
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    process = subprocess.Popen(
        [sys.executable, "-c", "from ebmcheck.checks.cli import main; main()", "report", "--out", str(out),
         "--scheduler", "processes:2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # a background job may inherit SIGINT ignored
    seen, first_unit_back = [], threading.Event()

    def read():  # the whole output, in a thread: readline would block the test if the run went quiet
        for line in process.stdout:
            seen.append(line)
            if line.startswith("claims [1/"):
                first_unit_back.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # Interrupt once the first unit is back: the cluster is up and the other units are running.
        assert first_unit_back.wait(timeout=120), "".join(seen)[-2000:]
        process.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        process.wait(timeout=60)
    finally:
        if process.poll() is None:  # a failed wait leaves no run behind
            process.kill()
    reader.join(timeout=10)
    output = "".join(seen)
    assert process.returncode == 130, output[-2000:]
    assert time.monotonic() - interrupted < 30
    assert "interrupted: the outstanding units were cancelled; nothing was written" in output
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before


def test_cupy_processes_get_one_cuda_worker_per_gpu_when_dask_cuda_is_installed(monkeypatch):
    """``processes:N`` on cupy is dask-cuda's LocalCUDACluster (one worker per GPU); without dask-cuda a
    plain LocalCluster, and the run says why. Both cluster classes are stood in for: no GPU here."""
    pytest.importorskip("dask.distributed")
    import types

    import dask.distributed

    from ebmcheck.checks import scheduler as module

    made = []
    fake_cuda = types.ModuleType("dask_cuda")
    fake_cuda.LocalCUDACluster = lambda **kwargs: made.append(("cuda", kwargs)) or "cuda-cluster"
    monkeypatch.setitem(sys.modules, "dask_cuda", fake_cuda)
    monkeypatch.setattr(dask.distributed, "LocalCluster", lambda **kwargs: made.append(("cpu", kwargs)) or "cpu-cluster")
    stats = RunStats()
    assert module._local_cluster(Scheduler("processes", 2), "cupy", stats) == "cuda-cluster" and not stats.notes
    assert module._local_cluster(Scheduler("processes", 2), "numpy", stats) == "cpu-cluster"
    monkeypatch.setitem(sys.modules, "dask_cuda", None)  # not installed: import fails
    assert module._local_cluster(Scheduler("processes", 2), "cupy", stats) == "cpu-cluster"
    assert "dask-cuda is not installed" in stats.notes[0]
    assert made[1] == ("cpu", {"n_workers": 2, "threads_per_worker": 1, "processes": True, "dashboard_address": None})


def test_objectives_sweep_runs_one_unit_per_seed_and_adds_the_tallies(monkeypatch):
    """``objectives --seed 1-3 --scheduler threads:2`` with a stand-in for one seed's property sweep
    (the real one takes a minute a seed): one unit per seed, the tallies added, seed 2's failure
    reported as the first."""
    pytest.importorskip("dask.distributed")
    import importlib

    sweep = importlib.import_module("ebmcheck.checks.properties.sweep")  # the module (the package re-exports a function of that name)

    def one_seed(seed, profile):
        return {("ml", "fisher-consistency"): (1, int(seed == 2), f"seed {seed}: z = 9" if seed == 2 else "")}

    monkeypatch.setattr(sweep, "built_in_sweep", one_seed)
    result = CliRunner().invoke(cli.main, ["objectives", "--seed", "1-3", "--scheduler", "threads:2"])
    assert result.exit_code == 1, result.output
    assert "3 seeds: 1 failed property runs of 3" in result.output
    assert "ml :: fisher-consistency: 1/3  first: seed 2: z = 9" in result.output
    assert "scheduler threads:2: 3 units, 0 rescheduled after a worker died" in result.output


def test_merge_tallies_keeps_the_earliest_seeds_first_failure():
    from ebmcheck.checks.properties.sweep import merge_tallies

    key = ("nce", "unbiased-gradient")
    assert merge_tallies([{key: (2, 0, "")}, {key: (2, 1, "seed 4")}, {key: (1, 1, "seed 5")}]) == {key: (5, 2, "seed 4")}


def test_sweeps_run_in_pieces_add_up_to_the_whole(tmp_path):
    """``verify --seed 0-1 --json`` and ``--seed 2-3 --json`` merged by benchmarks/sweep_table.py give
    the counts of ``--seed 0-3``; overlapping pieces are refused."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("sweep_table", Path(__file__).resolve().parents[1] / "benchmarks" / "sweep_table.py")
    sweep_table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep_table)

    def piece(seeds):
        result = CliRunner().invoke(cli.main, ["verify", "gaussian-score", "--seed", seeds, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    whole, first, second = piece("0-3"), piece("0-1"), piece("2-3")
    merged = sweep_table.merge([second, first])
    assert merged["seeds"] == [0, 3] and merged["checks"] == whole["checks"]
    assert "| statistical | 5 | 20 | 0 |" in sweep_table.table(merged)
    with pytest.raises(ValueError, match="overlap"):
        sweep_table.merge([first, piece("1-2")])
