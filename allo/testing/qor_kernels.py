"""Hypothesis strategies for QoR properties: multiply-accumulate kernels whose costs the
estimator's invariants talk about (ports, partitions, unrolling).

* :func:`mac_kernels` — ``C[i] += A[i, k] * B[k]`` over ``i < n``, ``k < f`` for a random
  element type, ``n`` and ``f``: a :class:`MacKernel` with the IR module.
* :func:`product_kernels` — ``C[i] = A[i] * B[i]`` over ``i < n``.

Example::

    from hypothesis import given
    from allo.testing.qor_kernels import mac_kernels

    @given(mac_kernels())
    def test_something(k):
        s = Schedule(k.module); s.pipeline("i"); s.report()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from ..ir.nodes import Const, Expr, For, Func, Load, Module, Op, Param, Store, Var
from ..ir.types import float32, index, int8, int16, int32
from ..ir.widths import binary_result_type

ELEMENT_TYPES = (float32, int8, int16, int32)


@dataclass(frozen=True)
class MacKernel:
    """A generated kernel: its element type, sizes and IR."""

    dtype: Any
    n: int
    f: int
    module: Module


def _cast(e: Expr, t: Any) -> Expr:
    return e if e.type == t else Op("cast", (e,), t)


def _binary(op: str, a: Expr, b: Expr) -> Expr:
    t = binary_result_type(op, a.type, b.type)
    return Op(op, (_cast(a, t), _cast(b, t)), t)


def _loop(var: str, n: int, body: list) -> For:
    return For(var, Const(0, index), Const(n, index), 1, body, name=var, band=f"S_{var}_0")


def mac_module(dtype: Any, n: int, f: int) -> Module:
    """``mac(A: T[n, f], B: T[f], C: T[n])``: ``C[i] += A[i, k] * B[k]``.

    Example: ``mac_module(float32, 8, 4).top``.
    """
    i, k = Var("i", index), Var("k", index)
    prod = _binary("mul", Load("A", (i, k), dtype), Load("B", (k,), dtype))
    total = _binary("add", Load("C", (i,), dtype), prod)
    store = Store("C", (i,), _cast(total, dtype))
    inner = For("k", Const(0, index), Const(f, index), 1, [store], name="k", band="S_i_k_0")
    outer = For("i", Const(0, index), Const(n, index), 1, [inner], name="i", band="S_i_k_0")
    func = Func("mac", [Param("A", dtype[n, f]), Param("B", dtype[f]), Param("C", dtype[n])], [],
                [outer])
    return Module({"mac": func}, "mac")


def product_module(dtype: Any, n: int) -> Module:
    """``prod(A: T[n], B: T[n], C: T[n])``: ``C[i] = A[i] * B[i]``."""
    i = Var("i", index)
    value = _cast(_binary("mul", Load("A", (i,), dtype), Load("B", (i,), dtype)), dtype)
    func = Func("prod", [Param("A", dtype[n]), Param("B", dtype[n]), Param("C", dtype[n])], [],
                [_loop("i", n, [Store("C", (i,), value)])])
    return Module({"prod": func}, "prod")


@st.composite
def mac_kernels(draw, types=ELEMENT_TYPES, sizes=(8, 16, 32), factors=(2, 4, 8, 16)) -> MacKernel:
    """Random multiply-accumulate kernels (see :func:`mac_module`)."""
    dtype = draw(st.sampled_from(types))
    n = draw(st.sampled_from(sizes))
    f = draw(st.sampled_from(factors))
    return MacKernel(dtype, n, f, mac_module(dtype, n, f))


@st.composite
def product_kernels(draw, types=ELEMENT_TYPES, sizes=(16, 32, 64)) -> MacKernel:
    """Random element-wise product kernels (see :func:`product_module`)."""
    dtype = draw(st.sampled_from(types))
    n = draw(st.sampled_from(sizes))
    return MacKernel(dtype, n, 1, product_module(dtype, n))


__all__ = ["MacKernel", "mac_module", "product_module", "mac_kernels", "product_kernels",
           "ELEMENT_TYPES"]
