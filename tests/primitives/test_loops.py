"""Loop primitives: split, reorder, fuse, tile, unroll, pipeline, parallel."""

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import allo
from allo.errors import ScheduleError
from allo.ir.nodes import Const, For, Op
from allo.ir.types import int32
from allo.primitives.base import loop_sites
from allo.backends.interp import Interpreter
from allo.testing import KernelFeatures, copy_args, inputs_for, kernels, outputs_equal

M, N, K = 6, 5, 4

from property_runs import Applied, checked_property
from seed_kernels import make_gemm


gemm = make_gemm(M, N, K)


def shift(A: int32[8, 8]):
    # A[i, j] depends on A[i - 1, j + 1]: interchanging i and j reverses it
    for i, j in allo.grid(7, 7):
        A[i + 1, j] = A[i, j + 1] + 1


def gemm_inputs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((M, K), dtype=np.float32), rng.random((K, N), dtype=np.float32)


def run_same(s):
    A, B = gemm_inputs()
    expected = Interpreter(s.original)(A, B)
    got = s.build(target="interp")(A, B)
    assert np.array_equal(expected, got)
    return got


def loop_names(s):
    return [site.loop.name for site in loop_sites(s.ir.top_func)]


def test_split_names_min_bound_and_result():
    s = allo.customize(gemm)
    s.split("i", 4)  # 4 does not divide 6: the inner loop runs to min(4, 6 - 4*outer)
    assert loop_names(s) == ["i.outer", "i.inner", "j", "k"]
    inner = next(site.loop for site in loop_sites(s.ir.top_func) if site.loop.name == "i.inner")
    assert isinstance(inner.body[0], For)  # no guard: the nest stays perfect
    assert isinstance(inner.hi, Op) and inner.hi.op == "min"
    assert "min affine_map" in str(s.module)
    run_same(s)
    assert s.verify()
    assert s.history[-1].rule == "loop.split"
    assert all(c.status == "proved" for c in s.history[-1].conditions)
    assert 'loop_name = "i.outer"' in str(s.module)


def test_split_divisible_has_no_guard():
    s = allo.customize(gemm)
    s.split("i", 3)
    inner = next(site.loop for site in loop_sites(s.ir.top_func) if site.loop.name == "i.inner")
    assert isinstance(inner.body[0], For)
    run_same(s)


def test_seed_reorder_then_pipeline():
    s = allo.customize(gemm)
    s.reorder("k", "j")
    assert loop_names(s) == ["i", "k", "j"]
    s.pipeline("j")
    assert "pipeline_ii = 1" in str(s.module)
    run_same(s)
    assert s.verify()


def test_fuse_and_tile():
    s = allo.customize(gemm)
    s.fuse("i", "j")
    assert loop_names(s) == ["i_j_fused", "k"]
    run_same(s)
    assert s.verify()
    t = allo.customize(gemm)
    t.tile("i", "j", 2, 3)
    assert loop_names(t) == ["i.outer", "j.outer", "i.inner", "j.inner", "k"]
    run_same(t)
    assert t.verify()


def test_parallel_and_unroll_annotations():
    s = allo.customize(gemm)
    s.parallel("j")
    s.unroll("k", 2)
    text = str(s.module)
    assert "parallel" in text and "unroll = 2" in text
    run_same(s)


def test_loop_handles_from_get_loops():
    s = allo.customize(gemm)
    loops = s.get_loops()
    s.split(loops["S_i_j_k_0"]["j"], 2)
    assert "j.outer" in loop_names(s)


# ------------------------------------------------------------------ refusals
def test_reorder_reversing_a_dependence_is_refused_with_witness():
    s = allo.customize(shift)
    with pytest.raises(ScheduleError) as err:
        s.reorder("j", "i")
    msg = str(err.value)
    assert "reorder(axes=['j', 'i'])" in msg and "no dependence reversed" in msg
    assert "iteration (i=" in msg and "touch A[" in msg  # the witness iterations and element
    assert loop_names(s) == ["i", "j"]  # the schedule is untouched


