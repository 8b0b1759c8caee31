"""Compile-time narrowing of widened integer ring arithmetic (allo.symexec.narrowing)."""

from designs import gemm_int, scalar_fn
from hypothesis import given, settings
from hypothesis import strategies as st
from irb import c, cast, op
from test_equiv import assert_not_equivalent

from allo.backends.interp import Interpreter
from allo.ir.nodes import Var
from allo.ir.types import Fixed, Int, UInt, bool_, float32, int8, int16
from allo.symexec import verify
from allo.symexec.narrowing import narrow_widened
from allo.testing.scalars import int_values

narrow_types = st.builds(lambda bits, signed: Int(bits) if signed else UInt(bits),
                         st.integers(2, 20), st.booleans())


@st.composite
def widened(draw):
    """cast_t(op_m(cast_m(x), cast_m(y) or a constant)) for random t, m (any widths)."""
    t = draw(narrow_types)
    if draw(st.booleans()):  # a lossless widening (the rewrite applies)
        extra = draw(st.integers(0 if t.signed else 1, 8))
        m = Int(t.bits + extra) if t.signed or draw(st.booleans()) else UInt(t.bits + extra)
    else:
        m = draw(narrow_types)
    name = draw(st.sampled_from(["add", "sub", "mul"]))
    s = draw(narrow_types) if draw(st.booleans()) else t  # y's own type (maybe narrower)
    x, y = Var("x", t), Var("y", s)
    second = cast(m, y) if draw(st.booleans()) else c(draw(int_values(m)), m)
    inner = op(name, m, cast(m, x), second)
    return t, s, cast(t, inner), draw(int_values(t)), draw(int_values(s))


def two_types_fn(e, t, s):
    """``f(x: t, y: s) -> t`` returning ``e``."""
    from irb import Return, func, module
    return module(func("f", [("x", t), ("y", s)], [Return([e])], results=[t]))


@settings(max_examples=150, deadline=None)
@given(widened())
def test_narrowing_keeps_every_value(case):
    """The rewrite (when it applies) computes what the reference interpreter computes on
    the original expression, for any widths and signedness (it must not apply when the
    inner cast loses values or the op is narrower than the result)."""
    t, s, expr, x, y = case
    narrowed = narrow_widened(expr)
    run = lambda e: Interpreter(two_types_fn(e, t, s))(x, y)  # noqa: E731
    assert run(narrowed) == run(expr)


@st.composite
def nested_widened(draw):
    """cast_t(op_m(cast_m(x), cast_m(op_k(cast_k(x), cast_k(y))))): a product of width k
    summed at width m, for random widths (lossless, too narrow or lossy alike)."""
    t = draw(narrow_types)
    r, s = (draw(narrow_types) if draw(st.booleans()) else t for _ in range(2))
    wider = lambda most: st.builds(lambda e, signed: Int(t.bits + e) if signed  # noqa: E731
                                   else UInt(t.bits + e), st.integers(0, most), st.booleans())
    m = draw(st.one_of(narrow_types, wider(12)))
    k = draw(st.one_of(narrow_types, wider(40)))
    x, y = Var("x", r), Var("y", s)
    inner = op(draw(st.sampled_from(["add", "sub", "mul"])), k, cast(k, x), cast(k, y))
    outer = op(draw(st.sampled_from(["add", "sub", "mul"])), m, cast(m, x), cast(m, inner))
    return r, s, t, cast(t, outer), draw(int_values(r)), draw(int_values(s))


@settings(max_examples=300, deadline=None)
@given(nested_widened())
def test_nested_narrowing_keeps_every_value(case):
    """The rewrite of a widened op on a widened op (an int32 accumulator of int64
    products) keeps every value, and stays away where a width loses values or wraps
    (an inner op narrower than the result)."""
    from irb import Return, func, module
    r, s, t, expr, x, y = case
    narrowed = narrow_widened(expr)
    run = lambda e: Interpreter(module(func("f", [("x", r), ("y", s)], [Return([e])],  # noqa: E731
                                            results=[t])))(x, y)
    assert run(narrowed) == run(expr)


def test_int32_accumulator_of_int64_products():
    """``cast32(add65(cast65(a32), cast65(mul64(cast64 x32, cast64 y32))))`` ->
    ``add32(a32, mul32(x32, y32))``: two nodes per multiply-accumulate, not seven."""
    a, x, y = Var("a", Int(32)), Var("x", Int(32)), Var("y", Int(32))
    product = op("mul", Int(64), cast(Int(64), x), cast(Int(64), y))
    wide = op("add", Int(65), cast(Int(65), a), cast(Int(65), product))
    assert narrow_widened(cast(Int(32), wide)) == op("add", Int(32), a, op("mul", Int(32), x, y))
    # a product that wraps at 16 bits is not the 32-bit product: it stays a 16-bit
    # product (of the truncated operands), widened into the 32-bit sum
    short_product = op("mul", Int(16), cast(Int(16), x), cast(Int(16), y))
    short = op("add", Int(65), cast(Int(65), a), cast(Int(65), short_product))
    assert narrow_widened(cast(Int(32), short)) == \
        op("add", Int(32), a, cast(Int(32), short_product))
    # an inner cast that does not keep values (int32 -> uint64): left alone
    unsigned = op("mul", UInt(64), cast(UInt(64), x), cast(UInt(64), y))
    lossy = op("add", Int(65), cast(Int(65), a), cast(Int(65), unsigned))
    assert narrow_widened(cast(Int(32), lossy)) == cast(Int(32), lossy)


