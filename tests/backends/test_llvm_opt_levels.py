"""LLVM backend: the ``opt_level`` build option (LLVM's O0-O3 pipelines).

Every level must compute exactly what the reference interpreter computes (no pass may
change float or integer semantics), a bad level is an AlloError naming the option, and the
level is part of the build cache key.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allo
from allo.backends.interp import Interpreter
from allo.backends.llvm import DEFAULT_OPT_LEVEL, OPT_LEVELS, build, cache_stats
from allo.errors import AlloError
from allo.ir.nodes import Alloc, BufRef, Const, For, Func, Load, Module, Op, Param, Return, Store, Var
from allo.ir.types import float32, index, int32, uint512
from allo.testing.compare import outputs_equal
from allo.testing.inputs import copy_args
from allo.testing.strategies import inputs_for, kernels

I = Var("i", index)


def _scaled_sum(n: int = 16) -> Module:
    """Y[i] = X[i] * 3 + Y[i] over float32[n]: a loop every level vectorizes differently."""
    body = [Store("Y", (I,), Op("add", (Op("mul", (Load("X", (I,), float32), Const(3.0, float32)),
                                              float32), Load("Y", (I,), float32)), float32))]
    f = Func("axpy", [Param("X", float32[n]), Param("Y", float32[n])], [],
             [For("i", Const(0, index), Const(n, index), 1, body)])
    return Module({"axpy": f}, "axpy")


def test_default_level_is_two():
    assert DEFAULT_OPT_LEVEL == 2 and OPT_LEVELS == (0, 1, 2, 3)


@pytest.mark.parametrize("bad", [-1, 4, "2", 2.0, True, None])
def test_a_bad_level_is_an_allo_error_with_the_valid_levels(bad):
    with pytest.raises(AlloError, match="opt_level") as info:
        build(_scaled_sum(), opt_level=bad)
    assert "0, 1, 2, 3" in str(info.value)


def test_a_bad_level_through_schedule_build():
    def k(A: int32[4]):
        for i in range(4):
            A[i] += 1

    with pytest.raises(AlloError, match="opt_level"):
        allo.customize(k).build(opt_level=7)


def test_numpy_integer_levels_are_accepted():
    X, Y = np.arange(16, dtype=np.float32), np.ones(16, np.float32)
    build(_scaled_sum(), opt_level=np.int64(1))(X, Y)
    assert np.array_equal(Y, X * 3 + 1)


def test_the_level_is_part_of_the_cache_key():
    m = _scaled_sum(24)
    default = build(m)
    assert build(m, opt_level=DEFAULT_OPT_LEVEL) is default
    hits = cache_stats["hits"]
    others = [build(m, opt_level=level) for level in (0, 1, 3)]
    assert cache_stats["hits"] == hits  # each level was compiled, not served from the cache
    assert len({id(default), *map(id, others)}) == 4


def test_wide_integers_and_constant_tables_at_every_level():
    # i512 arithmetic goes through LLVM's wide-integer expansion, at O0 as well (fast isel)
    table = np.array([1, 2 ** 300, -(2 ** 200), 7], dtype=object)
    t = uint512
    f = Func("k", [Param("X", t[4])], [t[4]], [
        Alloc("T", t[4], table), Alloc("Y", t[4]),
        For("i", Const(0, index), Const(4, index), 1, [Store("Y", (I,), Op("div", (
            Op("add", (Load("X", (I,), t), Load("T", (I,), t)), t), Const(3, t)), t))]),
        Return([BufRef("Y")])])
    m = Module({"k": f}, "k")
    X = np.array([2 ** 511, 5, 0, 2 ** 512 - 1], dtype=object)
    want = [((int(x) + int(v)) % 2 ** 512) // 3 for x, v in zip(X, table)]
    for level in OPT_LEVELS:
        assert [int(v) for v in build(m, opt_level=level)(X)] == want, f"opt_level={level}"


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_level_matches_the_interpreter_on_random_kernels(data):
    mod = data.draw(kernels())
    args = data.draw(inputs_for(mod))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_args = copy_args(args)
        ref = Interpreter(mod)(*ref_args)
        for level in OPT_LEVELS:
            got_args = copy_args(args)
            got = build(mod, opt_level=level)(*got_args)
            assert outputs_equal(ref, got), f"opt_level={level}: {ref!r} != {got!r}\n{mod!r}"
            assert outputs_equal(ref_args, got_args), f"opt_level={level}: in-place results differ"
