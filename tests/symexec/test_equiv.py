"""Whole-design equivalence on hand-built IR: proofs, confirmed counterexamples, unknowns."""

import numpy as np
import pytest
from designs import (fifo_pipeline, fifo_single_process, gemm_float, gemm_int, relu,
                     rowsum_call, scalar_fn)
from irb import c, op

from allo.ir.types import int8, int16, uint8
from allo.backends.interp import Interpreter
from allo.symexec import verify


def assert_not_equivalent(v):
    assert v.status == "not equivalent", v.report()
    cex = v.counterexample
    assert cex is not None
    if cex.error_a is None and cex.error_b is None:
        assert cex.output and cex.expr_a and cex.expr_b
        assert not (cex.value_a == cex.value_b or (cex.value_a != cex.value_a and cex.value_b != cex.value_b))


def test_gemm_ikj_reordered_is_equivalent():
    v = verify(gemm_int(), gemm_int(order="ikj"))
    assert v and v.status == "equivalent"
    assert "symbolic execution" in v.method
    assert v.stats["ops_A"] > 0


def test_gemm_local_accumulator_is_equivalent():
    assert verify(gemm_int(), gemm_int(local_acc=True))


def test_float_gemm_reordered_loops_keep_reduction_order():
    assert verify(gemm_float(), gemm_float(order="kij"))


def test_int_wrap_tricks():
    twice = scalar_fn(lambda x, y: op("mul", int8, x, c(2, int8)))
    plus = scalar_fn(lambda x, y: op("add", int8, x, x))
    assert verify(twice, plus)
    add_sub = scalar_fn(lambda x, y: op("sub", int8, op("add", int8, x, y), y))
    ident = scalar_fn(lambda x, y: op("add", int8, x, c(0, int8)))
    assert verify(add_sub, ident)


def test_shift_versus_multiply_is_decided_by_z3():
    shl = scalar_fn(lambda x, y: op("shl", int8, x, c(1, int8)))
    mul = scalar_fn(lambda x, y: op("mul", int8, x, c(2, int8)))
    v = verify(shl, mul)
    assert v, v.report()
    assert "z3" in v.method


def test_distributivity_needs_z3_and_holds_mod_2n():
    lhs = scalar_fn(lambda x, y: op("mul", int8, op("add", int8, x, y), c(3, int8)))
    rhs = scalar_fn(lambda x, y: op("add", int8, op("mul", int8, x, c(3, int8)),
                                    op("mul", int8, y, c(3, int8))))
    v = verify(lhs, rhs)
    assert v and "z3" in v.method


def test_float_reduction_reordered_not_equivalent_exact_but_reassoc():
    a, b = gemm_float(), gemm_float(k_reverse=True)
    v = verify(a, b)
    assert_not_equivalent(v)
    cex = v.counterexample
    assert cex.output == "return[0]"
    # the interpreter really produces the reported values
    outs = Interpreter(a)(*[x.copy() for x in cex.inputs.values()])
    assert outs[cex.index] == cex.value_a or np.isnan(cex.value_a)
    r = verify(a, b, fp="reassoc")
    assert r.status == "equivalent"
    assert "reassoc" in r.method and "not bit-exact" in r.method


def test_off_by_one_bound():
    assert_not_equivalent(verify(gemm_int(), gemm_int(k_hi=3)))


def test_swapped_indices():
    v = verify(gemm_int(), gemm_int(a_idx="ki"))
    assert_not_equivalent(v)
    assert "A[" in v.counterexample.expr_a


def test_dropped_init():
    assert_not_equivalent(verify(gemm_int(local_acc=True), gemm_int(local_acc=True, init_acc=False)))


def test_narrowed_accumulator_overflows():
    from allo.ir.types import int8 as narrow
    v = verify(gemm_int(), gemm_int(acc_t=narrow))
    assert_not_equivalent(v)


def test_data_dependent_if_equals_select():
    assert verify(relu("if"), relu("select"))
    # > versus >= changes nothing for relu (A[i] == 0 gives 0 either way): proved
    assert verify(relu("if", cmp="gt"), relu("if", cmp="ge"))
    assert_not_equivalent(verify(relu("if"), relu("if", else_value=1)))


