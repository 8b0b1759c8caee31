"""Values the frontend's lowering passes around besides IR expressions and Python
constants (:class:`~allo.frontend.typing.PyVal`): a buffer seen through a partial index
(:class:`BufView`) and a template instance (:class:`TemplateInstance`), read by the scalar
lowering (:mod:`.exprs`), the whole-array operations (:mod:`.arrays`), kernel calls
(:mod:`.calls`) and library-layer calls (:mod:`.nn_calls`) alike.

Example::

    >>> from allo.ir.types import int8
    >>> BufView("A", (), int8[4, 8]).shape
    (4, 8)
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
import types
from typing import Any, Optional, Tuple

import numpy as np

from ..ir.nodes import Expr
from ..ir.types import BufferType

# the Python meaning of the IR's binary ops, for folding compile-time values
PYOPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
         "div": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
         "and": operator.and_, "or": operator.or_, "xor": operator.xor,
         "shl": operator.lshift, "shr": operator.rshift, "pow": operator.pow,
         "tdiv": lambda a, b: trunc_div(a, b)}


def trunc_div(a: Any, b: Any) -> Any:
    """``allo.div``: C division (toward zero) on integers, ``/`` otherwise.

    Example: ``trunc_div(-7, 2) == -3``; ``trunc_div(7.0, 2) == 3.5``.
    """
    ints = (int, np.integer)
    if isinstance(a, ints) and isinstance(b, ints):
        q = abs(int(a)) // abs(int(b))
        return q if (a < 0) == (b < 0) else -q
    return operator.truediv(a, b)


@dataclass(frozen=True)
class BufView:
    """Buffer ``name`` indexed by ``prefix`` (a leading part of its indices)."""

    name: str
    prefix: Tuple[Expr, ...]
    type: BufferType  # the whole buffer's type

    @property
    def shape(self) -> Tuple[int, ...]:
        return self.type.shape[len(self.prefix):]

    @property
    def is_stream(self) -> bool:
        return self.type.is_stream

    def view_type(self) -> Any:
        """The type of the viewed part (a BufferType, or the StreamType of one FIFO)."""
        if self.is_stream and not self.shape:
            return self.type.dtype
        return BufferType(self.type.dtype, self.shape)


@dataclass(frozen=True)
class TemplateInstance:
    """``kernel[args]`` (optionally named by a trailing string) seen inside a kernel."""

    fn: types.FunctionType
    args: Tuple[Any, ...]
    name: Optional[str]


def fmt_type(t: Any) -> str:
    """A type as error messages show it: a 0-d buffer reads as its element type."""
    if isinstance(t, BufferType) and not t.shape and not t.is_stream:
        return repr(t.dtype)
    return repr(t)
