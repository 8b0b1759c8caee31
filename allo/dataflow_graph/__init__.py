"""The hierarchical dataflow graph of a design and FIFO sizing.

* :mod:`.graph`: :func:`dataflow_graph` -- kernel instances and the buffers/streams between
  them, with access orders and rates from the loop nests;
* :mod:`.render`: DOT text and PNG (Graphviz ``dot``);
* :mod:`.depths`: :func:`fifo_depths` -- the depth each FIFO needs, with its reason.

Example::

    g = s.dataflow_graph(); print(g); g.to_png("top.png")
    for d in s.fifo_depths(): print(d)
"""

from .depths import FifoDepth, fifo_depths
from .graph import DataflowGraph, Edge, End, Node, dataflow_graph

__all__ = ["DataflowGraph", "Edge", "End", "Node", "dataflow_graph", "FifoDepth", "fifo_depths"]
