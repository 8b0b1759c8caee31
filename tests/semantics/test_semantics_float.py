"""Float ops and float casts: IEEE edge cases and random trees against independent models."""

import math
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from allo.ir.nodes import Op, Var
from allo.ir.types import (Float, Int, bfloat16, bool_, float16, float32, float64, int8,
                           uint8)
from allo.backends.interp import run_func
from allo.semantics import evaluate
from semantics_models import KINDS, bits_of, from_bits, nearest, same_float, scalar_module

F32, F64 = np.float32, np.float64
FLOATS = {"f16": float16, "bf16": bfloat16, "f32": float32, "f64": float64}


# ------------------------------------------------------------------ unit edge cases
def test_nan_comparisons_are_false_except_ne():
    nan = F32("nan")
    for op in ("eq", "lt", "le", "gt", "ge"):
        assert evaluate(op, [nan, F32(1)], [float32, float32], bool_) == 0
    assert evaluate("ne", [nan, nan], [float32, float32], bool_) == 1
    assert evaluate("eq", [F32(-0.0), F32(0.0)], [float32, float32], bool_) == 1


@pytest.mark.parametrize("op,a,b,want", [
    ("min", 0.0, -0.0, -0.0), ("min", -0.0, 0.0, -0.0), ("max", -0.0, 0.0, 0.0),
    ("max", 0.0, -0.0, 0.0), ("min", float("nan"), 1.0, float("nan")),
    ("max", 1.0, float("nan"), float("nan")), ("min", 1.0, 2.0, 1.0), ("max", -1.0, -2.0, -1.0),
])
def test_ieee_minimum_maximum(op, a, b, want):
    got = evaluate(op, [F64(a), F64(b)], [float64, float64], float64)
    assert same_float(got, F64(want), "f64")


@pytest.mark.parametrize("a,b,want", [
    (7.0, 2.0, 1.0), (-7.0, 2.0, 1.0), (7.0, -2.0, -1.0), (-7.0, -2.0, -1.0),
    (6.0, 3.0, 0.0), (-6.0, 3.0, -0.0), (1.0, 0.0, float("nan")), (-1.0, float("inf"), float("inf")),
])
def test_float_mod_is_pythons(a, b, want):
    got = evaluate("mod", [F64(a), F64(b)], [float64, float64], float64)
    assert same_float(got, F64(want), "f64")


def test_float_floordiv_and_division_by_zero():
    assert evaluate("floordiv", [F32(-7), F32(2)], [float32] * 2, float32) == F32(-4)
    assert evaluate("div", [F32(1), F32(-0.0)], [float32] * 2, float32) == F32("-inf")
    assert math.isnan(evaluate("div", [F32(0), F32(0)], [float32] * 2, float32))
    assert evaluate("floordiv", [F32(1), F32(0)], [float32] * 2, float32) == F32("inf")


def test_neg_and_abs_of_signed_zero():
    assert bits_of(evaluate("neg", [F32(0.0)], [float32], float32), "f32") == 0x80000000
    assert bits_of(evaluate("abs", [F32(-0.0)], [float32], float32), "f32") == 0


@pytest.mark.parametrize("x,t,want", [
    (float("nan"), int8, 0), (float("inf"), int8, 127), (float("-inf"), int8, -128),
    (-3.99, int8, -3), (3.99, int8, 3), (1e10, int8, 127), (-1e10, int8, -128),
    (-1.5, uint8, 0), (300.7, uint8, 255), (-0.5, uint8, 0), (2.0**70, Int(128), 2**70),
    (-(2.0**200), Int(128), -(2**127)),
])
def test_float_to_int_saturating_truncation(x, t, want):
    assert evaluate("cast", [F64(x)], [float64], t) == want


def test_int_to_float_rounds_once_for_big_ints():
    x = 2**60 + 2**36 + 1  # via float64 it would tie and round down; exact RNE rounds up
    assert evaluate("cast", [x], [Int(64)], float32) == F32(2.0**60 + 2.0**37)
    assert evaluate("cast", [2**128], [Int(130)], float32) == F32("inf")
    assert evaluate("cast", [-(2**127)], [Int(128)], float32) == F32(-(2.0**127))


