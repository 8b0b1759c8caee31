"""Memory primitives: ``buffer_at``, ``reuse_at``, ``partition``, ``reshape``.

Each lives in its own module, with its side conditions next to its rewrite (the package
``allo.primitives`` imports, and so registers, every one):

* :mod:`.memory_buffer` — ``buffer_at`` (rule ``memory.buffer_at``): local buffer of the
  box one loop iteration touches, init and write-back nests.
* :mod:`.memory_reuse` — ``reuse_at`` (rule ``memory.reuse_at``): sliding window / line
  buffer, shifted each iteration.
* :mod:`.memory_layout` — ``partition`` (rule ``annotation.partition``: a layout type on
  the buffer, the program unchanged) and ``reshape`` (rule ``memory.reshape``: row-major
  linearize / delinearize of every access).
* :mod:`.memory_common` — accesses, boxes, z3 encodings of indices, copy nests.

Example::

    s = allo.customize(gemm)
    s.reorder("k", "j")
    C_buf = s.buffer_at(s.C, axis="i")    # BufferHandle("gemm", "C_buf")
    s.partition(C_buf, dim=1)
"""

from .memory_buffer import buffer_at  # noqa: F401
from .memory_layout import partition, reshape  # noqa: F401
from .memory_reuse import reuse_at  # noqa: F401