def test_parallel_on_a_reduction_is_refused_with_witness():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as err:
        s.parallel("k")
    msg = str(err.value)
    assert "loop-carried dependence" in msg and "C[" in msg and "k=" in msg


@pytest.mark.parametrize("call, phrase", [
    (lambda s: s.split("i", 0), "factor=0 must be a positive integer"),
    (lambda s: s.split("q", 2), "no loop named 'q'"),
    (lambda s: s.reorder("k"), "at least two loops"),
    (lambda s: s.reorder("k", "k"), "named twice"),
    (lambda s: s.fuse("i", "k"), "consecutive perfectly nested"),
    (lambda s: s.fuse("j", "i"), "consecutive perfectly nested"),
    (lambda s: s.pipeline("j", initiation_interval=0), "must be a positive integer"),
    (lambda s: s.pipeline("z"), "loops that exist: gemm:i, gemm:j, gemm:k"),
    (lambda s: s.unroll("k", -1), "non-negative integer"),
    (lambda s: s.unroll(3), "is not a loop name"),
    (lambda s: s.tile("i", "j", 2), "tile takes"),
    (lambda s: s.parallel("nope"), "no loop named"),
])
def test_bad_arguments_are_refused(call, phrase):
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as err:
        call(s)
    assert phrase in str(err.value)


def test_reorder_of_imperfect_nest_is_refused():
    def imperfect(A: int32[4, 4]):
        for i in range(4):
            A[i, 0] = 1
            for j in range(4):
                A[i, j] += 1

    s = allo.customize(imperfect)
    with pytest.raises(ScheduleError, match="not perfectly nested"):
        s.reorder("j", "i")


# ------------------------------------------------------------------ properties
FEATURES = KernelFeatures(while_loops=False, calls=False, max_extent=5)


def _chains(func):
    """Pairs of directly nested loops (candidates for reorder/fuse)."""
    out = []
    for site in loop_sites(func):
        loop = site.loop
        if len(loop.body) == 1 and isinstance(loop.body[0], For):
            out.append((loop.name, loop.body[0].name))
    return out


def test_random_loop_schedules_preserve_results():
    applied = Applied()

    @given(data=st.data())
    def prop(data):
        module = data.draw(kernels(FEATURES))
        s = allo.Schedule(module)
        loops = [site.loop.name for site in loop_sites(s.ir.top_func)]
        if not loops:
            return
        choice = data.draw(st.sampled_from(["split", "reorder", "fuse", "parallel", "unroll", "pipeline"]))
        try:
            if choice == "split":
                s.split(data.draw(st.sampled_from(loops)), data.draw(st.integers(1, 4)))
            elif choice in ("reorder", "fuse"):
                pairs = _chains(s.ir.top_func)
                if not pairs:
                    return
                outer, inner = data.draw(st.sampled_from(pairs))
                s.reorder(inner, outer) if choice == "reorder" else s.fuse(outer, inner)
            elif choice == "parallel":
                s.parallel(data.draw(st.sampled_from(loops)))
            elif choice == "unroll":
                s.unroll(data.draw(st.sampled_from(loops)), data.draw(st.integers(0, 3)))
            else:
                s.pipeline(data.draw(st.sampled_from(loops)))
        except ScheduleError:
            event(f"{choice} refused")
            return  # refused (conservatively); the schedule is unchanged
        event(f"{choice} applied")
        applied()
        args = data.draw(inputs_for(module.top_func))
        a, b = copy_args(args), copy_args(args)
        expected = Interpreter(s.original)(*a)
        got = Interpreter(s.ir)(*b)
        assert outputs_equal(expected, got) and outputs_equal(a, b)
        verdict = s.verify()
        assert verdict, str(verdict)

    checked_property(prop, applied, max_examples=60, at_least=20)


