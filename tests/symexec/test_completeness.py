"""Completeness: legal designs (every working primitive, GEMM, a stencil, a 2-D
convolution, a multi-function design, streams, a systolic array) verify equivalent, and
``s.verify()`` passes the verifier's options through."""

import pytest
from confirm import assert_agree_on_random_inputs
from designs import (fifo_pipeline, gemm_float, gemm_int, gemm_plain, relu, rowsum_call,
                     systolic_gemm)
from fe_kernels import FORCED, SCHEDULES, build

from allo.errors import VerificationError
from allo.symexec import verify

SCHEDULED = [(k, s) for k, scheds in SCHEDULES.items() for s in ["", *scheds]]


@pytest.mark.parametrize("kernel,schedule", SCHEDULED, ids=[f"{k}:{s or 'plain'}" for k, s in SCHEDULED])
def test_scheduled_kernel_is_equivalent(kernel, schedule):
    original, scheduled, s = build(kernel, schedule)
    v = s.verify()
    assert v.status == "equivalent", v.report()
    assert verify(original, scheduled)


@pytest.mark.parametrize("kernel", sorted(FORCED))
def test_interchange_refused_by_side_condition_is_proved_by_whole_design_check(kernel):
    original, swapped, _ = build(kernel, forced=True)
    v = verify(original, swapped)
    assert v.status == "equivalent", v.report()
    assert_agree_on_random_inputs(original, swapped, trials=3)


HAND = [
    ("gemm_int", dict(order=o)) for o in ("ijk", "ikj", "jik", "jki", "kij", "kji")
] + [
    ("gemm_int", dict(swap_mul=True)), ("gemm_int", dict(k_reverse=True)),
    ("gemm_int", dict(split_k=1)), ("gemm_int", dict(split_k=3)),
    ("gemm_int", dict(local_acc=True)), ("gemm_int", dict(local_acc=True, k_reverse=True)),
    ("gemm_float", dict(order="jik")), ("gemm_float", dict(order="ikj")),
    ("relu", dict(style="select")), ("relu", dict(cmp="ge")),
]
REFERENCES = {"gemm_int": gemm_int, "gemm_float": gemm_float, "relu": relu}


@pytest.mark.parametrize("kind,knobs", HAND, ids=[f"{k}-{d}" for k, d in HAND])
def test_hand_built_legal_variant_is_equivalent(kind, knobs):
    v = verify(REFERENCES[kind](), REFERENCES[kind](**knobs))
    assert v.status == "equivalent", v.report()


@pytest.mark.parametrize("m,n,k", [(2, 2, 2), (4, 4, 4), (3, 5, 4), (8, 8, 8), (4, 2, 5)])
def test_systolic_array_is_equivalent_to_triple_loop(m, n, k):
    v = verify(gemm_plain(m, n, k), systolic_gemm(m, n, k))
    assert v.status == "equivalent", v.report()
    assert not [i for i in v.issues if "note" not in i]


def test_systolic_array_deeper_fifos_and_streams():
    assert verify(gemm_plain(), systolic_gemm(depth_a=16, depth_b=16))
    assert verify(fifo_pipeline(direct=True), fifo_pipeline(depth=8))
    assert verify(rowsum_call(True), rowsum_call(False))


def test_long_reversed_integer_reduction_canonicalizes():
    # K = 256 terms summed in opposite orders: raw ids differ, canonical sums agree
    from irb import V, c, cast, func, ld, loop, module, op, st
    from allo.ir.types import index, int8, int32
    n = 256

    def dot(reverse):
        k = V("k")
        kk = op("sub", index, c(n - 1), k) if reverse else k
        val = op("add", int32, ld("s", int32), cast(int32, ld("A", int8, kk)))
        return module(func("dot", [("A", int8[n]), ("s", int32[()] if False else
                                                      __import__("allo").ir.types.BufferType(int32, ()))],
                           [loop("k", n, [st("s", [], val)])]))
    v = verify(dot(False), dot(True))
    assert v.status == "equivalent" and v.stats["differing_ids"] == 0, v.report()


def test_schedule_verify_passes_fp_and_timeout_through():
    _, _, s = build("fgemm", "split_k")
    assert s.verify(fp="reassoc", timeout_ms=500).status == "equivalent"
    with pytest.raises(VerificationError, match="fp='fast'") as err:
        s.verify(fp="fast")
    assert "reassoc" in str(err.value)
    with pytest.raises(VerificationError, match="'foo'") as err:
        s.verify(foo=1)
    assert "timeout_ms" in str(err.value) and "random_trials" in str(err.value)
    with pytest.raises(VerificationError, match="timeout_ms"):
        s.verify(timeout_ms="soon")


def test_progress_bar_is_drawn_for_long_runs(capsys, monkeypatch):
    import allo.symexec.executor as ex
    clock = iter(range(0, 10_000, 3))  # every perf_counter() call advances 3 s
    monkeypatch.setattr(ex.time, "perf_counter", lambda: float(next(clock)))
    v = verify(gemm_plain(16, 16, 16), systolic_gemm(16, 16, 16), progress=True)
    assert v.status == "equivalent"
    err = capsys.readouterr().err
    assert "symexec B [" in err and "ops/s" in err
    ex2 = ex.progress_line("A", 10, 1.0, None)
    assert ex2.startswith("symexec A:")
