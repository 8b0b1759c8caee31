"""Python's cyclic garbage collector, paused for phases that build millions of objects.

Lowering a dataflow region with thousands of processes, encoding their IR for a
fingerprint and executing them symbolically each allocate millions of small objects that
stay alive (IR nodes, DAG nodes) or die at once by reference counting (temporary lists).
The collector's passes over them find next to no cyclic garbage, yet cost over a second
at 64x64 PEs (a full collection walks every live object). Inside :func:`paused_gc` they do
not run; memory is still freed by reference counting, and the collector resumes (as it
was) when the outermost block ends.

Example::

    >>> import gc
    >>> with paused_gc():
    ...     gc.isenabled()
    False
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Within the block, no automatic cyclic collection runs (nested blocks are fine: the
    collector comes back on only if it was on when the outermost block began).

    Example: ``with paused_gc(): run_symbolically()``.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


__all__ = ["paused_gc"]
