"""Design-space exploration: serial and Dask runs agree, refusals/timeouts/dead workers are
reported as such, the best schedule replays, and ``allo dse`` writes its plot."""

import os
import sys
import time

import cloudpickle
import pytest

import allo
from allo.dse import Space, explore
from allo.ir.types import float32

# candidates carrying test callables are shipped to Dask workers by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])

N = 8


def gemm(A: float32[N, N], B: float32[N, N]) -> float32[N, N]:
    C: float32[N, N] = 0.0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


GEMM_SPACE = {
    "reorder": [None, ["k", "j"]],
    "split": {"j": [1, 2, 4]},
    "pipeline": [None, "k", "j", "j.inner"],
    "partition": {"B": [None, ("cyclic", 2, 4)], "A": [None, ("complete", 2, 0)]},
}


def test_space_enumerates_the_product():
    space = Space(GEMM_SPACE)
    assert len(space) == 2 * 3 * 4 * 2 * 2 == len(space.candidates())
    c = space.candidates()[-1]
    assert c.script().splitlines()[0] == 's.reorder("k", "j")'


def test_tile_and_unroll_keys_apply_the_real_primitives():
    result = explore(gemm, {"tile": [None, ("i", "j", 4, 4)], "pipeline": ["j.inner"],
                            "unroll": {"k": [None, 2]}}, workers=0, progress=False, verify=False)
    statuses = {r.script(): r.status for r in result.rows}
    assert statuses['s.tile("i", "j", 4, 4)\ns.pipeline("j.inner")'] == "estimated"
    assert statuses['s.tile("i", "j", 4, 4)\ns.pipeline("j.inner")\ns.unroll("k", 2)'] == "estimated"
    assert statuses['s.pipeline("j.inner")'] == "refused"  # no tile, no j.inner


@pytest.fixture(scope="module")
def serial():
    return explore(gemm, GEMM_SPACE, workers=0, progress=False)


def test_refused_candidates_carry_their_reason(serial):
    refused = [r for r in serial.rows if r.status == "refused"]
    assert refused
    # pipelining "j.inner" without a split names a loop that does not exist
    r = next(r for r in refused if r.calls == (("pipeline", ("j.inner",), {}),))
    assert "no loop named 'j.inner'" in r.reason


def test_best_is_verified_pareto_optimal_and_replays(serial):
    best = serial.best
    assert best is not None and best.status == "verified" and best.pareto
    estimated = [r for r in serial.rows if r.metrics]
    assert best.metrics["latency"] == min(r.metrics["latency"] for r in estimated)
    s = serial.best_schedule()
    assert s.report().latency == best.metrics["latency"]
    assert s.verify()
    # every non-dominated point of (latency, DSP) is on the front
    for r in estimated:
        assert any(p.metrics["latency"] <= r.metrics["latency"] and p.metrics["DSP"] <= r.metrics["DSP"]
                   for p in serial.pareto)


def test_constraints_exclude_candidates_over_budget():
    result = explore(gemm, GEMM_SPACE, constraints={"DSP": 10}, workers=0, progress=False,
                     verify=False)
    assert result.best is not None and result.best.metrics["DSP"] <= 10
    over = [r for r in result.rows if r.reason.startswith("over budget")]
    assert over and all(r.metrics["DSP"] > 10 and not r.feasible for r in over)


def test_serial_and_local_cluster_agree(serial):
    assert len(serial.rows) >= 50
    dist = explore(gemm, GEMM_SPACE, workers=2, progress=False)
    assert [r.key() for r in dist.rows] == [r.key() for r in serial.rows]
    assert dist.best.index == serial.best.index


def kill_worker(s):
    os._exit(3)


def sleep_long(s):
    time.sleep(60)


@pytest.fixture(scope="module")
def cluster():
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=50)
        yield c
        c.close()


def test_dead_worker_and_timeout_are_reported_and_the_rest_completes(cluster):
    space = {"pipeline": ["j", "k"], "steps": [[], [kill_worker], [sleep_long]]}
    result = explore(gemm, space, scheduler=cluster.scheduler_address, timeout=3,
                     progress=False, verify=False)
    by_steps = {}
    for r in result.rows:
        by_steps.setdefault(r.calls[-1] if callable(r.calls[-1]) else None, []).append(r)
    assert {r.status for r in by_steps[kill_worker]} == {"worker died"}
    assert {r.status for r in by_steps[sleep_long]} == {"timeout"}
    assert {r.status for r in by_steps[None]} == {"estimated"}
    assert "died" in by_steps[kill_worker][0].reason
    assert "3 s" in by_steps[sleep_long][0].reason


def test_allo_dse_writes_the_pareto_png(tmp_path, capsys):
    from allo.cli import main

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    space = tmp_path / "space.py"
    space.write_text('SPACE = {"reorder": [None, ["k", "j"]], "pipeline": ["j", "k"]}\n')
    png = tmp_path / "pareto.png"
    code = main(["dse", os.path.join(root, "examples", "dse_gemm.py") + "::gemm",
                 "--space", str(space), "--workers", "0", "--png", str(png)])
    assert code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "best (latency)" in out and "verified" in out


def test_objective_function_and_a_bad_space_key():
    from allo.errors import AlloError

    def area_delay(m):
        return m["latency"] * m["DSP"]

    result = explore(gemm, {"pipeline": ["j", "k"], "reorder": [None, ["k", "j"]]},
                     objective=area_delay, workers=0, progress=False, verify=False)
    scored = [r for r in result.rows if r.metrics]
    assert result.best.score == min(r.metrics["latency"] * r.metrics["DSP"] for r in scored)
    assert result.objective == "area_delay"
    with pytest.raises(AlloError, match="unknown design-space key"):
        explore(gemm, {"pipelines": ["j"]}, workers=0, progress=False)
