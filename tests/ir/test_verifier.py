"""The IR verifier accepts every sample and rejects each kind of ill-formed module."""

import numpy as np
import pytest

from allo.errors import AlloError
from allo.ir.nodes import (Alloc, BufRef, Call, Const, For, Func, If, Load, Module, Op, Param, Return,
                           Store, StreamGet, StreamPut, Var, While)
from allo.ir.types import Stream, bool_, float32, index, int8, int16, int32
from allo.ir.verifier import IRError, verify_ir

from ir_samples import c, cast, every_sample, gemm, loop, op, v


@pytest.mark.parametrize("name", sorted(every_sample()))
def test_accepts_samples(name):
    verify_ir(every_sample()[name])


def one(body, params=None, results=None, extra=()):
    params = params if params is not None else [Param("A", int32[4]), Param("x", int32)]
    f = Func("f", params, results or [], body)
    return Module({"f": f, **{g.name: g for g in extra}}, "f")


def rejects(module, *words):
    with pytest.raises(IRError) as info:
        verify_ir(module)
    msg = str(info.value)
    for w in words:
        assert w in msg, msg
    assert isinstance(info.value, AlloError)
    return msg


A0 = (c(0),)


def test_undefined_buffer():
    rejects(one([Store("B", A0, c(1, int32))]), "undefined buffer 'B'", "function 'f'")


def test_undefined_variable():
    rejects(one([Store("A", A0, v("y", int32))]), "undefined variable 'y'")


def test_loop_variable_out_of_scope():
    body = [loop("i", 4, []), Store("A", (v("i"),), c(1, int32))]
    rejects(one(body), "undefined variable 'i'")


def test_alloc_out_of_scope():
    body = [loop("i", 4, [Alloc("t", int32[()])]), Store("t", (), c(1, int32))]
    rejects(one(body), "undefined buffer 't'")


def test_index_count_vs_rank():
    rejects(one([Store("A", (c(0), c(0)), c(1, int32))]), "rank 1", "2 index")
    rejects(one([Store("A", A0, Load("A", (), int32))]), "rank 1", "0 index")


def test_float_index_rejected():
    rejects(one([Store("A", (Const(0.0, float32),), c(1, int32))]), "indices must be integers")


def test_store_type_mismatch():
    rejects(one([Store("A", A0, c(1, int8))]), "storing a int8 value", "int32")


def test_load_type_mismatch():
    rejects(one([Store("A", A0, Load("A", A0, int8))]), "reading 'A'")


def test_var_type_mismatch():
    rejects(one([Store("A", A0, cast(v("x", int8), int32))]), "variable 'x' has type int32")


def test_homogeneous_arith():
    bad = Op("add", (c(1, int32), c(1, int8)), int32)
    rejects(one([Store("A", A0, bad)]), "op 'add'", "result type")


def test_op_arity_and_unknown_op():
    rejects(one([Store("A", A0, Op("add", (c(1, int32),), int32))]), "takes 2 operand(s), got 1")
    rejects(one([Store("A", A0, Op("frobnicate", (c(1, int32),), int32))]), "unknown op 'frobnicate'")


def test_comparison_result_is_bool():
    rejects(one([Store("A", A0, Op("lt", (c(1, int32), c(2, int32)), int32))]), "comparisons give bool")
    mixed = Op("lt", (c(1, int32), c(2, int16)), bool_)
    rejects(one([If(mixed, [])]), "both operands must have one type")


def test_select_and_logic_types():
    sel = Op("select", (c(1, int32), c(1, int32), c(2, int32)), int32)
    rejects(one([Store("A", A0, sel)]), "condition must be bool")
    rejects(one([If(Op("land", (c(1, int32), c(1, int32)), bool_), [])]), "logical ops")


def test_math_needs_float_and_bitwise_needs_int():
    rejects(one([Store("A", A0, Op("exp", (c(1, int32),), int32))]), "math intrinsics")
    f = Const(1.0, float32)
    rejects(one([If(Op("eq", (Op("and", (f, f), float32), f), bool_), [])]), "bitwise ops need integer")


def test_slice_bounds_checked():
    x = c(5, int8)
    bad = Op("get_slice", (x, c(2), c(12)), int32)
    rejects(one([Store("A", A0, cast(bad, int32))]), "out of the value's bits")
    dyn = Op("get_slice", (x, v("x", int32), c(4)), int8)
    rejects(one([Store("A", A0, cast(dyn, int32))]), "slice bounds must be constants")


