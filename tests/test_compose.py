"""compose(): replay of sub-schedules and partition-type checked interfaces."""

import numpy as np
import pytest

import allo
from allo.errors import AlloTypeError, ScheduleError
from allo.ir.types import int32
from allo.primitives.base import loop_sites
from allo.typesys import Layout

M = N = K = 4


def matmul(A: int32[M, K], B: int32[K, N], C: int32[M, N]):
    for i, j in allo.grid(M, N, "PE"):
        for k in range(K):
            C[i, j] += A[i, k] * B[k, j]


def top(X: int32[M, K], W_A: int32[K, N], W_B: int32[N, K]) -> int32[M, K]:
    Y: int32[M, N] = 0
    Z: int32[M, K] = 0
    matmul(X, W_A, Y)
    matmul(Y, W_B, Z)
    return Z


def one_call(X: int32[M, K], W: int32[K, N], Z: int32[M, N]):
    matmul(X, W, Z)


@allo.template("T", "L")
def scale(A: "T[L]") -> "T[L]":
    B: "T[L]" = 0
    for i in range(L):
        B[i] = A[i] * 3
    return B


def two_scales(A: int32[4]) -> int32[4]:
    B = scale[int32, 4, "first"](A)
    C = scale[int32, 4, "second"](B)
    return C


