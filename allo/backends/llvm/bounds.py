"""Run-time index checks: where one fails, it reports its site.

Which indices need no check at all is decided by the index analysis
(:class:`allo.ir.index.IndexRanges`: intervals of the loop variables, so triangular and
tiled nests are covered); every other index is checked at run time, and a failed check
names the :class:`BoundsSite`.

Example::

    >>> BoundsSite("gemm", "A", 0, 32)
    BoundsSite(func='gemm', buffer='A', dim=0, extent=32, loc=None)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BoundsSite:
    """One run-time index check, reported (buffer, 0-based dim, extent) when it fails."""

    func: str
    buffer: str
    dim: int
    extent: int
    loc: Any = None


__all__ = ["BoundsSite"]