def test_f64_to_bf16_rounds_once():
    x = 1 + 2.0**-8 + 2.0**-30  # through float32 this would become a tie rounding to 1.0
    got = evaluate("cast", [F64(x)], [float64], bfloat16)
    assert float(got) == 1 + 2.0**-7
    assert float(ml_dtypes.bfloat16(np.float32(x))) == 1.0  # the double rounding we avoid


def test_bf16_rounding_ties_to_even():
    # 1 + 2**-8 is halfway between 1 and 1 + 2**-7: even mantissa (1.0) wins
    assert float(evaluate("cast", [F32(1 + 2.0**-8)], [float32], bfloat16)) == 1.0
    # 1 + 3 * 2**-8 is halfway between 1 + 2**-7 (odd) and 1 + 2**-6 (even)
    assert float(evaluate("cast", [F32(1 + 3 * 2.0**-8)], [float32], bfloat16)) == 1 + 2.0**-6
    a, b = ml_dtypes.bfloat16(1.0), ml_dtypes.bfloat16(2.0**-8)
    assert float(evaluate("add", [a, b], [bfloat16] * 2, bfloat16)) == 1.0
    big = ml_dtypes.bfloat16(3.3895313892515355e38)  # largest bf16
    assert float(evaluate("add", [big, big], [bfloat16] * 2, bfloat16)) == math.inf


def test_math_intrinsics_special_values():
    def f(op, *xs):
        return float(evaluate(op, [F64(x) for x in xs], [float64] * len(xs), float64))
    assert f("log", 0.0) == -math.inf and math.isnan(f("log", -1.0))
    assert f("log2", 8.0) == 3.0 and f("log10", 0.0) == -math.inf
    assert f("exp", 1000.0) == math.inf and f("exp", -math.inf) == 0.0
    assert math.isnan(f("sqrt", -1.0)) and math.copysign(1, f("sqrt", -0.0)) == -1
    assert math.isnan(f("sin", math.inf)) and math.isnan(f("cos", -math.inf))
    assert f("pow", 0.0, -1.0) == math.inf and f("pow", -0.0, -1.0) == -math.inf
    assert f("pow", -0.0, -2.0) == math.inf and math.isnan(f("pow", -2.0, 0.5))
    assert f("pow", -10.0, 401.0) == -math.inf and f("pow", -10.0, 400.0) == math.inf
    assert f("tanh", 1e308) == 1.0 and f("floor", -1.5) == -2.0 and f("ceil", -1.5) == -1.0


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["f16", "bf16", "f32"]), st.floats(-50, 50),
       st.sampled_from(["exp", "sin", "tanh", "sqrt", "log"]))
def test_intrinsics_are_libm_double_rounded_once(kind, x, op):
    t = FLOATS[kind]
    arg = nearest(Fraction(x), kind)
    got = evaluate(op, [arg], [t], t)
    xd = float(arg)
    ref = {"exp": math.exp, "sin": math.sin, "tanh": math.tanh,
           "sqrt": lambda v: math.sqrt(v) if v >= 0 else math.nan,
           "log": lambda v: math.log(v) if v > 0 else (-math.inf if v == 0 else math.nan)}[op](xd)
    want = nearest(Fraction(ref), kind) if math.isfinite(ref) and ref != 0 else \
        np.array(ref).astype(KINDS[kind][0])
    assert same_float(got, want, kind)


# ------------------------------------------------------------------ casts by hypothesis
@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["f16", "bf16", "f32"]))
def test_f64_to_narrow_float_rounds_once(x, kind):
    got = evaluate("cast", [F64(x)], [float64], FLOATS[kind])
    assert same_float(got, nearest(Fraction(x), kind, math.copysign(1, x) < 0), kind)


@settings(max_examples=300, deadline=None)
@given(st.integers(-(2**140), 2**140), st.sampled_from(["f16", "bf16", "f32", "f64"]))
def test_int_to_float_rounds_once(x, kind):
    got = evaluate("cast", [x], [Int(142)], FLOATS[kind])
    assert same_float(got, nearest(Fraction(x), kind), kind)