def _stencil_module(offsets, extent):
    """``for i, j: A[i + a, j + b] = A[i + c, j + d] + B[i, j]`` as IR: reorder, fuse and
    parallel are legal or not depending on the offsets."""
    from allo.ir.nodes import Alloc, Const, Func, Load, Module, Op, Param, Store, Var
    from allo.ir.types import index, int32

    a, b, c, d = offsets
    i, j = Var("i", index), Var("j", index)
    at = lambda v, o: Op("add", (v, Const(o, index)), index)  # noqa: E731
    value = Op("add", (Load("A", (at(i, c), at(j, d)), int32), Load("B", (i, j), int32)), int32)
    inner = For("j", Const(0, index), Const(extent, index), 1, [Store("A", (at(i, a), at(j, b)), value)],
                name="j", band="S_i_j_0")
    outer = For("i", Const(0, index), Const(extent, index), 1, [inner], name="i", band="S_i_j_0")
    size = extent + 1
    f = Func("stencil", [Param("A", int32[size, size]), Param("B", int32[extent, extent])], [], [outer])
    return Module({"stencil": f}, "stencil")


@settings(max_examples=60, deadline=None)
@given(offsets=st.tuples(*[st.integers(0, 1)] * 4), extent=st.integers(2, 4),
       choice=st.sampled_from(["reorder", "fuse", "parallel_i", "parallel_j"]), seed=st.integers(0, 9))
def test_dependence_checked_primitives_on_stencils(offsets, extent, choice, seed):
    s = allo.Schedule(_stencil_module(offsets, extent))
    try:
        {"reorder": lambda: s.reorder("j", "i"), "fuse": lambda: s.fuse("i", "j"),
         "parallel_i": lambda: s.parallel("i"), "parallel_j": lambda: s.parallel("j")}[choice]()
    except ScheduleError as err:
        assert choice != "fuse", "fusing a perfect rectangular nest is always legal"
        assert "touch A[" in str(err)  # refusals name the conflicting element
        event(f"{choice} refused")
        return
    event(f"{choice} applied")
    rng = np.random.default_rng(seed)
    A = rng.integers(-50, 50, (extent + 1, extent + 1)).astype(np.int32)
    B = rng.integers(-50, 50, (extent, extent)).astype(np.int32)
    A1, A2 = A.copy(), A.copy()
    Interpreter(s.original)(A1, B)
    Interpreter(s.ir)(A2, B)
    assert np.array_equal(A1, A2)
    assert s.verify()


def test_narrowing_cast_in_an_index_is_not_taken_as_affine():
    """A[uint8(i)] for i in 0..511 touches each element twice (i and i + 256): parallel
    must see the loop-carried dependence, not an injective index i."""
    from allo.ir.nodes import Const, Func, Load, Module, Op, Param, Store, Var
    from allo.ir.types import index, uint8

    i = Var("i", index)
    wrapped = Op("cast", (Op("cast", (i,), uint8),), index)
    value = Op("add", (Load("A", (wrapped,), int32), Const(1, int32)), int32)
    loop = For("i", Const(0, index), Const(512, index), 1, [Store("A", (wrapped,), value)],
               name="i", band="S_i_0")
    s = allo.Schedule(Module({"k": Func("k", [Param("A", int32[256])], [], [loop])}, "k"))
    with pytest.raises(ScheduleError, match="loop-carried dependence"):
        s.parallel("i")


# ------------------------------------------------------------------ factors past the extent
def bump(A: int32[6]):
    for i in range(6):
        A[i] = A[i] + 1


def huge_nest(A: int32[4]):
    for i in range(2 ** 32):
        for j in range(2 ** 32):
            A[0] = A[0] + 1


@pytest.mark.parametrize("factor", [7, 10 ** 20, 2 ** 63, 2 ** 40])
def test_split_by_a_factor_past_the_extent_is_clamped_and_keeps_results(factor):
    s = allo.customize(bump)
    s.split("i", factor)
    inner = next(site.loop for site in loop_sites(s.ir.top_func) if site.loop.name == "i.inner")
    assert inner.hi.value == 6  # runs the extent once, not `factor` guarded-off iterations
    assert any(c.name == "factor clamped to the extent" for c in s.history[-1].conditions)
    A = np.arange(6, dtype=np.int32)
    for target in ("interp", "llvm"):
        got = A.copy()
        s.build(target=target)(got)
        assert np.array_equal(got, A + 1), target
    assert s.verify()


