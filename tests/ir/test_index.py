"""The index analysis (allo/ir/index.py): forms, the cast rule, ranges, trip counts."""

import itertools

import pytest
from hypothesis import given, strategies as st

from allo.ir.index import (IndexForm, IndexRanges, affine_form, cast_keeps_value, constant_trips,
                           form_range, index_form, interval, loop_interval, loop_value_range,
                           static_index_range, trip_count, type_range)
from allo.ir.nodes import Const, For, Load, Op, Var
from allo.ir.trips_symbolic import trip_count_symbolic
from allo.ir.types import Int, index, int8, int16, int32, uint8
from allo.testing import concrete_index_value, index_exprs, narrow_index_exprs
from tests.property_runs import Applied, checked_property

i, j, k = Var("i", index), Var("j", index), Var("k", index)


def c(v, t=index):
    return Const(v, t)


def op(name, *args, t=index):
    return Op(name, args, t)


def cast(e, t):
    return Op("cast", (e,), t)


# ------------------------------------------------------------------ forms
def test_affine_form_of_sums_and_scaled_variables():
    form = index_form(op("sub", op("add", op("mul", c(2), i), j), c(1)))
    assert form == IndexForm.of({"i": 2, "j": 1}, -1)
    assert form.is_affine and form.coeffs == (("i", 2), ("j", 1))
    assert str(form) == "2*i + j - 1"
    assert form.evaluate({"i": 3, "j": 4}) == 9


def test_equality_ignores_term_order_but_printing_keeps_it():
    a, b = index_form(op("add", i, j)), index_form(op("add", j, i))
    assert a == b and hash(a) == hash(b)
    assert a.render(lambda n: "%" + n) == "%i + %j"
    assert b.render(lambda n: "%" + n) == "%j + %i"


def test_products_of_variables_and_data_are_not_forms():
    assert index_form(op("mul", i, j)) is None
    assert index_form(Load("A", (i,), index)) is None
    assert index_form(c(1.5, Int(8))) is None


def test_div_mod_min_max_are_atoms():
    form = index_form(op("add", op("floordiv", i, c(2)), op("mod", j, c(3))))
    assert form.atom_kinds() == {"floordiv", "mod", "var"}
    assert not form.is_affine and affine_form(op("mod", j, c(3))) is None
    assert form.render(lambda n: n) == "(i floordiv 2) + (j mod 3)"
    assert form.evaluate({"i": -3, "j": -1}) == -2 + 2
    assert index_form(op("min", i, j)).atom_kinds() == {"min", "var"}
    assert index_form(op("floordiv", c(-7), c(2))) == IndexForm.constant(-4)
    assert index_form(op("mod", i, c(-3))) is None  # negative divisor: not a form
    assert index_form(op("mod", i, j)) is None


def test_split_separates_fixed_variables():
    fixed, rest = IndexForm.of({"i": 1, "k": 2}, 3).split(["i"])
    assert fixed == IndexForm.of({"i": 1}) and rest == IndexForm.of({"k": 2}, 3)


# ------------------------------------------------------------------ the cast rule
def test_cast_rule():
    assert cast_keeps_value(uint8, index) and cast_keeps_value(int8, int16)
    assert not cast_keeps_value(int8, uint8)            # negative values wrap
    assert not cast_keeps_value(uint8, int8)
    assert cast_keeps_value(uint8, Int(9))              # unsigned into wider signed
    assert not cast_keeps_value(index, uint8)
    assert cast_keeps_value(index, uint8, (0, 255))
    assert not cast_keeps_value(index, uint8, (0, 256))
    assert type_range(uint8) == (0, 255) and type_range(index) == (-(1 << 63), (1 << 63) - 1)


def test_narrowing_cast_is_not_a_form_unless_the_range_fits():
    wrapped = cast(cast(i, uint8), index)               # A[uint8(i)]
    assert index_form(wrapped) is None
    assert index_form(wrapped, {"i": (0, 511)}) is None
    assert index_form(wrapped, {"i": (0, 255)}) == IndexForm.var("i")
    assert interval(wrapped, {"i": (0, 511)}) is None
    assert static_index_range(wrapped, {"i": (0, 511)}) is None


def test_arithmetic_that_may_wrap_in_its_type_is_not_a_form():
    # i + 126 in int8 wraps for i >= 2
    wraps = cast(op("add", cast(i, int8), c(126, int8), t=int8), index)
    assert index_form(wraps, {"i": (0, 3)}) is None
    exact = cast(op("add", cast(i, int16), c(126, int16), t=int16), index)
    assert static_index_range(exact, {"i": (0, 3)}) == (126, 129)
    # a scalar of a fixed-width type ranges over its type: n + 1 in int33 cannot wrap
    n = Var("n", int32)
    grown = cast(op("add", cast(n, Int(33)), c(1, Int(33)), t=Int(33)), index)
    assert index_form(grown) == IndexForm.of({"n": 1}, 1)
    assert static_index_range(grown, {"i": (0, 3)}) is None  # n is not a loop variable


