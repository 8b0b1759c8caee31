"""Buffer slices: ``A[i, 0:4]`` read as a value and ``A[0:2, 0:3] = B`` stored.

A slice names a box of a buffer: an integer index fixes (and drops) its dimension, a
slice ``lo:hi`` keeps ``hi - lo`` elements starting at ``lo``. The size must be known at
compile time; the start may be a runtime index when the end is the start plus a constant
(``X[:, i * d:(i + 1) * d]``). Steps other than 1 are refused.

Meaning (docs/semantics.md): a slice read is a copy, exactly as ``C = A`` copies, made by a
named loop nest (band ``slice_<n>``) into a fresh buffer; a slice store is a loop nest
writing the box element by element (the value broadcast as in ``copy_into``). So nothing
aliases: verification, LLVM and HLS see ordinary loads and stores. A slice passed to a
kernel call is refused (the callee would write the copy, not the buffer).

Example::

    def k(A: int32[4, 8]) -> int32[4]:
        r = A[1, 0:4]          # band slice_0: r[L_0] = A[1, L_0]
        A[0:2, 0:3] = 0        # band slice_1: A[L_0, L_1] = 0
        return r
"""

from __future__ import annotations

import ast
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import AlloSyntaxError, AlloTypeError
from ..ir.index import affine_form
from ..ir.nodes import Const, Expr, Load, Op
from ..ir.types import index
from . import arrays
from .bounds import check_static_bounds
from .typing import PyVal, to_expr
from .values import BufView

# per dimension after the view's prefix: an index (dimension dropped) or (start, size)
Part = Union[Expr, Tuple[Expr, int]]


def has_slice(node: ast.Subscript) -> bool:
    """Does this subscript slice (``A[0:2]``, ``A[i, :]``)?

    Example: ``has_slice(ast.parse("A[0:2]", mode="eval").body)`` is True.
    """
    s = node.slice
    return any(isinstance(e, ast.Slice) for e in (s.elts if isinstance(s, ast.Tuple) else [s]))


def _plus(a: Expr, k: int) -> Expr:
    if isinstance(a, Const):
        return Const(int(a.value) + k, index)
    return a if k == 0 else Op("add", (a, Const(k, index)), index)


def _bound(lw: Any, b: Optional[ast.AST], default: int, extent: int) -> Union[int, Expr]:
    if b is None:
        return default
    v = lw.scalar(b)
    if isinstance(v, PyVal):
        if not isinstance(v.value, (int, np.integer)) or isinstance(v.value, bool):
            raise lw.err(AlloTypeError, f"slice bound {v.value!r} is not an integer", b,
                         hint="slice bounds are integers")
        k = int(v.value)
        return k + extent if k < 0 else k  # numpy: a negative bound counts from the end
    return lw.index(b)


def _slice_part(lw: Any, s: ast.Slice, extent: int, name: str, dim: int) -> Tuple[Expr, int]:
    if s.step is not None:
        step = lw.scalar(s.step)
        if not (isinstance(step, PyVal) and step.value == 1):
            raise lw.err(AlloSyntaxError, f"slices of buffer '{name}' take no step", s.step,
                         hint="write A[lo:hi]; use a loop for strided elements")
    lo, hi = _bound(lw, s.lower, 0, extent), _bound(lw, s.upper, extent, extent)
    if isinstance(lo, int) and isinstance(hi, int):
        lo, hi = max(lo, 0), min(hi, extent)
        if hi <= lo:
            raise lw.err(AlloTypeError, f"slice {lo}:{hi} of '{name}' (dimension {dim}, size "
                         f"{extent}) is empty", s, hint="a slice keeps at least one element")
        return Const(lo, index), hi - lo
    lo_e = lo if not isinstance(lo, int) else Const(lo, index)
    hi_e = hi if not isinstance(hi, int) else Const(hi, index)
    fl, fh = affine_form(lo_e), affine_form(hi_e)
    if fl is None or fh is None or fl.terms != fh.terms or fh.const <= fl.const:
        raise lw.err(AlloTypeError, f"the size of slice of '{name}' (dimension {dim}) is not a "
                     "positive compile-time constant", s,
                     hint="write A[lo:hi] with constant bounds, or A[x:x + 4] with a constant size")
    size = fh.const - fl.const
    check_static_bounds(lw, lo_e, name, extent, dim, s)
    check_static_bounds(lw, _plus(lo_e, size - 1), name, extent, dim, s)
    return lo_e, size