@settings(max_examples=200, deadline=None)
@given(st.floats(width=32), st.integers(1, 80), st.booleans())
def test_float_to_int_model(x, bits, signed):
    t = Int(bits, signed)
    if math.isnan(x):
        want = 0
    elif math.isinf(x):
        want = t.max if x > 0 else t.min
    else:
        want = min(max(int(x), t.min), t.max)
    assert evaluate("cast", [F32(x)], [float32], t) == want


# ------------------------------------------------------------------ random trees
def model_minmax(op, a, b):
    fa, fb = float(a), float(b)
    if math.isnan(fa):
        return a
    if math.isnan(fb):
        return b
    if fa == fb:
        neg_a = math.copysign(1, fa) < 0
        return (a if neg_a else b) if op == "min" else (b if neg_a else a)
    return (a if fa < fb else b) if op == "min" else (a if fa > fb else b)


def model_float_op(op, args, kind):
    dtype, _, e, m = KINDS[kind]
    sign = 1 << (e + m)
    a = args[0]
    if op == "neg":
        return from_bits(bits_of(a, kind) ^ sign, kind)
    if op == "abs":
        return from_bits(bits_of(a, kind) & (sign - 1), kind)
    b = args[1]
    if op in ("min", "max"):
        return model_minmax(op, a, b)
    if kind in ("f32", "f64"):  # numpy's IEEE arithmetic, op by op
        with np.errstate(all="ignore"):
            return {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[op]
    fa, fb = float(a), float(b)
    exact_ok = math.isfinite(fa) and math.isfinite(fb) and not (op == "div" and fb == 0)
    if exact_ok:
        qa, qb = Fraction(fa), Fraction(fb)
        q = {"add": qa + qb, "sub": qa - qb, "mul": qa * qb, "div": qa / qb if fb else 0}[op]
        if q != 0:
            return nearest(q, kind)
    with np.errstate(all="ignore"):  # specials and exact zeros: float64 has the same rules
        r = {"add": F64(fa) + F64(fb), "sub": F64(fa) - F64(fb), "mul": F64(fa) * F64(fb),
             "div": F64(fa) / F64(fb)}[op]
        return np.array(r).astype(dtype)[()]


FOPS1, FOPS2 = ["neg", "abs"], ["add", "sub", "mul", "div", "min", "max"]
ftrees = st.recursive(st.integers(0, 2), lambda kids: st.one_of(
    st.tuples(st.sampled_from(FOPS1), kids), st.tuples(st.sampled_from(FOPS2), kids, kids)),
    max_leaves=8)


def ftree_ir(tree, t):
    if isinstance(tree, int):
        return Var(f"x{tree}", t)
    return Op(tree[0], tuple(ftree_ir(k, t) for k in tree[1:]), t)


def ftree_model(tree, env, kind):
    if isinstance(tree, int):
        return env[tree]
    return model_float_op(tree[0], [ftree_model(k, env, kind) for k in tree[1:]], kind)


def float_inputs(kind):
    dtype = KINDS[kind][0]
    width = {"f16": 16, "bf16": 32, "f32": 32, "f64": 64}[kind]
    return st.floats(width=width).map(lambda x: np.array(x).astype(dtype)[()])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_random_float_expressions_match_model(data):
    kind = data.draw(st.sampled_from(["f16", "bf16", "f32", "f64"]))
    t = FLOATS[kind]
    tree = data.draw(ftrees)
    values = [data.draw(float_inputs(kind)) for _ in range(3)]
    module = scalar_module(ftree_ir(tree, t), [(f"x{k}", t) for k in range(3)])
    got, = run_func(module, "f", values)
    assert same_float(got, ftree_model(tree, values, kind), kind)


def test_float_type_of_results_is_the_op_type():
    got = evaluate("add", [np.float16(1), np.float16(2)], [float16] * 2, float16)
    assert isinstance(got, np.float16) and isinstance(Float("f16"), Float)