def test_condition_must_be_bool():
    rejects(one([If(c(1, int32), [])]), "condition has type int32")
    rejects(one([While(c(1, int32), [])]), "condition has type int32")


def test_non_positive_step():
    rejects(one([loop("i", 4, [], step=0)]), "step 0")
    rejects(one([loop("i", 4, [], step=-1)]), "step -1")


def test_float_loop_bound():
    rejects(one([For("i", c(0), Const(4.0, float32), 1, [])]), "bounds must be integers")


def test_duplicate_loop_variable_in_scope():
    rejects(one([loop("i", 4, [loop("i", 4, [])])]), "loop variable 'i' shadows")
    rejects(one([loop("x", 4, [])]), "loop variable 'x' shadows")  # a scalar parameter
    verify_ir(one([loop("i", 4, []), loop("i", 4, [])]))  # sibling loops may reuse a name


def test_duplicate_names():
    rejects(one([], params=[Param("A", int32[4]), Param("A", int32)]), "duplicate parameter 'A'")
    rejects(one([Alloc("t", int32[2]), loop("i", 2, [Alloc("t", int32[2])])]), "declared twice")
    rejects(one([Alloc("A", int32[2])]), "declared twice")


def test_alloc_init_checked():
    rejects(one([Alloc("t", int32[2], c(1, int8))]), "initialised with a int8")
    rejects(one([Alloc("t", int32[2], np.zeros(3))]), "table has shape (3,)")


def test_buffer_vs_scalar_vs_stream_kinds():
    rejects(one([Store("x", (), c(1, int32))]), "'x' is a scalar value")
    rejects(one([Store("A", A0, v("A", int32))]), "'A' is a buffer")
    s = [Param("S", Stream[int32, 2]), Param("A", int32[4])]
    rejects(one([Store("S", (), c(1, int32))], params=s), "is a stream")
    rejects(one([StreamPut("A", A0, c(1, int32))], params=s), "not a stream")
    rejects(one([Store("A", A0, StreamGet("S", (), int8))], params=s), "reading 'S'")


def callee():
    return Func("g", [Param("r", int32[4]), Param("k", int32)], [int32],
                [Return([Load("r", (c(0),), int32)])])


def test_call_to_unknown_function():
    rejects(one([Call("nope", [])]), "unknown function 'nope'")


def test_call_arity_and_types():
    rejects(one([Call("g", [BufRef("A")])], extra=[callee()]), "takes 2 argument(s)")
    rejects(one([Alloc("r", int32[()]), Call("g", [BufRef("A"), c(1, int8)], ["r"])], extra=[callee()]),
            "argument 1", "expects int32")
    two_d = [Param("M", int32[2, 4]), Param("A", int32[4]), Param("x", int32)]
    ok = one([Alloc("r", int32[()]), Call("g", [BufRef("M", (c(1),)), v("x", int32)], ["r"])],
             params=two_d, extra=[callee()])
    verify_ir(ok)  # a row of M is an int32[4] view
    rejects(one([Alloc("r", int32[()]), Call("g", [BufRef("M"), v("x", int32)], ["r"])],
                params=two_d, extra=[callee()]), "argument 0")


def test_call_results_checked():
    rejects(one([Call("g", [BufRef("A"), v("x", int32)])], extra=[callee()]), "binds 0")
    rejects(one([Call("g", [BufRef("A"), v("x", int32)], ["r"])], extra=[callee()]), "'r' is undefined")
    rejects(one([Alloc("r", int8[()]), Call("g", [BufRef("A"), v("x", int32)], ["r"])], extra=[callee()]),
            "returns int32")


def test_return_must_match_results():
    rejects(one([Return([c(1, int32)])]), "Return gives 1 value(s)")
    rejects(one([Return([c(1, int8)])], results=[int32]), "returned value 0 is a int8")
    rejects(one([loop("i", 2, [])], results=[int32]), "does not end with Return")
    rejects(one([Return([]), loop("i", 2, [])]), "last statement")
    rejects(one([loop("i", 2, [Return([c(1, int32)])]), Return([c(1, int32)])], results=[int32]),
            "nested block")
    verify_ir(one([Return([BufRef("A")])], results=[int32[4]]))


def test_top_and_registration():
    m = gemm()
    m.top = "missing"
    rejects(m, "top function 'missing'")
    m = gemm()
    m.funcs["other"] = m.funcs.pop("gemm")
    m.top = "other"
    rejects(m, "registered as 'other'")