def slice_parts(lw: Any, view: BufView, node: ast.Subscript) -> List[Part]:
    """The box a sliced subscript names: per dimension after ``view``'s prefix, an index or
    ``(start, size)``; dimensions not written keep their whole extent.

    Example: for ``A[1, 0:4]`` on ``A: int32[4, 8]`` it is ``[Const(1), (Const(0), 4)]``
    followed by nothing (both dimensions given).
    """
    elts = lw.slice_elts(node)
    shape = view.shape
    if len(elts) > len(shape):
        raise lw.err(AlloTypeError, f"too many indices for '{view.name}': "
                     f"{len(view.prefix) + len(elts)} given, rank is {view.type.rank}", node,
                     hint=f"'{view.name}' has shape {list(view.type.shape)}")
    parts: List[Part] = []
    for k, (e, extent) in enumerate(zip(elts, shape)):
        dim = len(view.prefix) + k
        if isinstance(e, ast.Slice):
            parts.append(_slice_part(lw, e, extent, view.name, dim))
        else:
            i = lw.index(e, extent)
            check_static_bounds(lw, i, view.name, extent, dim, e)
            parts.append(i)
    parts += [(Const(0, index), extent) for extent in shape[len(elts):]]
    return parts


def _box_shape(parts: Sequence[Part]) -> Tuple[int, ...]:
    return tuple(p[1] for p in parts if isinstance(p, tuple))


def _box_index(view: BufView, parts: Sequence[Part], ivs: Sequence[Expr]) -> Tuple[Expr, ...]:
    """The buffer indices of box element ``ivs`` (one variable per kept dimension)."""
    out, k = list(view.prefix), 0
    for p in parts:
        if isinstance(p, tuple):
            start = p[0]
            out.append(ivs[k] if isinstance(start, Const) and start.value == 0
                       else Op("add", (start, ivs[k]), index))
            k += 1
        else:
            out.append(p)
    return tuple(out)


def read_slice(lw: Any, view: BufView, node: ast.Subscript) -> BufView:
    """``A[i, 0:4]`` as a value: a fresh buffer holding a copy of the box.

    Example: ``read_slice(lw, A, node)`` for ``A[1, 0:4]`` emits band ``slice_<n>`` and
    returns a ``BufView`` of shape ``(4,)``.
    """
    if view.is_stream:
        raise lw.err(AlloTypeError, f"stream '{view.name}' cannot be sliced", node,
                     hint="get elements with .get()")
    parts = slice_parts(lw, view, node)
    shape = _box_shape(parts)
    out = arrays.temp(lw, f"{view.name}_slice", view.type.dtype, shape, node)
    slice_temps = getattr(lw, "slice_temps", None)
    if slice_temps is None:
        slice_temps = lw.slice_temps = {}
    slice_temps[out.name] = view.name
    arrays.nest(lw, arrays.band_name(lw, "slice", None), shape, node,
                lambda ivs: [arrays.store(lw, out, ivs, Load(view.name, _box_index(view, parts, ivs),
                                                                    view.type.dtype), node)])
    return out


def store_slice(lw: Any, view: BufView, target: ast.Subscript, value: ast.AST,
                node: ast.AST) -> None:
    """``A[0:2, 0:3] = B`` (or ``= 0``): write the box element by element, the value
    broadcast to the box's shape.

    Example: ``store_slice(lw, A, target, value_node, stmt)`` emits band ``slice_<n>``.
    """
    if view.is_stream:
        raise lw.err(AlloTypeError, f"cannot assign to stream '{view.name}'", target,
                     hint="use .put(value)")
    parts = slice_parts(lw, view, target)
    shape = _box_shape(parts)
    v = lw.lower(value)
    if isinstance(v, BufView):
        if v.is_stream:
            raise lw.err(AlloTypeError, "a stream cannot be copied into a slice", value,
                         hint="get its elements in a loop")
        if arrays.broadcast_shape(lw, shape, v.shape, node, "slice assignment") != shape:
            raise lw.err(AlloTypeError, f"cannot store {list(v.shape)} elements into a slice "
                         f"of shape {list(shape)} of '{view.name}'", value,
                         hint="the value's shape must match (or broadcast to) the slice")

        def element(ivs: List[Expr]) -> Expr:
            return arrays.element(v, arrays.broadcast_index(v, ivs))
    else:
        scalar = to_expr(lw.require_scalar(v, value))

        def element(ivs: List[Expr]) -> Expr:
            return scalar
    whole = BufView(view.name, (), view.type)
    arrays.nest(lw, arrays.band_name(lw, "slice", None), shape, node,
                lambda ivs: [arrays.store(lw, whole, _box_index(view, parts, ivs), element(ivs),
                                          node)])


__all__ = ["has_slice", "slice_parts", "read_slice", "store_slice"]
