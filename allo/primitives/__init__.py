"""Schedule primitives, one module per family; importing this package registers them all.

* :mod:`.loops`: split, reorder, fuse, tile, unroll, pipeline, parallel
* :mod:`.loops_compute_at`: compute_at
* :mod:`.memory`: buffer_at, reuse_at, partition, reshape
* :mod:`.dataflow`: to, relay, unfold, dataflow
* :mod:`.functions`: inline
(``compose``, the replay of sub-schedules, is the schedule layer's: :mod:`allo.compose`.)
"""

import importlib

from .base import PRIMITIVES, BufferHandle, Certificate, LoopHandle, apply_primitive  # noqa: F401

for _family in ("loops", "loops_compute_at", "memory", "dataflow", "functions"):
    importlib.import_module(f"{__name__}.{_family}")