def test_split_accepts_numpy_integers():
    s = allo.customize(gemm)
    s.split("i", np.int64(4))
    s.unroll("k", np.int32(2))
    assert loop_names(s)[:2] == ["i.outer", "i.inner"]
    run_same(s)


def test_index_arithmetic_past_64_bits_is_refused():
    s = allo.customize(huge_nest)
    with pytest.raises(ScheduleError, match="index arithmetic fits in 64 bits") as err:
        s.fuse("i", "j")
    assert "hint:" in str(err.value)
    s.split("j", 2 ** 31)  # 2**32 iterations by 2**31: fits
    assert any(c.name == "index arithmetic fits in 64 bits" and c.status == "proved"
               for c in s.history[-1].conditions)


# ------------------------------------------------------------------ privatization
def conv(A: int32[6, 6], W: int32[3, 3]) -> int32[4, 4]:
    B: int32[4, 4] = 0
    for i, j in allo.grid(4, 4):
        acc: int32 = 0
        for r, c in allo.grid(3, 3):
            acc += A[i + r, j + c] * W[r, c]
        B[i, j] = acc
    return B


def conv_inputs():
    rng = np.random.default_rng(1)
    return rng.integers(-9, 9, (6, 6)).astype(np.int32), rng.integers(-9, 9, (3, 3)).astype(np.int32)


@pytest.mark.parametrize("apply", [lambda s: s.parallel("i"), lambda s: s.parallel("j"),
                                   lambda s: s.reorder("j", "i")])
def test_a_scalar_declared_in_the_body_is_private_to_each_iteration(apply):
    s = allo.customize(conv)
    apply(s)
    assert any(c.name == "private buffers carry no dependence" and "acc" in c.detail
               for c in s.history[-1].conditions)
    A, W = conv_inputs()
    assert np.array_equal(s.build(target="interp")(A, W), Interpreter(s.original)(A, W))
    assert s.verify()


def test_a_buffer_used_outside_its_block_is_not_private():
    # the frontend scopes a declaration to its block; IR built otherwise may not
    from allo.ir.nodes import Load, Store
    from allo.ir.types import index
    from allo.primitives.deps import private_buffers

    module = allo.customize(conv).ir.copy()
    func = module.top_func
    nest = next(st for st in func.body if isinstance(st, For))
    assert private_buffers(func, nest) == {"acc"}
    func.body.insert(func.body.index(nest) + 1,
                     Store("B", (Const(0, index), Const(0, index)), Load("acc", (), int32)))
    assert private_buffers(func, nest) == set()


def split_reorder_kernel(A: int32[10, 20], B: int32[10, 20]) -> int32[10, 20]:
    C: int32[10, 20] = 0
    for i, j in allo.grid(10, 20):
        C[i, j] = A[i, j] + B[i, j]
    return C


def test_non_dividing_splits_reorder_as_a_perfect_nest():
    s = allo.customize(split_reorder_kernel)
    s.split("i", 3)
    s.split("j", 3)
    s.reorder("j.outer", "j.inner", "i.outer", "i.inner")  # min bounds keep their outer loop
    a = np.arange(200, dtype=np.int32).reshape(10, 20)
    assert (s.build()(a, a) == 2 * a).all()
    assert s.verify()
    assert "std::min" in str(s.build("vhls"))


def test_reorder_refuses_moving_a_min_bound_outside_its_outer_loop():
    s = allo.customize(split_reorder_kernel)
    s.split("i", 3)
    with pytest.raises(ScheduleError, match="bounds of loop 'i.inner' depend on i_outer"):
        s.reorder("i.inner", "i.outer")