def test_a_narrower_inner_op_keeps_its_own_wrap():
    """An int8 product of two uint4 values (15 * 15 wraps to -31) summed into a uint16:
    the product must not become a 16-bit one (225); nor may a top-level op narrower than
    the result."""
    from irb import Return, func, module
    a, x, y = Var("a", UInt(16)), Var("x", UInt(4)), Var("y", UInt(4))
    product = op("mul", int8, cast(int8, x), cast(int8, y))
    expr = cast(UInt(16), op("add", Int(20), cast(Int(20), a), cast(Int(20), product)))
    fn = lambda e: module(func("f", [("a", UInt(16)), ("x", UInt(4)), ("y", UInt(4))],  # noqa: E731
                                [Return([e])], results=[UInt(16)]))
    assert Interpreter(fn(narrow_widened(expr)))(0, 15, 15) == Interpreter(fn(expr))(0, 15, 15)
    assert Interpreter(fn(expr))(0, 15, 15) == 2 ** 16 - 31
    narrow_top = cast(int16, op("add", int8, cast(int8, Var("x", UInt(4))),
                                cast(int8, Var("y", UInt(4)))))
    assert narrow_widened(narrow_top) is narrow_top


def test_applies_to_the_frontends_accumulation():
    x, y = Var("x", int16), Var("y", int16)
    wide = op("add", Int(17), cast(Int(17), x), cast(Int(17), y))
    assert narrow_widened(cast(int16, wide)) == op("add", int16, x, y)


def test_int32_accumulator_of_int16_products():
    """``cast32(add33(cast33(c32), cast33(p16)))`` -> ``add32(c32, cast32(p16))``."""
    acc, p = Var("c", Int(32)), Var("p", int16)
    wide = op("add", Int(33), cast(Int(33), acc), cast(Int(33), p))
    assert narrow_widened(cast(Int(32), wide)) == op("add", Int(32), acc, cast(Int(32), p))


def test_left_alone_when_not_exact():
    x, y = Var("x", int16), Var("y", int16)
    # the inner cast loses values (int16 -> uint16 is not lossless)
    lossy = cast(int16, op("add", UInt(16), cast(UInt(16), x), cast(UInt(16), y)))
    assert narrow_widened(lossy) is lossy
    # the op is narrower than the result: the outer cast widens, it does not wrap
    a, b = Var("a", int8), Var("b", int8)
    widening = cast(int16, op("add", int8, a, b))
    assert narrow_widened(widening) is widening
    # not a ring op, fixed point, floats, bool
    for e in [cast(int16, op("max", Int(17), cast(Int(17), x), cast(Int(17), y))),
              cast(Fixed(8, 4), op("add", Fixed(16, 4), cast(Fixed(16, 4), Var("f", Fixed(8, 4))),
                                   cast(Fixed(16, 4), Var("g", Fixed(8, 4))))),
              cast(float32, op("add", float32, Var("p", float32), Var("q", float32))),
              cast(bool_, op("add", int8, cast(int8, Var("u", bool_)), cast(int8, Var("v", bool_))))]:
        assert narrow_widened(e) is e


def test_widened_and_plain_accumulation_are_equivalent_by_ids():
    """``cast16(add17(cast17 C, cast17 p))`` and ``add16(C, p)`` now build the same node."""
    widened_add = scalar_fn(lambda x, y: cast(int16, op("add", Int(17), cast(Int(17), x),
                                                         cast(Int(17), y))), t=int16)
    plain_add = scalar_fn(lambda x, y: op("add", int16, x, y), t=int16)
    v = verify(widened_add, plain_add)
    assert v.status == "equivalent" and "identical canonical expressions" in v.method


def test_wrong_accumulation_is_still_refuted_with_a_counterexample():
    """Regression: after narrowing, a wrong product (+1), a lossy accumulator (int8) and a
    transposed operand are each refuted and confirmed on the reference interpreter."""
    for wrong in (gemm_int(plus=1), gemm_int(acc_t=int8), gemm_int(b_idx="jk")):
        assert_not_equivalent(verify(gemm_int(), wrong))
    # a widened accumulation that wraps at a different width is a different program
    narrow_acc = scalar_fn(lambda x, y: cast(int16, op("add", Int(12), cast(Int(12), x),
                                                        cast(Int(12), y))), t=int16)
    plain_add = scalar_fn(lambda x, y: op("add", int16, x, y), t=int16)
    assert_not_equivalent(verify(narrow_acc, plain_add))
