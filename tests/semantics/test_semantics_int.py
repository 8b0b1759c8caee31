"""Integer ops: edge cases and random expression trees against an independent model."""

from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from allo.ir.nodes import Const, Op, Var
from allo.ir.types import Int, UInt, bool_, index, int8, int32, uint8
from allo.backends.interp import run_func
from allo.semantics import evaluate
from semantics_models import reduce_int, scalar_module

# ------------------------------------------------------------------ edge cases
@pytest.mark.parametrize("op,args,t,want", [
    ("add", [127, 1], int8, -128),
    ("sub", [0, 1], uint8, 255),
    ("mul", [-128, -1], int8, -128),
    ("neg", [-128], int8, -128),
    ("abs", [-128], int8, -128),
    ("floordiv", [-7, 2], int8, -4),
    ("floordiv", [7, 0], int8, 0),
    ("floordiv", [-128, -1], int8, -128),
    ("mod", [-7, 2], int8, 1),
    ("mod", [7, -2], int8, -1),
    ("mod", [7, 0], int8, 7),
    ("div", [-7, 2], int8, -3),
    ("div", [7, 0], int8, 0),
    ("div", [-128, -1], int8, -128),
    ("not", [0], uint8, 255),
    ("not", [5], int8, -6),
    ("and", [-1, 0x0F], int8, 0x0F),
    ("xor", [-1, 1], int8, -2),
    ("shl", [1, 7], int8, -128),
    ("shl", [1, 8], int8, 0),
    ("shl", [1, -1], int8, 0),          # amount read unsigned: 255 >= 8
    ("shr", [-128, 3], int8, -16),
    ("shr", [-128, 8], int8, -1),
    ("shr", [64, 8], int8, 0),
    ("shr", [200, 3], uint8, 25),
    ("shr", [200, 100], uint8, 0),
    ("min", [-3, 2], int8, -3),
    ("max", [250, 3], uint8, 250),
])
def test_int_edge_cases(op, args, t, want):
    assert evaluate(op, args, [t] * len(args), t) == want


def test_wide_integers_wrap_exactly():
    t = Int(128)
    assert evaluate("add", [2**127 - 1, 1], [t, t], t) == -(2**127)
    assert evaluate("mul", [2**100, 2**100], [t, t], t) == 0
    u = UInt(100)
    assert evaluate("sub", [0, 1], [u, u], u) == 2**100 - 1


def test_comparisons_and_logic_give_bool():
    assert evaluate("lt", [-1, 0], [int8, int8], bool_) == 1
    assert evaluate("ge", [-1, 0], [int8, int8], bool_) == 0
    assert evaluate("land", [1, 0], [bool_, bool_], bool_) == 0
    assert evaluate("lor", [1, 0], [bool_, bool_], bool_) == 1
    assert evaluate("lnot", [0], [bool_], bool_) == 1
    assert evaluate("select", [1, 5, 6], [bool_, int8, int8], int8) == 5
    assert evaluate("select", [0, 5, 6], [bool_, int8, int8], int8) == 6


def test_bit_operations():
    assert evaluate("get_bit", [-128, 7], [int8, int8], bool_) == 1
    assert evaluate("get_bit", [-1, 8], [int8, int8], bool_) == 0
    assert evaluate("set_bit", [0, 7, 1], [int8, int8, bool_], int8) == -128
    assert evaluate("set_bit", [5, 9, 1], [int8, int8, bool_], int8) == 5
    assert evaluate("get_slice", [-2, 1, 5], [int8, index, index], UInt(4)) == 0b1111
    assert evaluate("get_slice", [0b10110100, 2, 6], [uint8, index, index], UInt(4)) == 0b1101
    assert evaluate("set_slice", [0, 4, 8, 0xFF], [int8, index, index, int32], int8) == -16
    assert evaluate("set_slice", [0xFF, 0, 4, 0], [uint8, index, index, uint8], uint8) == 0xF0


def test_index_is_signed_64_bit():
    assert evaluate("add", [2**63 - 1, 1], [index, index], index) == -(2**63)


