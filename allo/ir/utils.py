"""Handles to parts of a design, under the names public Allo's programs import.

``MockBuffer("func", "name")`` addresses buffer ``name`` of function ``func`` wherever a
schedule primitive takes a buffer (it is the same handle as ``s.name``).

Example::

    s.to(MockBuffer("systolic_tile", "A_fifo"), pe, axis=1, depth=5)
"""

from __future__ import annotations

from typing import Any, Optional

from ..primitives.base import BufferHandle


class MockBuffer(BufferHandle):
    """Buffer ``name`` of function ``func`` (``idx``: its argument position, if any)."""

    def __init__(self, func: str, name: str, idx: Optional[int] = None, op: Any = None):
        super().__init__(func, name)
        object.__setattr__(self, "idx", idx)

    def __repr__(self) -> str:
        return f"MockBuffer({self.func}:{self.name})"
