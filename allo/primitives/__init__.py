"""Schedule primitives, one module per primitive family; importing this package registers
them all. Every module that defines primitives is listed here (no module registers its
siblings), and a test checks the list against the ``@primitive`` definitions:

* :mod:`.loops`: split, reorder, fuse, tile, unroll, pipeline, parallel
* :mod:`.loops_compute_at`: compute_at
* :mod:`.memory_buffer`: buffer_at; :mod:`.memory_reuse`: reuse_at;
  :mod:`.memory_layout`: partition, reshape (:mod:`.memory` gathers the four)
* :mod:`.dataflow`: unfold, dataflow; :mod:`.dataflow_relay`: relay;
  :mod:`.dataflow_stream`: to; :mod:`.dataflow_calls`: pingpong (and ``to`` between calls);
  :mod:`.dataflow_channels`: stream_channels (``to`` on a channel array passed to PEs)
* :mod:`.functions`: inline
(``compose``, the replay of sub-schedules, is the schedule layer's: :mod:`allo.compose`.)
"""

import importlib

from .base import PRIMITIVES, BufferHandle, Certificate, LoopHandle, apply_primitive  # noqa: F401

PRIMITIVE_MODULES = ("loops", "loops_compute_at", "memory_buffer", "memory_layout", "memory_reuse",
                     "dataflow", "dataflow_relay", "dataflow_stream", "dataflow_calls", "dataflow_channels",
                     "functions")

for _module in PRIMITIVE_MODULES:
    importlib.import_module(f"{__name__}.{_module}")