# ------------------------------------------------------------------ independent model
def model_op(op, args, bits, signed):
    r = lambda v: reduce_int(v, bits, signed)  # noqa: E731
    pat = lambda v: v % (2 ** bits)  # noqa: E731
    a = args[0]
    b = args[1] if len(args) > 1 else None
    if op == "add":
        return r(a + b)
    if op == "sub":
        return r(a - b)
    if op == "mul":
        return r(a * b)
    if op == "neg":
        return r(-a)
    if op == "abs":
        return r(a if a >= 0 else -a)
    if op == "floordiv":
        return 0 if b == 0 else r(a // b)
    if op == "mod":
        return a if b == 0 else r(a % b)
    if op == "div":
        return 0 if b == 0 else r(int(Fraction(a, b)))  # int() truncates toward zero
    if op == "min":
        return a if a <= b else b
    if op == "max":
        return a if a >= b else b
    if op in ("and", "or", "xor"):
        pa, pb = format(pat(a), f"0{bits}b"), format(pat(b), f"0{bits}b")
        fn = {"and": lambda x, y: x & y, "or": lambda x, y: x | y, "xor": lambda x, y: x ^ y}[op]
        out = "".join(str(fn(int(x), int(y))) for x, y in zip(pa, pb))
        return r(int(out, 2))
    if op == "not":
        return r(2 ** bits - 1 - pat(a))
    if op == "shl":
        k = pat(b)
        return 0 if k >= bits else r(a * 2 ** k)
    if op == "shr":
        k = pat(b)
        if k >= bits:
            return -1 if a < 0 else 0
        return r(a // 2 ** k)
    raise AssertionError(op)


UNARY = ["neg", "abs", "not"]
BINARY = ["add", "sub", "mul", "floordiv", "mod", "div", "min", "max", "and", "or", "xor",
          "shl", "shr"]
CMPS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}

leaf = st.one_of(st.tuples(st.just("var"), st.integers(0, 2)), st.tuples(st.just("const"), st.integers()))
trees = st.recursive(leaf, lambda kids: st.one_of(
    st.tuples(st.sampled_from(UNARY), kids),
    st.tuples(st.sampled_from(BINARY), kids, kids),
    st.tuples(st.just("select"), st.sampled_from(sorted(CMPS)), kids, kids, kids, kids),
), max_leaves=10)


def to_ir(tree, t):
    kind = tree[0]
    if kind == "var":
        return Var(f"x{tree[1]}", t)
    if kind == "const":
        return Const(reduce_int(tree[1], t.bits, t.signed), t)
    if kind == "select":
        _, cmp, a, b, c, d = tree
        cond = Op(cmp, (to_ir(a, t), to_ir(b, t)), bool_)
        return Op("select", (cond, to_ir(c, t), to_ir(d, t)), t)
    return Op(kind, tuple(to_ir(k, t) for k in tree[1:]), t)


def model(tree, env, bits, signed):
    kind = tree[0]
    if kind == "var":
        return env[tree[1]]
    if kind == "const":
        return reduce_int(tree[1], bits, signed)
    if kind == "select":
        _, cmp, a, b, c, d = tree
        va, vb = model(a, env, bits, signed), model(b, env, bits, signed)
        return model(c if CMPS[cmp](va, vb) else d, env, bits, signed)
    args = [model(k, env, bits, signed) for k in tree[1:]]
    return model_op(kind, args, bits, signed)


@st.composite
def int_cases(draw):
    bits = draw(st.integers(1, 128))
    signed = draw(st.booleans())
    t = Int(bits, signed)
    values = [draw(st.integers(t.min, t.max)) for _ in range(3)]
    return t, draw(trees), values


@settings(max_examples=300, deadline=None)
@given(int_cases())
def test_random_int_expressions_match_model(case):
    t, tree, values = case
    module = scalar_module(to_ir(tree, t), [(f"x{k}", t) for k in range(3)])
    got, = run_func(module, "f", values)
    assert got == model(tree, values, t.bits, t.signed)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 130), st.booleans(), st.integers(1, 130), st.booleans(), st.integers())
def test_int_to_int_cast_wraps(b1, s1, b2, s2, v):
    src, dst = Int(b1, s1), Int(b2, s2)
    x = reduce_int(v, b1, s1)
    assert evaluate("cast", [x], [src], dst) == reduce_int(x, b2, s2)
