"""Partition-type inference on small hand-built IR hierarchies, and mismatch errors."""

import pytest

from allo.errors import AlloNameError, AlloTypeError
from allo.ir.nodes import Alloc, BufRef, Call, Const, For, Func, Module, Param, Return, Var
from allo.ir.types import index, int32
from allo.typesys import DataflowGraph, Layout, build_graph, components, infer_layouts


def L(shape, *dims):
    return Layout.of(shape, dims)


def whole(name):
    return BufRef(name)


def row(name, i="i"):
    return BufRef(name, (Var(i, index),))


def gemm_design():
    """top(A, B) -> C: allocates C and calls gemm(A, B, C)."""
    gemm = Func("gemm", [Param("A", int32[8, 8]), Param("B", int32[8, 8]),
                         Param("C", int32[8, 8])], [], [])
    top = Func("top", [Param("A", int32[8, 8]), Param("B", int32[8, 8])], [int32[8, 8]],
               [Alloc("C", int32[8, 8]), Call("gemm", [whole("A"), whole("B"), whole("C")]),
                Return([whole("C")])])
    return Module({"top": top, "gemm": gemm}, "top")


def test_graph_of_gemm():
    g = build_graph(gemm_design())
    assert set(g.shapes) == {("top", "A"), ("top", "B"), ("top", "C"),
                             ("gemm", "A"), ("gemm", "B"), ("gemm", "C")}
    assert {(b.outer, b.inner, b.offset) for b in g.bindings} == {
        (("top", n), ("gemm", n), 0) for n in "ABC"}
    assert sorted(map(len, components(g))) == [2, 2, 2]


def test_callee_need_propagates_to_caller():
    need = L((8, 8), "none", "cyclic(4)")
    out = infer_layouts(gemm_design(), {("gemm", "C"): need})
    assert out[("top", "C")] == need and out[("gemm", "C")] == need
    assert out[("top", "A")] == Layout.none((8, 8))  # unconstrained buffers stay unpartitioned


def test_one_buffer_two_callees_gets_the_meet():
    k1 = Func("k1", [Param("X", int32[12, 12])], [], [])
    k2 = Func("k2", [Param("Y", int32[12, 12])], [], [])
    top = Func("top", [Param("A", int32[12, 12])], [],
               [Call("k1", [whole("A")]), Call("k2", [whole("A")])])
    m = Module({"top": top, "k1": k1, "k2": k2}, "top")
    reqs = {("k1", "X"): L((12, 12), "cyclic(2)", "none"),
            ("k2", "Y"): L((12, 12), "cyclic(3)", "block(2)")}
    out = infer_layouts(m, reqs)
    expected = L((12, 12), "cyclic(6)", "block(2)")
    assert out[("top", "A")] == out[("k1", "X")] == out[("k2", "Y")] == expected
    # every bound kernel gets at least what it asked for, and no more than needed
    for node, need in reqs.items():
        assert out[node] <= need
    assert all(out[("top", "A")] <= x for x in reqs.values())
    assert out[("top", "A")] == reqs[("k1", "X")] & reqs[("k2", "Y")]


def nested_design():
    """top(A[4, 8]) -> mid(X[4, 8]) -> leaf(Y[8]) on rows X[i]; leaf returns a buffer."""
    leaf = Func("leaf", [Param("Y", int32[8])], [int32[8]],
                [Alloc("out", int32[8]), Return([whole("out")])])
    mid = Func("mid", [Param("X", int32[4, 8])], [],
               [For("i", Const(0, index), Const(4, index), 1,
                    [Alloc("r", int32[8]), Call("leaf", [row("X")], ["r"])], name="i")])
    top = Func("top", [Param("A", int32[4, 8])], [], [Call("mid", [whole("A")])])
    return Module({"top": top, "mid": mid, "leaf": leaf}, "top")


def test_nested_sub_view_binds_trailing_dims():
    g = build_graph(nested_design())
    assert any(b.outer == ("mid", "X") and b.inner == ("leaf", "Y") and b.offset == 1
               for b in g.bindings)
    out = infer_layouts(nested_design(), {("leaf", "Y"): L((8,), "cyclic(4)")})
    assert out[("mid", "X")] == L((4, 8), "none", "cyclic(4)")
    assert out[("top", "A")] == L((4, 8), "none", "cyclic(4)")


def test_caller_layout_on_viewed_dim_reaches_callee_only_on_trailing_dims():
    out = infer_layouts(nested_design(), {("top", "A"): L((4, 8), "complete", "block(2)")})
    assert out[("mid", "X")] == L((4, 8), "complete", "block(2)")
    assert out[("leaf", "Y")] == L((8,), "block(2)")  # dim 1 of A is fixed by the view


def test_returned_buffer_binds_call_result():
    out = infer_layouts(nested_design(), {("leaf", "out"): L((8,), "complete")})
    assert out[("mid", "r")] == L((8,), "complete")
    assert out[("top", "A")] == Layout.none((4, 8))


def template_design(shared):
    """top passes A and B to either two instances of one template or one shared kernel."""
    def kernel(name):
        return Func(name, [Param("X", int32[8])], [], [],
                    attrs={"template": "add", "instance_args": [8]} if not shared else {})
    if shared:
        funcs = {"add": kernel("add")}
        calls = [Call("add", [whole("A")]), Call("add", [whole("B")])]
    else:
        funcs = {"add_0": kernel("add_0"), "add_1": kernel("add_1")}
        calls = [Call("add_0", [whole("A")]), Call("add_1", [whole("B")])]
    top = Func("top", [Param("A", int32[8]), Param("B", int32[8])], [], calls)
    return Module({"top": top, **funcs}, "top")


