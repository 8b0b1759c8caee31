"""Quality-of-results estimates of scheduled designs, without Vitis.

* :func:`estimate` (``s.report()``, ``mod.report()``, ``allo report FILE::design``): a
  Vitis-HLS-style table per function and loop, a summary at the target clock, and the
  reason each loop misses II=1 with the primitive that fixes it.
* :mod:`allo.qor.model`: the II/latency rules as functions (``pipelined_latency``,
  ``dataflow_latency``, ...), for FIFO sizing and other consumers; :func:`loop_timing`
  (in :mod:`allo.qor.estimate`) reads one loop's estimated timing.

Every rule and constant is written down, with its source, in ``docs/qor.md``.

Example::

    s = allo.customize(gemm); s.pipeline("j")
    r = s.report(clock_mhz=300, part="xcu280")
    print(r)
    print(r.formula({"N_i": "M", "N_j": "N", "N_k": "K"}))
"""

from .estimate import estimate, loop_timing
from .model import (LoopTiming, dataflow_latency, pipelined_latency,
                    recurrence_mii, resource_mii, sequential_loop_latency)
from .report import Report, Row
from .resources import Resources

__all__ = ["estimate", "Report", "Row", "Resources", "LoopTiming", "loop_timing",
           "pipelined_latency", "sequential_loop_latency", "dataflow_latency",
           "recurrence_mii", "resource_mii"]
