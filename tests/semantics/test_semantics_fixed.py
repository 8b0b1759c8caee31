"""Fixed-point ops and fixed casts against a ``fractions.Fraction`` model."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from allo.errors import AlloTypeError
from allo.ir.nodes import Const, Op, Var
from allo.ir.types import Fixed, Int, UFixed, bool_, float32, float64, int8, int16
from allo.backends.interp import run_func
from allo.semantics import evaluate
from semantics_models import nearest, reduce_int, same_float, scalar_module


def wrap_value(q: Fraction, t) -> Fraction:
    """Model: a real value ``q`` that is a multiple of 2**-F, wrapped into the format."""
    scale = Fraction(2) ** t.frac
    raw = q * scale
    assert raw.denominator == 1
    return Fraction(reduce_int(int(raw), t.bits, t.signed)) / scale


def quantize_floor(q: Fraction, t) -> Fraction:
    scale = Fraction(2) ** t.frac
    return wrap_value(Fraction(math.floor(q * scale)) / scale, t)


def raw_of(q: Fraction, t) -> int:
    return int(q * 2 ** t.frac)


def model_fixed(op, a: Fraction, b: Fraction, t) -> Fraction:
    if op == "add":
        return wrap_value(a + b, t)
    if op == "sub":
        return wrap_value(a - b, t)
    if op == "mul":
        return quantize_floor(a * b, t)
    if op in ("div", "floordiv"):
        return Fraction(0) if b == 0 else quantize_floor(a / b, t)
    if op == "min":
        return min(a, b)
    if op == "max":
        return max(a, b)
    raise AssertionError(op)


@st.composite
def fixed_formats(draw):
    bits = draw(st.integers(1, 72))
    frac = draw(st.integers(0, bits))
    return Fixed(bits, frac, draw(st.booleans()))


@st.composite
def fixed_values(draw, t):
    return Fraction(draw(st.integers(t.raw.min, t.raw.max)), 2 ** t.frac)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fixed_binary_ops_match_fraction_model(data):
    t = data.draw(fixed_formats())
    op = data.draw(st.sampled_from(["add", "sub", "mul", "div", "floordiv", "min", "max"]))
    a, b = data.draw(fixed_values(t)), data.draw(fixed_values(t))
    got = evaluate(op, [raw_of(a, t), raw_of(b, t)], [t, t], t)
    assert got == raw_of(model_fixed(op, a, b, t), t)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_fixed_expression_trees_in_the_interpreter(data):
    t = data.draw(fixed_formats())
    vals = [data.draw(fixed_values(t)) for _ in range(3)]
    ops = data.draw(st.lists(st.sampled_from(["add", "sub", "mul", "div", "min", "max"]),
                             min_size=1, max_size=5))
    # left-deep chain over the three variables: ((x0 op x1) op x2) op x0 ...
    expr, want = Var("x0", t), vals[0]
    for k, op in enumerate(ops):
        nxt = (k + 1) % 3
        expr = Op(op, (expr, Var(f"x{nxt}", t)), t)
        want = model_fixed(op, want, vals[nxt], t)
    module = scalar_module(expr, [(f"x{k}", t) for k in range(3)])
    got, = run_func(module, "f", [raw_of(v, t) for v in vals])
    assert got == raw_of(want, t)


def test_fixed_edge_cases():
    q = Fixed(8, 4)
    assert evaluate("mul", [-1, 1], [q, q], q) == -1          # -1/256 floors to -1/16
    assert evaluate("div", [16, 0], [q, q], q) == 0
    assert evaluate("add", [127, 1], [q, q], q) == -128       # wraps like int8
    assert evaluate("neg", [-128], [q], q) == -128
    assert evaluate("lt", [-3, 2], [q, q], bool_) == 1
    assert evaluate("mul", [200, 200], [UFixed(8, 4)] * 2, UFixed(8, 4)) == (200 * 200 >> 4) % 256
    with pytest.raises(AlloTypeError, match="mod"):
        evaluate("mod", [1, 2], [q, q], q)
    with pytest.raises(AlloTypeError):
        evaluate("and", [1, 2], [q, q], q)


# ------------------------------------------------------------------ casts
@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fixed_to_fixed_and_int_casts(data):
    src, dst = data.draw(fixed_formats()), data.draw(fixed_formats())
    a = data.draw(fixed_values(src))
    assert evaluate("cast", [raw_of(a, src)], [src], dst) == raw_of(quantize_floor(a, dst), dst)
    it = Int(data.draw(st.integers(1, 70)), data.draw(st.booleans()))
    trunc = int(a)  # toward zero
    assert evaluate("cast", [raw_of(a, src)], [src], it) == reduce_int(trunc, it.bits, it.signed)
    x = data.draw(st.integers(it.min, it.max))
    assert evaluate("cast", [x], [it], dst) == reduce_int(x * 2 ** dst.frac, dst.bits, dst.signed)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fixed_float_casts(data):
    t = data.draw(fixed_formats())
    kind_t = data.draw(st.sampled_from([float32, float64]))
    a = data.draw(fixed_values(t))
    got = evaluate("cast", [raw_of(a, t)], [t], kind_t)
    assert same_float(got, nearest(a, kind_t.kind), kind_t.kind)
    x = data.draw(st.floats(allow_nan=False, allow_infinity=False, width=32))
    raw = evaluate("cast", [np.float32(x)], [float32], t)
    assert raw == reduce_int(math.floor(Fraction(x) * 2 ** t.frac), t.bits, t.signed)


def test_float_to_fixed_specials():
    q = Fixed(8, 2)
    for v in (np.nan, np.inf, -np.inf):
        assert evaluate("cast", [np.float64(v)], [float64], q) == 0
    assert evaluate("cast", [np.float64(-0.3)], [float64], q) == -2  # floor(-1.2)
    assert evaluate("cast", [np.float64(1e300)], [float64], Fixed(16, 600 // 40)) == \
        reduce_int(math.floor(Fraction(1e300) * 2 ** 15), 16, True)


def test_fixed_constant_and_cast_to_int8():
    q = Fixed(16, 8)
    expr = Op("cast", (Op("mul", (Var("a", q), Const(-384, q)), q),), int8)  # a * -1.5
    module = scalar_module(expr, [("a", q)])
    got, = run_func(module, "f", [raw_of(Fraction(5, 2), q)])
    assert got == -3  # -3.75 truncated toward zero
    assert evaluate("cast", [-1], [Fixed(8, 4)], int16) == 0
