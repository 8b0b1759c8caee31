"""Partition (memory layout) types: the lattice, HLS pragmas, and inference over the
hierarchical dataflow graph.

Example::

    >>> from allo.typesys import Layout, Partition, layout_from_partition
    >>> L = layout_from_partition((8, 8), Partition.Cyclic, dim=1, factor=4)
    >>> L <= Layout.none((8, 8))
    True
"""

from .graph import Binding, DataflowGraph, Node, build_graph, components
from .infer import infer_layouts, requirements_from_module
from .lattice import DimLayout, Layout, is_block_size
from .partition import (Partition, hls_pragmas, layout_from_partition, normalize_dims,
                        partition_calls, pragma_text)

__all__ = [
    "DimLayout", "Layout", "is_block_size", "Partition", "layout_from_partition",
    "normalize_dims", "partition_calls", "pragma_text", "hls_pragmas", "Binding",
    "DataflowGraph", "Node", "build_graph", "components", "infer_layouts",
    "requirements_from_module",
]
