"""The estimator's invariants as properties over random kernels and schedules."""

import math

from hypothesis import HealthCheck, assume, given, settings, strategies as st

import allo
from allo.ir.index import constant_trips
from allo.ir.types import int8, int16
from allo.qor import estimate
from allo.schedule import Schedule
from allo.testing import KernelFeatures, kernels
from allo.testing.qor_kernels import mac_kernels, product_kernels

SETTINGS = dict(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@settings(**SETTINGS)
@given(data=st.data())
def test_pipelining_never_worsens_latency(data):
    module = data.draw(kernels(KernelFeatures(while_loops=False, calls=False)))
    loops = [lp for lp in module.top_func.loops()
             if constant_trips(lp) is not None and constant_trips(lp).trips >= 4
             and "pipeline_ii" not in lp.attrs]
    assume(loops)
    loop = data.draw(st.sampled_from(loops))
    before = estimate(module).latency
    s = Schedule(module.copy())
    s.pipeline(f"{module.top}:{loop.name}")
    # a pipeline of >= 4 iterations pays back its module's 4 start/done cycles
    # (docs/qor.md); shorter ones may not, as in Vitis
    assert s.report().latency <= before


@settings(**SETTINGS)
@given(k=mac_kernels(), data=st.data())
def test_partitioning_lowers_ii_to_the_port_bound(k, data):
    s = Schedule(k.module)
    s.pipeline("i")  # k is unrolled under it: f reads of A and of B per iteration
    r = s.report()
    assert r.loop("i").ii == max(1, math.ceil(k.f / 2))
    p = data.draw(st.sampled_from([d for d in (1, 2, 4, 8, 16) if k.f % d == 0]))
    s.partition(s.A, allo.Partition.Cyclic, dim=2, factor=p)
    s.partition(s.B, allo.Partition.Cyclic, dim=1, factor=p)
    # f / p reads per bank, 2 ports per bank
    assert s.report().loop("i").ii == max(1, math.ceil(k.f / p / 2))


@settings(**SETTINGS)
@given(k=product_kernels(), f=st.sampled_from([2, 4, 8]))
def test_unrolling_multiplies_dsp(k, f):
    one = Schedule(k.module).report().resources
    s = Schedule(k.module)
    s.unroll("i", f)
    many = s.report().resources
    # the multipliers are replicated f times; narrow ones pack two per DSP
    assert many.dsp == f * one.dsp and many.packable == f * one.packable
    assert f * one.total_dsp / 2 <= many.total_dsp <= f * one.total_dsp


def _gemm_stages(n):
    def vanilla(A: int8[n, n], B: int8[n, n], C: int16[n, n]):
        for i, j in allo.grid(n, n, "PE"):
            for k in range(n):
                C[i, j] += A[i, k] * B[k, j]

    s1 = allo.customize(vanilla)
    # compute customization: the reduction outside j, j pipelined (II 1)
    s2 = allo.customize(vanilla)
    s2.reorder("k", "j")
    s2.pipeline("j")
    # memory customization: banked B and C, a row of C per cycle (j unrolled under k)
    s3 = allo.customize(vanilla)
    s3.reorder("k", "j")
    s3.partition(s3.B, dim=2)
    s3.partition(s3.C, dim=2)
    s3.pipeline("k")
    # systolic: the seed's PE array, each PE's loops pipelined
    s4 = allo.customize(vanilla)
    buf_a = s4.buffer_at(s4.A, "j")
    buf_b = s4.buffer_at(s4.B, "j")
    pe = s4.unfold("PE", axis=[0, 1], factor=[n, n])
    s4.partition(s4.A, dim=0)
    s4.partition(s4.B, dim=1)
    s4.partition(s4.C, dim=[0, 1])
    s4.relay(buf_a, pe, axis=0, depth=n + 1)
    s4.relay(buf_b, pe, axis=1, depth=n + 1)
    for loop in ("A_init_0", "B_init_0", "k"):
        s4.pipeline(loop)
    return [s1, s2, s3, s4]


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(n=st.sampled_from([8, 16]))
def test_latency_decreases_across_the_four_gemm_stages(n):
    latencies = [s.report().latency for s in _gemm_stages(n)]
    assert all(a > b for a, b in zip(latencies, latencies[1:])), latencies


@settings(**SETTINGS)
@given(module=kernels(KernelFeatures()))
def test_every_random_kernel_gets_a_report(module):
    # calls, while loops, ifs on data, sub-views, local buffers: never an internal error
    r = estimate(module)
    assert r.latency >= 0 and r.dsp >= 0 and r.rows[0].kind == "function"
    assert int(r.formula().subs(r.trip_symbols())) == r.latency
