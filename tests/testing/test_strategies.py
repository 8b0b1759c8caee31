"""Tests of allo.testing: generated kernels are well-formed, run on the reference
interpreter deterministically, cover every op, and inputs follow the calling convention."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from allo.ir.nodes import OPS, Call, For, If, Load, Module, Op, While, walk_expr, walk_stmts, stmt_exprs
from allo.ir.types import BufferType, Fixed, Float, Int, bool_, float32, index, int8, int32
from allo.ir.verifier import verify_ir
from allo.backends.interp import Interpreter
from allo.testing import (Env, KernelFeatures, copy_args, exprs, inputs_for, kernels,
                          outputs_equal, scalar_types)
from testing_wellformed import Checker, check_module

FAST = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def all_ops(module: Module, data_only: bool = False) -> set:
    return {e.op for f in module.funcs.values() for s in walk_stmts(f.body)
            for top in stmt_exprs(s) for e in walk_expr(top)
            if isinstance(e, Op) and not (data_only and e.type == index)}


# ------------------------------------------------------------------ scalar types
@FAST
@given(scalar_types(max_bits=20))
def test_scalar_types_respect_max_bits(t):
    assert isinstance(t, Float) or t.bits <= 20


@FAST
@given(scalar_types(floats=False, fixed=False))
def test_scalar_types_int_only(t):
    assert isinstance(t, Int) and 1 <= t.bits <= 128


def test_scalar_types_rejects_empty_selection():
    with pytest.raises(ValueError):
        scalar_types(ints=False, fixed=False, floats=False)


# ------------------------------------------------------------------ expressions
ENV = Env(buffers={"A": int8[4, 3], "F": float32[5], "acc": int32[()]},
          loop_vars={"i": (0, 3), "j": (1, 2)})


@FAST
@given(st.data())
def test_exprs_are_well_typed_and_in_bounds(data):
    t = data.draw(scalar_types(max_bits=40))
    e = data.draw(exprs(ENV, t, depth=3))
    assert e.type == t
    checker = Checker(Module({}, "none"))
    checker.expr(e, dict(ENV.buffers), {"i": [0, 1, 2, 3], "j": [1, 2]})


@FAST
@given(exprs(ENV, int32, depth=3, ops={"add", "cast", "eq"}))
def test_exprs_respect_op_restriction(e):
    # index arithmetic in load indices (add/sub/mul on ``index``) is always allowed
    data_ops = {x.op for x in walk_expr(e) if isinstance(x, Op) and x.type != index}
    assert data_ops <= {"add", "cast", "eq"}


def test_exprs_rejects_unknown_op():
    with pytest.raises(ValueError, match="unknown ops"):
        exprs(ENV, int32, ops={"frobnicate"})


# ------------------------------------------------------------------ kernels
@FAST
@given(kernels())
def test_kernels_are_well_formed(module):
    verify_ir(module)        # the project's verifier
    check_module(module)     # and our independent restatement (bounds enumerated)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_kernels_run_on_interpreter_deterministically(data):
    module = data.draw(kernels())
    args = data.draw(inputs_for(module.top_func))
    first_args, second_args = copy_args(args), copy_args(args)
    first = Interpreter(module)(*first_args)
    second = Interpreter(module)(*second_args)
    assert outputs_equal(first, second)
    assert outputs_equal(first_args, second_args)
    if module.top_func.results:
        assert first is not None


class _EveryOpSeen(Exception):
    """Stops a coverage sweep as soon as it has seen every op."""


def test_kernels_cover_every_op():
    seen: set = set()

    @settings(max_examples=2000, deadline=None, derandomize=True, database=None,
              phases=[Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(kernels())
    def collect(module):
        seen.update(all_ops(module))
        if set(OPS) <= seen:
            raise _EveryOpSeen()

    with pytest.raises(_EveryOpSeen):  # not raised: some op never generated in 2000 kernels
        collect()
    assert set(OPS) - seen == set()


def test_kernels_cover_every_construct():
    seen: set = set()

    @settings(max_examples=120, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(kernels())
    def collect(module):
        top = module.top_func
        stmts = list(walk_stmts(top.body))
        seen.add(("results", len(top.results)))
        for s in stmts:
            seen.add(type(s).__name__)
            if isinstance(s, Call) and any(a.prefix for a in s.args):
                seen.add("subview")
            if isinstance(s, For):
                seen.add(("step", s.step))
                if any(isinstance(c, For) for c in s.body) and len(s.body) > 1:
                    seen.add("imperfect")
                if len(s.band.split("_")) > 3:
                    seen.add("perfect_band")
            if isinstance(s, If) and any(isinstance(e, Load) for e in walk_expr(s.cond)):
                seen.add("if_on_data")

    collect()
    expected = {"For", "If", "While", "Store", "Alloc", "Call", "Return", "subview",
                "imperfect", "perfect_band", "if_on_data", ("step", 1), ("step", 2),
                ("results", 0), ("results", 1), ("results", 2)}
    assert expected - seen == set()


NO_EXTRAS = KernelFeatures(imperfect_nests=False, if_on_loop_vars=False, if_on_data=False,
                           while_loops=False, calls=False, returns=("none",),
                           loop_steps=(1,), ops=frozenset({"add", "mul", "cast"}),
                           element_types=st.sampled_from([int32, float32]))


@FAST
@given(kernels(NO_EXTRAS))
def test_features_can_be_switched_off(module):
    verify_ir(module)
    assert list(module.funcs) == ["kernel"] and not module.top_func.results
    stmts = list(walk_stmts(module.top_func.body))
    assert not any(isinstance(s, (If, While, Call)) for s in stmts)
    for s in stmts:
        if isinstance(s, For):
            assert s.step == 1
            inner_fors = [c for c in s.body if isinstance(c, For)]
            assert not inner_fors or len(s.body) == 1  # perfect nests only
    assert all_ops(module, data_only=True) <= {"add", "mul", "cast"}


def test_features_reject_bad_values():
    with pytest.raises(ValueError):
        KernelFeatures(returns=("many",))
    with pytest.raises(ValueError):
        KernelFeatures(ops=frozenset({"nope"}))


@FAST
@given(kernels(scalar_params=True, max_extent=3))
def test_scalar_params_are_well_formed(module):
    verify_ir(module)
    check_module(module)


# ------------------------------------------------------------------ inputs
@FAST
@given(st.data())
def test_inputs_match_param_types(data):
    module = data.draw(kernels(scalar_params=True,
                               element_types=scalar_types(max_bits=128)))
    args = data.draw(inputs_for(module.top_func))
    params = module.top_func.params
    assert len(args) == len(params)
    for p, a in zip(params, args):
        if not isinstance(p.type, BufferType):
            assert np.isscalar(a) or isinstance(a, (int, float))
            continue
        t = p.type.dtype
        assert isinstance(a, np.ndarray) and a.shape == p.type.shape
        assert a.dtype == t.numpy_dtype()
        for v in a.ravel().tolist():
            if isinstance(t, Int):
                assert t.min <= v <= t.max
            elif isinstance(t, Fixed):
                raw = v * 2 ** t.frac
                assert raw == int(raw) and t.raw.min <= raw <= t.raw.max  # exact


def test_inputs_include_float_specials():
    found = set()

    @settings(max_examples=80, deadline=None, derandomize=True, database=None)
    @given(inputs_for(kernels_func(float32[4, 4])))
    def collect(args):
        for v in args[0].ravel().tolist():
            if math.isnan(v):
                found.add("nan")
            elif math.isinf(v):
                found.add("inf")
            elif v == 0 and math.copysign(1, v) < 0:
                found.add("-0")

    collect()
    assert found == {"nan", "inf", "-0"}


def kernels_func(btype):
    from allo.ir.nodes import Func, Param

    return Func("f", [Param("A", btype)], [], [])


def test_inputs_wide_ints_are_object_arrays():
    args = inputs_for(kernels_func(Int(100)[3])).example()
    assert args[0].dtype == object and all(isinstance(v, int) for v in args[0].tolist())


# ------------------------------------------------------------------ outputs_equal
def test_outputs_equal_is_bit_exact():
    nan = float("nan")
    assert outputs_equal(np.array([nan, 1.0]), np.array([nan, 1.0]))
    assert not outputs_equal(np.array([-0.0]), np.array([0.0]))
    assert not outputs_equal(np.array([1.0], np.float32), np.array([1.0], np.float64))
    assert outputs_equal(np.array([1.0], np.float32), np.array([1.0], np.float64), strict_dtype=False)
    assert not outputs_equal(np.array([1, 2]), np.array([1, 2, 3]))
    assert not outputs_equal(np.array([nan]), np.array([1.0]))
    wide = np.array([1 << 90, -3], dtype=object)
    assert outputs_equal(wide, np.array([1 << 90, -3], dtype=object))
    assert not outputs_equal(wide, np.array([1 << 90, -4], dtype=object))
    assert outputs_equal([np.int8(3), None], (np.int8(3), None))
    assert not outputs_equal([np.int8(3)], [np.int8(3), np.int8(4)])
    assert not outputs_equal(None, np.zeros(1))
    assert outputs_equal(np.float32(nan), np.float32(nan))
    assert not outputs_equal(np.float32(-0.0), 0.0)


def test_outputs_equal_bfloat16():
    import ml_dtypes

    bf = ml_dtypes.bfloat16
    a = np.array([1.5, np.nan, -0.0], dtype=bf)
    assert outputs_equal(a, a.copy())
    b = a.copy()
    b[2] = 0.0
    assert not outputs_equal(a, b)