def test_template_instances_do_not_interfere():
    out = infer_layouts(template_design(shared=False), {("top", "A"): L((8,), "cyclic(2)")})
    assert out[("add_0", "X")] == L((8,), "cyclic(2)")
    assert out[("add_1", "X")] == Layout.none((8,))
    assert out[("top", "B")] == Layout.none((8,))


def test_shared_kernel_ties_its_callers():
    # one function = one interface: both arguments must have the parameter's layout
    out = infer_layouts(template_design(shared=True), {("top", "A"): L((8,), "cyclic(2)")})
    assert out[("add", "X")] == out[("top", "B")] == L((8,), "cyclic(2)")


def test_explicit_layout_supplying_more_is_accepted():
    reqs = {("top", "C"): (L((8, 8), "complete", "none"), True),
            ("gemm", "C"): (L((8, 8), "cyclic(2)", "none"), False)}
    out = infer_layouts(gemm_design(), reqs)
    assert out[("gemm", "C")] == L((8, 8), "complete", "none")


def test_mismatch_names_both_kernels_buffer_layouts_and_fix():
    reqs = {("top", "C"): (L((8, 8), "none", "block(2)"), True),
            ("gemm", "C"): (L((8, 8), "none", "cyclic(4)"), False)}
    with pytest.raises(AlloTypeError) as info:
        infer_layouts(gemm_design(), reqs)
    msg = str(info.value)
    assert "buffer 'C' of kernel 'top'" in msg and "kernel 'gemm'" in msg
    assert "[none, block(2)]" in msg and "[none, cyclic(4)]" in msg
    assert "in dim 2, block(2) does not refine cyclic(4)" in msg
    assert "call top -> gemm, argument 3 ('C')" in msg
    assert "kernels 'top' and 'gemm'" in msg
    # the fix: a layout that supplies both, with the partition call, or remove it
    assert "partition s.C as [none, complete] instead" in msg
    assert "s.partition(s.C, partition_type=Partition.Complete, dim=2)" in msg
    assert "remove the explicit layout (it would be inferred as [none, cyclic(4)])" in msg


def test_mismatch_through_sub_view_and_nested_calls():
    reqs = {("top", "A"): (L((4, 8), "none", "cyclic(2)"), True),
            ("leaf", "Y"): (L((8,), "cyclic(4)"), False)}
    with pytest.raises(AlloTypeError) as info:
        infer_layouts(nested_design(), reqs)
    msg = str(info.value)
    assert "buffer 'A' of kernel 'top'" in msg and "kernel 'leaf'" in msg
    assert "its dim 1 is dim 2 here" in msg
    assert "call top -> mid" in msg and "call mid -> leaf" in msg
    assert "[none, cyclic(4)]" in msg


def test_two_conflicting_explicit_layouts():
    m = template_design(shared=True)
    reqs = {("top", "A"): (L((8,), "cyclic(2)"), True), ("top", "B"): (L((8,), "block(2)"), True)}
    with pytest.raises(AlloTypeError, match="explicitly partitioned") as info:
        infer_layouts(m, reqs)
    assert "'top'" in str(info.value) and "call top -> add" in str(info.value)


def test_layout_recorded_on_buffer_type_is_a_fixed_requirement():
    m = gemm_design()
    fixed = L((8, 8), "none", "block(2)")
    top = m.funcs["top"]
    top.body[0] = Alloc("C", int32[8, 8].with_layout(fixed))
    out = infer_layouts(m)
    assert out[("gemm", "C")] == fixed
    with pytest.raises(AlloTypeError, match="kernel 'gemm'"):
        infer_layouts(m, {("gemm", "C"): L((8, 8), "none", "cyclic(4)")})


def test_bad_inputs():
    with pytest.raises(AlloNameError, match="unknown buffer 'Z' of kernel 'top'"):
        infer_layouts(gemm_design(), {("top", "Z"): Layout.none((8,))})
    with pytest.raises(AlloTypeError, match="does not fit its shape"):
        infer_layouts(gemm_design(), {("top", "A"): Layout.none((8,))})
    bad = gemm_design()
    bad.funcs["gemm"].params[2] = Param("C", int32[8, 4])
    with pytest.raises(AlloTypeError, match="bound to buffer 'C' of kernel 'top'"):
        build_graph(bad)
    bad = gemm_design()
    bad.funcs["top"].body[1] = Call("nope", [])
    with pytest.raises(AlloNameError, match="unknown function 'nope'"):
        build_graph(bad)
    bad = gemm_design()
    bad.funcs["top"].body[1] = Call("gemm", [whole("A")])
    with pytest.raises(AlloTypeError, match="takes 3 arguments"):
        build_graph(bad)


def test_explicit_alias_binding():
    g = DataflowGraph("top")
    g.add_node(("top", "A"), (8,))
    g.add_node(("top", "A_alias"), (8,))
    g.add_binding(("top", "A"), ("top", "A_alias"), site="alias")
    out = infer_layouts(g, {("top", "A_alias"): L((8,), "block(4)")})
    assert out[("top", "A")] == L((8,), "block(4)")
