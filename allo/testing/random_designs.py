"""Random hierarchical designs and layouts, for property tests and benchmarks.

The generated IR only has what the dataflow graph looks at (buffers, calls with whole
buffers or sub-views, returned buffers); kernels have no computation.

Example::

    >>> import random
    >>> m = random_module(random.Random(0), n_funcs=5)
    >>> sorted(m.funcs)[:2], m.top
    (['f0', 'f1'], 'f0')
"""

from __future__ import annotations

import random
from typing import Dict, List, Sequence, Tuple

from ..ir.nodes import Alloc, BufRef, Call, Const, Func, Module, Param, Return, Stmt
from ..ir.types import index, int32
from ..typesys.graph import DataflowGraph, Node
from ..typesys.lattice import KINDS, DimLayout, Layout

EXTENTS = (1, 2, 3, 4, 6, 8, 12, 16)


def random_dim(rng: random.Random, extent: int) -> DimLayout:
    """A random per-dimension layout of ``extent`` (any factor 1..extent)."""
    kind = rng.choice(KINDS)
    return DimLayout(kind, rng.randint(1, extent), extent)


def random_layout(rng: random.Random, shape: Sequence[int]) -> Layout:
    """A random layout of ``shape``. Example: ``random_layout(random.Random(1), (4, 8))``."""
    return Layout(tuple(random_dim(rng, n) for n in shape))


def _random_shape(rng: random.Random, extents: Sequence[int]) -> Tuple[int, ...]:
    return tuple(rng.choice(extents) for _ in range(rng.randint(1, 3)))


def random_module(rng: random.Random, n_funcs: int, calls_per_func: int = 2,
                  extents: Sequence[int] = EXTENTS, window: int = 8) -> Module:
    """A random call DAG ``f0`` (top) .. ``f{n-1}``; ``fi`` calls functions ``fj``, ``j > i``
    (within ``window``, so callees are shared between callers), passing whole buffers or
    sub-views, and binding returned buffers. About 4-6 buffers per function.
    """
    shapes: Dict[str, List[Tuple[str, Tuple[int, ...]]]] = {}
    returns: Dict[str, Tuple[str, Tuple[int, ...]]] = {}
    funcs: Dict[str, Func] = {}
    for i in reversed(range(n_funcs)):  # callees first
        name = f"f{i}"
        params = [Param(f"p{k}", int32[_random_shape(rng, extents)])
                  for k in range(rng.randint(1, 3))]
        body: List[Stmt] = []
        avail = [(p.name, p.type.shape) for p in params]
        results = []
        if rng.random() < 0.3:
            shape = _random_shape(rng, extents)
            body.append(Alloc("out", int32[shape]))
            avail.append(("out", shape))
            returns[name] = ("out", shape)
            results.append(int32[shape])
        callees = [f"f{j}" for j in range(i + 1, min(n_funcs, i + 1 + window))]
        for c, callee in enumerate(rng.sample(callees, min(calls_per_func, len(callees)))):
            args = []
            for k, (_, pshape) in enumerate(shapes[callee]):
                args.append(_pick_arg(rng, body, avail, pshape, f"t{c}_{k}"))
            res = []
            if callee in returns:
                rname = f"r{c}"
                body.append(Alloc(rname, int32[returns[callee][1]]))
                avail.append((rname, returns[callee][1]))
                res.append(rname)
            body.append(Call(callee, args, res))
        if name in returns:
            body.append(Return([BufRef("out")]))
        shapes[name] = [(p.name, p.type.shape) for p in params]
        funcs[name] = Func(name, params, results, body)
    return Module(dict(sorted(funcs.items(), key=lambda kv: int(kv[0][1:]))), "f0")


def _pick_arg(rng: random.Random, body: List[Stmt], avail: List[Tuple[str, Tuple[int, ...]]],
              pshape: Tuple[int, ...], fresh: str) -> BufRef:
    whole = [n for n, s in avail if s == pshape]
    views = [n for n, s in avail if len(s) == len(pshape) + 1 and s[1:] == pshape]
    choice = rng.random()
    if whole and choice < 0.5:
        return BufRef(rng.choice(whole))
    if views and choice < 0.8:
        return BufRef(rng.choice(views), (Const(0, index),))
    if rng.random() < 0.5:
        body.append(Alloc(fresh, int32[pshape]))
        avail.append((fresh, pshape))
        return BufRef(fresh)
    shape = (rng.choice(EXTENTS),) + pshape
    body.append(Alloc(fresh, int32[shape]))
    avail.append((fresh, shape))
    return BufRef(fresh, (Const(0, index),))


def random_requirements(rng: random.Random, graph: DataflowGraph, density: float = 0.2
                        ) -> Dict[Node, Tuple[Layout, bool]]:
    """Non-fixed random requirements on about ``density`` of the nodes."""
    return {node: (random_layout(rng, shape), False)
            for node, shape in graph.shapes.items() if rng.random() < density}


__all__ = ["EXTENTS", "random_dim", "random_layout", "random_module", "random_requirements"]
