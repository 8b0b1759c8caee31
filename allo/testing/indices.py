"""Hypothesis strategies for random integer index expressions, and their concrete value.

:func:`index_exprs` draws ``index``-typed IR expressions over loop variables: affine
arithmetic, products of variables, ``floordiv``/``mod`` by constants of either sign,
``min``/``max``, and round trips through narrower integer types (``A[uint8(i)]``, or
``int8`` arithmetic in between) that may wrap. :func:`concrete_index_value` evaluates one
with the semantics registry's bit-exact meaning, the oracle the index analysis
(:mod:`allo.ir.index`) and its z3 terms are tested against.

Example::

    >>> from hypothesis import given
    >>> @given(index_exprs({"i": (0, 7), "j": (-2, 3)}))
    ... def test_value_is_an_int(e):
    ...     assert isinstance(concrete_index_value(e, {"i": 1, "j": 0}), int)
"""

from __future__ import annotations

from typing import Mapping, Tuple

from hypothesis import strategies as st

from ..ir.nodes import Const, Expr, Op, Var
from ..ir.types import AlloType, Int, UInt, index, int8, int16, uint8

NARROW_TYPES: Tuple[AlloType, ...] = (int8, uint8, int16, UInt(4), Int(33))


def _const(t: AlloType, lo: int, hi: int) -> st.SearchStrategy[Expr]:
    return st.integers(lo, hi).map(lambda v: Const(t.wrap(v), t))


def index_exprs(loop_vars: Mapping[str, Tuple[int, int]], depth: int = 3
                ) -> st.SearchStrategy[Expr]:
    """Random ``index`` expressions over the ``loop_vars`` (names; their ranges are not
    used here), of nesting ``depth`` at most.

    Example: ``index_exprs({"i": (0, 3)})`` may draw ``i * 2 + 1``, ``i // -3`` or
    ``index(uint8(i) + 200)``.
    """
    names = sorted(loop_vars)
    leaves = st.one_of(st.sampled_from([Var(n, index) for n in names]), _const(index, -8, 20))
    if depth <= 0:
        return leaves
    sub = index_exprs(loop_vars, depth - 1)

    def binary(op: str, right: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        return st.tuples(sub, right).map(lambda ab: Op(op, ab, index))

    small_nonzero = st.one_of(_const(index, 1, 9), _const(index, -4, -1))
    return st.one_of(
        leaves,
        binary("add", sub), binary("sub", sub), sub.map(lambda e: Op("neg", (e,), index)),
        binary("mul", _const(index, -4, 5)), binary("mul", sub),
        binary("floordiv", small_nonzero), binary("mod", small_nonzero),
        binary("min", sub), binary("max", sub),
        narrow_index_exprs(loop_vars, depth - 1),
    )


def narrow_index_exprs(loop_vars: Mapping[str, Tuple[int, int]], depth: int = 2
                       ) -> st.SearchStrategy[Expr]:
    """``index(T(e))`` or ``index(T(e) op c)`` for a narrower integer type ``T`` and an
    :func:`index_exprs` ``e``: the round trips that may wrap.

    Example: ``index(uint8(i))``, ``index(int8(i + 1) + 127)``.
    """
    sub = index_exprs(loop_vars, depth)

    def narrow(t: AlloType) -> st.SearchStrategy[Expr]:
        inner = sub.map(lambda e: Op("cast", (e,), t))
        arith = st.tuples(inner, _const(t, -3, 130), st.sampled_from(["add", "sub", "mul"])
                          ).map(lambda x: Op(x[2], (x[0], x[1]), t))
        return st.one_of(inner, arith).map(lambda e: Op("cast", (e,), index))

    return st.sampled_from(NARROW_TYPES).flatmap(narrow)


def concrete_index_value(e: Expr, env: Mapping[str, int]) -> int:
    """The value of integer expression ``e`` with loop variables ``env``, by the registry's
    concrete meaning of each op (wrapping in narrow types, floor division, ...)."""
    from ..semantics.registry import specialize

    if isinstance(e, Const):
        return int(e.value)
    if isinstance(e, Var):
        return int(env[e.name])
    if isinstance(e, Op):
        args = [concrete_index_value(a, env) for a in e.args]
        fn = specialize(e.op, [a.type for a in e.args], e.type)
        return int(fn(*args))
    raise TypeError(f"not an index expression: {e!r}")


__all__ = ["index_exprs", "narrow_index_exprs", "concrete_index_value", "NARROW_TYPES"]