def test_fifo_producer_consumer_equivalent_to_direct():
    v = verify(fifo_pipeline(direct=True), fifo_pipeline())
    assert v, v.report()
    # the FIFO holds 6 elements under sequential order with depth 2: only a note, since
    # producer and consumer are separate dataflow processes
    assert any("note" in i and "overflow" in i for i in v.issues)


def test_fifo_misuse_deadlock_reported():
    v = verify(fifo_pipeline(direct=True), fifo_pipeline(put_count=5))
    assert v.status == "not equivalent"
    assert any("deadlock" in i for i in v.issues)
    assert v.counterexample.error_b and "empty" in v.counterexample.error_b


def test_fifo_overfilled_by_one_process_is_certain_deadlock():
    v = verify(fifo_pipeline(direct=True, scale=1), fifo_single_process())
    assert v.status == "not equivalent" and "hardware deadlock" in v.reason
    assert v.counterexample.interleaving and v.counterexample.error_b
    assert verify(fifo_pipeline(direct=True, scale=1), fifo_single_process(depth=6))


def test_fifo_leftover_data_reported():
    v = verify(fifo_pipeline(direct=True), fifo_pipeline(put_count=6, get_count=5))
    assert any("leftover" in i for i in v.issues)
    assert_not_equivalent(v)  # B[5] is never written


def test_fifo_leftover_data_makes_an_equal_single_call_unknown():
    # the producer puts 6 elements, the consumer gets 5: one call writes B[0..4] exactly as
    # the plain loop does, but in hardware the sixth element stays in S and the next call
    # would read it first, so "equivalent" would be wrong for a kernel called twice
    from irb import V, func, ld, loop, module, st
    from allo.ir.types import int32

    i = V("i")
    plain = module(func("top", [("A", int32[6]), ("B", int32[6])],
                        [loop("i", 5, [st("B", [i], op("mul", int32, ld("A", int32, i), c(2, int32)))])]))
    v = verify(plain, fifo_pipeline(put_count=6, get_count=5, depth=8))
    assert v.status == "unknown", v.report()
    assert "left in FIFO 'S'" in v.reason and "next call" in v.reason
    assert verify(plain, fifo_pipeline(put_count=5, get_count=5, depth=8)).status == "equivalent"


def test_calls_with_subviews():
    assert verify(rowsum_call(True), rowsum_call(False))


def test_data_dependent_address_is_unknown_not_sicf():
    from irb import V, func, ld, loop, module, st
    from allo.ir.types import index, int32
    i = V("i")
    gather = module(func("g", [("A", int32[4]), ("I", index[4]), ("B", int32[4])],
                         [loop("i", 4, [st("B", [i], ld("A", int32, ld("I", index, i)))])]))
    pipelined = gather.copy()
    pipelined.top_func.body[0].attrs["pipeline"] = 1  # same meaning, different IR
    v = verify(gather, pipelined)
    assert v.status == "unknown" and v.reason.startswith("not SICF")
    assert not v


def test_signature_mismatch_is_unknown():
    v = verify(gemm_int(), gemm_float())
    assert v.status == "unknown" and "signature" in v.reason


def test_verdict_report_is_readable():
    v = verify(gemm_int(), gemm_int(k_hi=3))
    text = str(v)
    assert "verdict: not equivalent" in text and "first differing output: C[" in text
    assert "inputs:" in text


def test_z3_signed_mod_matches_the_registry():
    # regression: the z3 table called a nonexistent z3.SMod (crashed on any signed mod)
    import z3
    from allo.semantics import evaluate
    from allo.semantics.z3_ops import Z3Context, z3_apply
    for a in (-7, 7, 0, 5, -128):
        for b in (3, -3, 0, -1):
            t = z3_apply(Z3Context(), "mod", int8, (int8, int8), (z3.BitVecVal(a, 8), z3.BitVecVal(b, 8)))
            assert z3.simplify(t).as_signed_long() == evaluate("mod", [a, b], [int8, int8], int8)
