"""Operator patterns recognized across several FX nodes.

transformers' GPT-2 writes its GELU (``gelu_new``) as elementwise arithmetic:
``0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))``. Exported, that is eight aten
nodes; recognized, it is one call of the library's ``GeLU`` kernel, the operator the
library defines once (and one loop nest instead of eight).

Example: ``find_gelu_tanh(graph, normalize_fn)`` maps the final ``mul`` node to ``x``
and lists the seven inner nodes it absorbs.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional, Set, Tuple

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def find_gelu_tanh(graph: Any, normalize: Callable[[Any], Tuple[str, tuple, dict]]
                   ) -> Tuple[Dict[Any, Any], Set[Any]]:
    """``(root node -> x node, absorbed inner nodes)`` for every tanh-GELU in ``graph``."""
    roots: Dict[Any, Any] = {}
    absorbed: Set[Any] = set()
    for node in graph.nodes:
        match = _match(node, normalize)
        if match is not None:
            x, inner = match
            roots[node] = x
            absorbed |= inner
    return roots, absorbed


def _match(root: Any, normalize: Callable) -> Optional[Tuple[Any, Set[Any]]]:
    import torch.fx

    def op(n: Any) -> Tuple[Optional[str], tuple]:
        if not isinstance(n, torch.fx.Node) or n.op not in ("call_function", "call_method"):
            return None, ()
        name, args, kwargs = normalize(n)
        if kwargs.get("alpha", 1) != 1:
            return None, ()
        return name, tuple(args)

    def split_const(args: tuple, value: float) -> Optional[Any]:
        """The node operand of a binary op whose other operand is ``value``."""
        if len(args) != 2:
            return None
        a, b = args
        if isinstance(b, (int, float)) and abs(b - value) <= 1e-6 * max(1.0, abs(value)):
            return a if isinstance(a, torch.fx.Node) else None
        if isinstance(a, (int, float)) and abs(a - value) <= 1e-6 * max(1.0, abs(value)):
            return b if isinstance(b, torch.fx.Node) else None
        return None

    name, args = op(root)
    if name != "mul" or len(args) != 2:
        return None
    for half, rest in ((args[0], args[1]), (args[1], args[0])):
        if op(half)[0] != "mul" or op(rest)[0] != "add":
            continue
        x = split_const(op(half)[1], 0.5)
        t = split_const(op(rest)[1], 1.0)
        if x is None or t is None or op(t)[0] != "tanh":
            continue
        u = op(t)[1][0] if op(t)[1] else None
        v = split_const(op(u)[1], SQRT_2_OVER_PI) if op(u)[0] == "mul" else None
        if v is None or op(v)[0] != "add" or len(op(v)[1]) != 2:
            continue
        va, vb = op(v)[1]
        w = vb if va is x else va if vb is x else None
        if w is None or op(w)[0] != "mul":
            continue
        p = split_const(op(w)[1], 0.044715)
        if p is None or op(p)[0] != "pow" or op(p)[1][0] is not x or op(p)[1][1] not in (3, 3.0):
            continue
        inner = {half, rest, t, u, v, w, p}
        if all(len(n.users) == 1 for n in inner):
            return x, inner
    return None
