"""z3 terms of index forms (allo/primitives/index_z3.py) agree with concrete evaluation."""

import z3
from hypothesis import given, strategies as st

from allo.ir.index import index_form
from allo.ir.nodes import Const, Load, Op, Var
from allo.ir.types import index, int32, uint8
from allo.primitives.index_z3 import form_term, guard_term, index_term
from allo.testing import concrete_index_value, index_exprs, narrow_index_exprs
from tests.property_runs import Applied, checked_property

i = Var("i", index)
VARS = {"i": (-6, 9), "j": (0, 4)}


def test_terms_agree_with_concrete_evaluation():
    seen = Applied()

    @given(st.one_of(index_exprs(VARS, depth=3), narrow_index_exprs(VARS, depth=2)),
           st.integers(-6, 9), st.integers(0, 4))
    def prop(e, vi, vj):
        term = index_term(e, {"i": z3.IntVal(vi), "j": z3.IntVal(vj)})
        if term is None:
            assert index_form(e) is None
            return
        seen()
        assert z3.simplify(term).as_long() == concrete_index_value(e, {"i": vi, "j": vj}), e

    checked_property(prop, seen, max_examples=150, at_least=60)


def test_wrapping_index_has_no_term():
    assert index_term(Op("cast", (Op("cast", (i,), uint8),), index), {"i": z3.Int("i")}) is None
    assert index_term(Load("A", (i,), index), {}) is None


def test_missing_variables_are_free():
    assert str(form_term(index_form(Op("add", (i, Const(1, index)), index)), {})) == "free_i + 1"


def test_guard_polarity_never_negates_a_dropped_part():
    """not (i < 4 and A[0] > 0): the data part is unknown, so nothing may be concluded
    about i (before the fix, the dropped conjunct made this 'i >= 4')."""
    from allo.ir.types import bool_
    x = z3.Int("i")
    known = Op("lt", (i, Const(4, index)), bool_)
    data = Op("gt", (Load("A", (Const(0, index),), int32), Const(0, int32)), bool_)
    both = Op("land", (known, data), bool_)
    assert guard_term(both, {"i": x}) is not None                 # i < 4 is implied
    assert guard_term(both, {"i": x}, holds=False) is None        # nothing is implied
    assert guard_term(Op("lnot", (both,), bool_), {"i": x}) is None
    either = Op("lor", (known, data), bool_)
    assert guard_term(either, {"i": x}) is None
    s = z3.Solver()
    s.add(guard_term(either, {"i": x}, holds=False), x == 2)       # not (i < 4 or ...) => i >= 4
    assert s.check() == z3.unsat
