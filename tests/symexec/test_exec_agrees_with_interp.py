"""The symbolic executor's DAG, evaluated on concrete inputs, equals the reference
interpreter on the same inputs: for random kernels and schedules, and for the seed's
systolic array (FIFOs, unfolded PEs). This checks the executor's hot path (packed node
keys, narrowed widened arithmetic, loop-invariant addresses hoisted out of loops) against
an independent implementation, value by value, not only through verdicts."""

import numpy as np
from seed_kernels import make_gemm, make_matmul
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import allo
from allo.ir.types import Fixed, Float
from allo.symexec.dag import Dag
from allo.symexec.executor import NotSICF, SymbolicExecutor
from allo.symexec.replay import _to_container, make_args, random_value, run_interpreter, same_value
from allo.testing import KernelFeatures, kernels


def agree(mod, trials=3, seed=0):
    """Compare every live-out cell on ``trials`` random inputs; returns the cells compared."""
    dag = Dag()
    names = [p.name for p in mod.top_func.params]
    try:
        res = SymbolicExecutor(mod, dag, input_names=names, progress=False).run()
    except NotSICF:
        return 0
    if any(isinstance(dag.type_of(n), Fixed) and dag.type_of(n).bits > 53
           for n in dag.input_nodes()):
        return 0  # the interpreter's fixed-point inputs are float64: wider raw bits round
    rng = np.random.default_rng(seed)
    compared = 0
    for trial in range(trials):
        env = {n: random_value(dag.type_of(n), rng, trial) for n in dag.input_nodes()}
        outs, err = run_interpreter(mod, make_args(mod.top_func, names, dag, env), names)
        if err is not None:
            continue  # e.g. a division by zero on this input: the verdicts cover errors
        for live in res.outputs:
            with np.errstate(all="ignore"):
                got = dag.evaluate(live.cells, env)
            want = np.asarray(outs[live.name]).reshape(-1)
            for k, (g, w) in enumerate(zip(got, want)):
                g = _to_container(g, live.dtype)
                if isinstance(live.dtype, Float):
                    g, w = live.dtype.numpy_dtype().type(g), live.dtype.numpy_dtype().type(w)
                assert same_value(g, w), f"{live.name}[{k}]: symbolic {g!r}, interpreter {w!r}"
                compared += 1
    return compared


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_kernels_evaluate_like_the_interpreter(data):
    mod = data.draw(kernels(KernelFeatures(max_extent=5)))
    assume(agree(mod) > 0)


def test_seed_designs_evaluate_like_the_interpreter():
    """The 8x8 systolic array (relay FIFOs, unfolded PEs) and a split/reordered/buffered
    float GEMM, before and after their schedules."""
    n = 8
    s = allo.customize(make_matmul(n, n, n))
    buf_a, buf_b = s.buffer_at(s.A, "j"), s.buffer_at(s.B, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[n, n])
    s.relay(buf_a, pe, axis=0, depth=n + 1)
    s.relay(buf_b, pe, axis=1, depth=n + 1)
    g = allo.customize(make_gemm(n, n, n))
    g.split("i", 4)
    g.reorder("k", "j")
    g.buffer_at(g.C, axis="i.inner")
    for sched in (s, g):
        assert agree(sched.original, trials=2) == agree(sched.ir, trials=2) > 0
