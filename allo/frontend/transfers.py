"""Statements that move whole parts of buffers: a block through a stream of blocks
(``s.put(blk)``, ``blk: T[M, N] = s.get()``) and row assignment ``A[i, :] = B``.

Both become loop nests of element moves (``arrays.nest``), so every consumer of the IR
sees plain code; a block transfer's outer loop carries ``attrs["block_transfer"]`` so the
HLS backend can move the block as one ``hls::vector``.

Example::

    def k(A: int32[3, 4], B: int32[4]):
        A[1, :] = B            # a copy loop over the 4 columns of row 1
"""

from __future__ import annotations

import ast
from typing import Any, Optional

from ..errors import AlloTypeError
from ..ir.nodes import Load, Store, StreamGet, StreamPut
from .typing import convert, to_expr
from .values import BufView


def block_transfer(lw: Any, stream: BufView, node: ast.AST, block: Any, put: bool) -> None:
    """Move one block through a stream of blocks, element by element in row-major
    order: ``s.put(blk)`` (``block`` is the value node) or ``blk = s.get()`` (``block``
    is the name of the declared buffer)."""
    from . import arrays

    st = stream.type.dtype
    buf = lw.lower(block) if put else BufView(block, (), lw.symbols[block].type)
    if not isinstance(buf, BufView) or buf.is_stream or tuple(buf.shape) != st.block:
        shown = list(buf.shape) if isinstance(buf, BufView) and buf.shape else "a scalar"
        raise lw.err(AlloTypeError, f"stream '{stream.name}' carries blocks of shape "
                       f"{list(st.block)}, not {shown}", node,
                       hint=f"put and get whole {st.dtype!r}{list(st.block)} buffers")
    loc = lw.info.loc(node)

    def body(ivs: list) -> list:
        idx = tuple(buf.prefix) + tuple(ivs)
        if put:
            v = convert(Load(buf.name, idx, buf.type.dtype), st.dtype)
            return [StreamPut(stream.name, stream.prefix, v, loc=loc)]
        get = StreamGet(stream.name, stream.prefix, st.dtype)
        return [Store(buf.name, idx, convert(get, buf.type.dtype), loc=loc)]

    arrays.nest(lw, arrays.band_name(lw, "block", None), st.block, node, body)
    lw.blocks[-1][-1].attrs["block_transfer"] = True  # HLS: one hls::vector per block


def block_stream_of(lw: Any, v: ast.AST) -> Optional[BufView]:
    """The stream of blocks that ``v`` reads (``s.get()``), else None."""
    if not (isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute)
            and v.func.attr == "get" and not v.args):
        return None
    base = lw.lower(v.func.value)
    if isinstance(base, BufView) and base.is_stream and not base.shape \
            and base.type.dtype.block:
        return base
    return None


def assign_rows(lw: Any, target: ast.Subscript, node: ast.Assign) -> bool:
    """``A[i, :] = B``: leading indices then only full slices copy a buffer into the
    part of ``A`` they select. False when ``target`` is not of that form."""
    from . import arrays

    elts = list(target.slice.elts) if isinstance(target.slice, ast.Tuple) else [target.slice]
    full = [isinstance(e, ast.Slice) and e.lower is None and e.upper is None
            and e.step is None for e in elts]
    k = full.index(True) if True in full else len(elts)
    if k == len(elts) or not all(full[k:]):
        return False
    base = lw.lower(target.value)
    if not isinstance(base, BufView) or base.is_stream:
        return False
    lw.check_writable(base.name, target)
    view = base
    if k:
        lead = ast.Tuple(elts[:k], ast.Load()) if k > 1 else elts[0]
        view = lw.buffer_subscript(base, ast.copy_location(
            ast.Subscript(target.value, ast.copy_location(lead, elts[0]), ast.Load()),
            target))
    if not isinstance(view, BufView) or len(view.shape) != len(elts) - k:
        return False
    rhs = lw.lower(node.value)
    if isinstance(rhs, BufView):
        arrays.copy_into(lw, view, rhs, node.value)
        return True
    value = to_expr(lw.require_scalar(rhs, node.value))  # A[i, :] = v fills
    arrays.nest(lw, arrays.band_name(lw, "fill", None), view.shape, node,
                lambda ivs: [arrays.store(lw, view, ivs, value, node)])
    return True


__all__ = ["block_transfer", "block_stream_of", "assign_rows"]
