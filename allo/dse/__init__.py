"""Design-space exploration: try many schedules of a kernel through the real primitives,
estimate each with :mod:`allo.qor`, verify the Pareto front, pick the best.

* :func:`explore` — ``explore(kernel, space, objective="latency", constraints={"DSP":
  1000}, verify=True, workers=None, scheduler=None)``; candidates run serially
  (``workers=0``), on an embedded Dask ``LocalCluster`` (default), or on an existing Dask
  cluster (``scheduler="tcp://host:8786"``).
* :class:`Space` — the declarative space (split/tile factors, loop to pipeline, unroll
  factors, partitions, ``buffer_at`` levels).

Example::

    from allo.dse import explore
    result = explore(gemm, {"reorder": [None, ["k", "j"]], "pipeline": ["j", "k"],
                            "partition": {"B": [None, ("cyclic", 2, 4)]}}, workers=0)
    print(result)
    result.plot("pareto.png")
"""

from .explore import Exploration, Row, explore, pareto_front
from .space import Candidate, Space, load_space

__all__ = ["explore", "Exploration", "Row", "Space", "Candidate", "load_space", "pareto_front"]
