"""Moving a whole block through a stream of blocks (``Stream[int16[4, 4], 2]``):
``s.put(blk)`` and ``blk: int16[4, 4] = s.get()``.

A transfer becomes a loop nest of element puts/gets in row-major order (``arrays.nest``),
so every consumer of the IR sees plain code; its outer loop carries
``attrs["block_transfer"]`` so the HLS backend moves the block as one ``hls::vector``.

Example::

    def k(A: int16[4, 4], s: Stream[int16[4, 4], 2]):
        s.put(A)               # 16 element puts; in HLS one write of an hls::vector
"""

from __future__ import annotations

import ast
from typing import Any, Optional

from ..errors import AlloTypeError
from ..ir.nodes import Load, Store, StreamGet, StreamPut
from .typing import convert
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


__all__ = ["block_transfer", "block_stream_of"]