# ------------------------------------------------------------------ ranges
def test_static_index_range_is_exact_and_interval_encloses():
    assert static_index_range(op("sub", op("mul", c(3), i), j), {"i": (0, 2), "j": (1, 4)}) == (-4, 5)
    assert static_index_range(op("sub", i, i), {"i": (0, 9)}) == (0, 0)
    assert static_index_range(op("mul", i, j), {"i": (0, 3), "j": (0, 2)}) is None
    assert interval(op("mul", i, j), {"i": (0, 3), "j": (-1, 2)}) == (-3, 6)
    assert interval(op("mod", i, c(4)), {"i": (5, 6)}) == (1, 2)
    assert interval(op("mod", i, c(4)), {"i": (3, 6)}) == (0, 3)
    assert interval(op("max", i, c(2)), {"i": (0, 5)}) == (2, 5)
    assert form_range(IndexForm.of({"i": 1, "z": 1}), {"i": (0, 1)}) is None


def test_index_ranges_scope():
    r = IndexRanges()
    assert r.bind("i", (0, 3)) is None
    assert r.within(i, 4) and not r.within(op("add", i, c(1)), 4)
    assert r.bind("i", None) == (0, 3) and not r.within(i, 4)


# ------------------------------------------------------------------ loops
def test_trip_counts():
    assert trip_count(0, 10, 3) == 4 and trip_count(5, 5, 1) == 0 and trip_count(7, -1, -1) == 8
    loop = For("i", c(2), c(11), 3, [])
    assert constant_trips(loop) == (2, 11, 3, 3) and constant_trips(loop).last == 8
    assert constant_trips(For("j", c(0), i, 1, [])) is None
    assert loop_value_range(c(0), c(10), 3) == (0, 9)
    assert loop_value_range(c(5), c(5), 1) is None
    assert loop_interval(For("j", i, c(8), 1, []), {"i": (0, 3)}) == (0, 7)
    assert loop_interval(For("j", c(0), op("add", i, c(1)), 1, []), {"i": (0, 3)}) == (0, 3)


def test_symbolic_trip_counts_of_triangular_nests():
    import sympy  # here, not at import: test_frontend_kernels_mlir executes every test file

    inner = For("j", c(0), i, 1, [])
    outer = For("i", c(0), c(8), 1, [inner])
    assert trip_count_symbolic([outer, inner]) == 28
    assert trip_count_symbolic([inner], {"i": (0, 7)}) == sympy.Symbol("i", integer=True)
    assert trip_count_symbolic([inner]) == sympy.Max(0, sympy.Symbol("i", integer=True))
    n = Var("n", int32)
    hi = cast(n, index)
    outer_n, upper = For("i", c(0), hi, 1, []), For("j", i, hi, 1, [])
    count = trip_count_symbolic([outer_n, upper])
    N = sympy.Symbol("n", integer=True)
    for size in (0, 1, 5):
        assert count.subs(N, size) == sum(size - x for x in range(size))
    strided = [For("i", c(0), c(10), 3, []), For("j", i, c(10), 2, [])]
    assert trip_count_symbolic(strided) == sum(len(range(a, 10, 2)) for a in range(0, 10, 3))
    assert trip_count_symbolic([For("j", c(0), Load("B", (), index), 1, [])]) is None


# ------------------------------------------------------------------ agreement with evaluation
RANGES = {"i": (0, 5), "j": (-3, 2), "k": (250, 258)}


def test_forms_and_ranges_agree_with_concrete_evaluation():
    """On random index expressions (wrapping casts included): a form, when there is one,
    evaluates to the expression's value everywhere in the box; an interval encloses every
    value; the static range is the exact min and max."""
    seen = Applied()
    box = list(itertools.product(*(range(lo, hi + 1) for lo, hi in RANGES.values())))

    @given(st.one_of(index_exprs(RANGES, depth=3), narrow_index_exprs(RANGES, depth=2)))
    def prop(e):
        form, iv, exact = index_form(e, RANGES), interval(e, RANGES), static_index_range(e, RANGES)
        bare = index_form(e)
        values = []
        for point in box:
            env = dict(zip(RANGES, point))
            value = concrete_index_value(e, env)
            values.append(value)
            if form is not None:
                assert form.evaluate(env) == value, (e, form, env)
            if bare is not None:
                assert bare.evaluate(env) == value, (e, bare, env)
            if iv is not None:
                assert iv[0] <= value <= iv[1], (e, iv, env)
        if exact is not None:
            assert exact == (min(values), max(values)), e
        if form is not None and not form.is_const:
            seen()

    checked_property(prop, seen, max_examples=200, at_least=50)


@given(narrow_index_exprs({"i": (0, 3)}, depth=2), st.integers(0, 3))
def test_narrow_casts_never_yield_a_form_that_disagrees(e, value):
    form = index_form(e)
    if form is not None:
        assert form.evaluate({"i": value}) == concrete_index_value(e, {"i": value})


def test_wrapped_index_is_refused_by_the_cast_rule_at_every_range_that_wraps():
    wrapped = cast(cast(i, uint8), index)
    for hi in (255, 256, 511):
        fits = hi <= 255
        assert (index_form(wrapped, {"i": (0, hi)}) is not None) == fits
        assert (interval(wrapped, {"i": (0, hi)}) is not None) == fits


@pytest.mark.parametrize("t", [int8, uint8, int16])
def test_casts_of_constants_fold_exactly(t):
    e = cast(c(300), t)
    assert index_form(e) is None or index_form(e).const == concrete_index_value(e, {})