def inputs(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(-9, 9, (M, K)).astype(np.int32)
    WA = rng.integers(-9, 9, (K, N)).astype(np.int32)
    WB = rng.integers(-9, 9, (N, K)).astype(np.int32)
    return X, WA, WB


def layout_of(s, func, name):
    f = s.ir.funcs[func]
    p = f.param(name)
    if p is not None:
        return p.type.layout
    return f.buffers()[name].layout


def test_replays_every_recorded_primitive_and_keeps_certificates():
    s_mm = allo.customize(matmul)
    s_mm.split("k", 2)
    s_mm.reorder("j", "i")
    s_mm.pipeline("k.inner")
    s_top = allo.customize(top)
    s_top.compose(s_mm)
    loops = [site.loop.name for site in loop_sites(s_top.ir.funcs["matmul"])]
    assert loops == ["j", "i", "k.outer", "k.inner"]
    assert [c.primitive for c in s_top.history] == ["split", "reorder", "pipeline"]
    assert all(c.checked for c in s_top.history)
    X, WA, WB = inputs()
    expected = (X @ WA) @ WB
    assert np.array_equal(s_top.build(target="interp")(X, WA, WB), expected)
    assert s_top.verify()  # against the un-customized hierarchical program


def test_matched_interfaces_reconcile_layouts_across_both_calls():
    s_mm = allo.customize(matmul)
    s_mm.partition(s_mm.A, dim=2)   # the kernel reads a row of A per PE: complete dim 2
    s_mm.partition(s_mm.C, dim=1)
    s_top = allo.customize(top)
    s_top.compose(s_mm)
    complete, none = Layout.complete((M, K)).dims[0], Layout.none((M, K)).dims[0]
    # Y is bound to matmul.C (first call) and matmul.A (second call); one function has
    # one interface, so matmul.A, matmul.C, X and Y all get the meet of both needs
    assert layout_of(s_top, "top", "Y").dims == (complete, complete)
    assert layout_of(s_top, "top", "X").dims == (complete, complete)
    assert layout_of(s_top, "matmul", "A").dims == (complete, complete)
    assert layout_of(s_top, "top", "W_A") is None  # B had no need
    assert none != complete
    text = str(s_top.module)  # the reconciled layouts are printed, and upstream MLIR accepts it
    assert '%Y = memref.alloc() {name = "Y", allo.partition = "[complete, complete]"}' in text
    from iree.compiler import ir
    assert ir.Module.parse(text, ir.Context()).operation.verify()
    X, WA, WB = inputs(1)
    assert np.array_equal(s_top.build(target="interp")(X, WA, WB), (X @ WA) @ WB)
    assert s_top.verify()  # layouts never change values
    code = str(s_top.build(target="vhls"))  # and code generation reads the reconciled ones
    assert "#pragma HLS array_partition variable=Y complete dim=0" in code
    assert "variable=W_A" not in code


def test_explicit_layout_supplying_less_is_a_mismatch_naming_both_sides():
    s_mm = allo.customize(matmul)
    s_mm.partition(s_mm.A, dim=2)
    s_top = allo.customize(one_call)
    s_top.partition(s_top.X, partition_type=allo.Partition.Cyclic, dim=2, factor=2)
    with pytest.raises(AlloTypeError) as err:
        s_top.compose(s_mm)
    msg = str(err.value)
    assert "one_call" in msg and "matmul" in msg and "'X'" in msg
    assert "cyclic(2)" in msg and "complete" in msg
    assert "partition" in msg  # the hint names the change that fixes it


def test_explicit_layout_supplying_more_is_accepted():
    s_mm = allo.customize(matmul)
    s_mm.partition(s_mm.A, partition_type=allo.Partition.Cyclic, dim=2, factor=2)
    s_top = allo.customize(one_call)
    s_top.partition(s_top.X, dim=2)  # complete supplies more than cyclic(2)
    s_top.compose(s_mm)
    assert layout_of(s_top, "one_call", "X") == Layout.complete((M, K)).__class__(
        (Layout.none((M, K)).dims[0], Layout.complete((M, K)).dims[1]))


def test_template_instances_by_id():
    s_scale = allo.customize(scale, instantiate=[int32, 4])
    s_scale.split("i", 2)
    s = allo.customize(two_scales)
    s.compose(s_scale, id="second")
    assert [l.name for l in s.ir.funcs["scale_second"].loops()] == ["i.outer", "i.inner"]
    assert [l.name for l in s.ir.funcs["scale_first"].loops()] == ["i"]
    A = np.arange(4, dtype=np.int32)
    assert np.array_equal(s.build(target="interp")(A), A * 9)
    assert s.verify()


def test_template_instances_by_arguments():
    s_scale = allo.customize(scale, instantiate=[int32, 4])
    s_scale.unroll("i", 2)
    s = allo.customize(two_scales)
    s.compose(s_scale, instantiate=[int32, 4])
    assert all(f.loops()[0].attrs.get("unroll") == 2 for n, f in s.ir.funcs.items() if n != "two_scales")


def test_nested_composition():
    s_mm = allo.customize(matmul)
    s_mm.split("i", 2)
    s_mid = allo.customize(one_call)
    s_mid.compose(s_mm)

    def outer(X: int32[M, K], W: int32[K, N], Z: int32[M, N]):
        one_call(X, W, Z)

    s_out = allo.customize(outer)
    s_out.compose(s_mid)
    assert "i.outer" in [l.name for l in s_out.ir.funcs["matmul"].loops()]
    X, W, _ = inputs(2)
    Z = np.zeros((M, N), np.int32)
    s_out.build(target="interp")(X, W, Z)
    assert np.array_equal(Z, X @ W)


def test_compose_refuses_unrelated_kernel():
    s_scale = allo.customize(scale, instantiate=[int32, 4])
    s_top = allo.customize(top)
    with pytest.raises(ScheduleError, match="no function of this design is the kernel scale"):
        s_top.compose(s_scale)
    with pytest.raises(ScheduleError, match="expects schedules"):
        s_top.compose(matmul)


def test_refused_replay_leaves_the_schedule_unchanged():
    s_mm = allo.customize(matmul)
    s_mm.split("i", 2)
    s_mm.partition(s_mm.A, dim=2)
    s_top = allo.customize(one_call)
    s_top.pipeline("matmul:k")
    s_top.partition(s_top.X, partition_type=allo.Partition.Cyclic, dim=2, factor=2)
    before = (str(s_top.module), len(s_top.history))
    with pytest.raises(AlloTypeError):
        s_top.compose(s_mm)  # the split replays, then the layouts mismatch: all undone
    assert (str(s_top.module), len(s_top.history)) == before


def test_compose_into_itself_is_refused():
    s = allo.customize(one_call)
    with pytest.raises(ScheduleError, match="cannot be composed into itself"):
        s.compose(s)


def test_function_and_target_arguments_are_re_aimed_at_the_instance():
    # inline() names the kernel itself (its default); dataflow("scale") names the kernel
    s_scale = allo.customize(scale, instantiate=[int32, 4])
    s_scale.inline()
    s_scale.dataflow(s_scale.ir.top)
    s = allo.customize(two_scales)
    s.compose(s_scale, id="second")
    funcs = s.ir.funcs
    assert funcs["scale_second"].attrs.get("inline") and funcs["scale_second"].attrs.get("dataflow")
    assert not funcs["scale_first"].attrs.get("inline") and not funcs["two_scales"].attrs.get("inline")
    assert [c.primitive for c in s.history] == ["inline", "dataflow"]
    assert s.verify()
