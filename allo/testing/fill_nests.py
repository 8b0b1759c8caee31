"""Hypothesis strategy for kernels whose local array starts with a constant fill and is
updated in place, for the property tests of fill forwarding and dead fills
(:mod:`allo.primitives.dataflow_fill`).

A generated module holds one function ``k(X: int32[n], Z: int32[n])``: ``T: int32[n] =
fill``; a first nest ``for i < trips`` updating ``T`` through random in-bounds affine
indices (``T[w(i)] = T[r(i)] + X[i]``, sometimes beside a plain ``T[w2(i)] = X[i]``, in
either order), so its reads may or may not see its own writes; a second nest copying ``T``
to ``Z``. The cases the rewrites act on (every element written, the read of the element
the same iteration writes) are drawn often.

Example::

    >>> from allo.testing import filled_nest_kernels
    >>> module = filled_nest_kernels(8).example()        # doctest: +SKIP
    >>> module.top                                        # doctest: +SKIP
    'k'
"""

from __future__ import annotations

from hypothesis import strategies as st

from ..ir.nodes import Alloc, Const, For, Func, Load, Module, Op, Param, Store, Var
from ..ir.types import index, int32

_COEFFS = st.sampled_from([-1, 0, 1, 2])


def _affine(a: int, b: int, var: Var) -> Op:
    return Op("add", (Op("mul", (Const(a, index), var), index), Const(b, index)), index)


@st.composite
def filled_nest_kernels(draw, size: int = 8) -> Module:
    """A module ``k(X, Z)`` with a filled local ``T: int32[size]`` updated in place by a
    first loop nest and copied to ``Z`` by a second (see the module docstring)."""
    trips = draw(st.one_of(st.just(size), st.integers(1, size)))  # often every element
    i = Var("i", index)

    def in_bounds_map():
        a = draw(_COEFFS.filter(lambda a: abs(a) * (trips - 1) <= size - 1))
        low, high = min(0, a * (trips - 1)), max(0, a * (trips - 1))  # of a * i
        return a, draw(st.integers(-low, size - 1 - high))

    (aw, bw), (ar, br), (aw2, bw2) = in_bounds_map(), in_bounds_map(), in_bounds_map()
    if draw(st.booleans()):  # often read the element the same iteration writes
        ar, br = aw, bw
    update = Store("T", (_affine(aw, bw, i),),
                   Op("add", (Load("T", (_affine(ar, br, i),), int32), Load("X", (i,), int32)), int32))
    body = [update]
    if draw(st.integers(0, 2)) == 0:
        plain = Store("T", (_affine(aw2, bw2, i),), Load("X", (i,), int32))
        body = [plain, update] if draw(st.booleans()) else [update, plain]
    fill = draw(st.integers(-3, 3))
    j = Var("j", index)
    first = For("i", Const(0, index), Const(trips, index), 1, body, name="i")
    copy = For("j", Const(0, index), Const(size, index), 1,
               [Store("Z", (j,), Load("T", (j,), int32))], name="j")
    func = Func("k", [Param("X", int32[size]), Param("Z", int32[size])], [],
                [Alloc("T", int32[size], Const(fill, int32)), first, copy])
    return Module({"k": func}, "k")


__all__ = ["filled_nest_kernels"]