# ---------------------------------------------------------------- static index ranges
def store_at(idx, buf="A"):
    return Store(buf, (idx,), c(1, int32))


def test_affine_index_out_of_range_is_rejected():
    i = v("i")
    msg = rejects(one([loop("i", 4, [store_at(op("add", i, c(2)))])]), "index 0 of 'A'",
                  "2 .. 5", "extent 4")
    assert "function 'f'" in msg
    rejects(one([loop("i", 4, [store_at(op("add", i, c(100000)))])]), "100000 .. 100003")
    rejects(one([loop("i", 4, [store_at(op("sub", c(2), i))])]), "-1 .. 2")
    rejects(one([loop("i", 8, [store_at(op("mul", c(2), i))], step=3)]), "0 .. 12")  # i = 0, 3, 6
    rejects(one([store_at(c(4))]), "takes the values 4")
    load = Load("A", (op("add", v("i"), c(1)),), int32)
    rejects(one([loop("i", 4, [Store("A", (v("i"),), load)])]), "1 .. 4")


def test_in_range_or_undecidable_indices_are_accepted():
    i, j = v("i"), v("j")
    ok = [
        loop("i", 3, [store_at(op("add", i, c(1)))]),  # 1 .. 3
        loop("i", 4, [store_at(op("sub", c(3), i))]),
        loop("i", 4, [store_at(i)], lo=1),
        loop("i", 4, [If(op("lt", i, c(2), t=bool_), [store_at(op("add", i, c(2)))])]),
        loop("i", 4, [While(op("lt", v("x", int32), c(0, int32), t=bool_), [store_at(c(9))])]),
        loop("i", 4, [store_at(op("mod", op("mul", i, i), c(4)))]),  # not affine: not judged
        loop("i", 0, [store_at(op("add", i, c(9)))]),  # never runs
        loop("i", cast(v("x", int32), index), [store_at(op("add", i, c(9)))]),  # unknown count
        loop("i", 4, [loop("j", 3, [store_at(op("add", j, c(1)))], lo=i)]),  # triangular
        loop("i", 4, [store_at(cast(op("add", cast(i, int8), c(0, int8)), index))]),
    ]
    for stmt in ok:
        verify_ir(one([stmt]))


def test_index_that_may_wrap_is_not_judged():
    # i + 126 in int8 wraps for i >= 2, so the value is not i + 126: leave it to run time
    i = v("i")
    wrapped = cast(op("add", cast(i, int8), c(126, int8)), index)
    verify_ir(one([loop("i", 4, [store_at(wrapped)])], params=[Param("A", int32[200]), Param("x", int32)]))
    # without wrap, the same shape of index is judged
    exact = cast(op("add", cast(i, int16), c(126, int16)), index)
    rejects(one([loop("i", 4, [store_at(exact)])]), "126 .. 129")


def test_subview_prefix_out_of_range_is_rejected():
    two_d = [Param("M", int32[2, 4]), Param("A", int32[4]), Param("x", int32)]
    bad = loop("i", 3, [Alloc("r", int32[()]), Call("g", [BufRef("M", (v("i"),)), v("x", int32)], ["r"])])
    rejects(one([bad], params=two_d, extra=[callee()]), "index 0 of 'M'", "0 .. 2", "extent 2")


def test_static_index_range_helper():
    from allo.ir.verifier import loop_value_range, static_index_range
    i = v("i")
    assert static_index_range(op("add", i, c(2)), {"i": (0, 3)}) == (2, 5)
    assert static_index_range(op("mul", i, i), {"i": (0, 3)}) is None
    assert static_index_range(v("k"), {"i": (0, 3)}) is None
    assert loop_value_range(c(0), c(10), 3) == (0, 9)
    assert loop_value_range(c(5), c(5), 1) is None


def test_rejects_expressions_deeper_than_the_limit_without_recursing():
    from allo.errors import SourceLoc
    from allo.ir.nodes import MAX_EXPR_DEPTH

    e = Var("x", int32)
    for _ in range(5000):  # far past Python's recursion limit: must not raise RecursionError
        e = Op("add", (e, Var("x", int32)), int32)
    loc = SourceLoc("k.py", 7, 4, "    A[0] = x + x + ...")
    rejects(one([Store("A", (c(0),), e, loc=loc)]), "nested too deeply", "5001 levels",
            f"limit is {MAX_EXPR_DEPTH}", "k.py:7")
