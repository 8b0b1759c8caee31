"""From a traced FX graph to the source of one Allo top kernel.

Nodes that depend only on shapes (and, unless ``weights_as_args``, on parameters) are
folded into constants; every other node is lowered by its handler in :mod:`.ops`. An
operator without a handler, or a use a handler does not cover, is an AlloError that
names the node, its op and the model's source line, and lists the supported operators.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ...errors import AlloError
from ...ir.types import AlloType, bool_, float32, int64
from . import ops
from .emit import Emitter, TVal, torch_dtype_to_allo
from .patterns import find_gelu_tanh
from .quant import QuantSpec, quantized_linear
from .trace import Traced, source_location


class Converter:
    """Lowers one traced graph; ``em`` holds the generated kernel."""

    def __init__(self, traced: Traced, weights_as_args: bool,
                 quant: Optional[QuantSpec]) -> None:
        from ...library import nn

        self.traced = traced
        self.nn = nn
        self.em = Emitter()
        self.weights_as_args = weights_as_args
        self.quant = quant
        self.vals: Dict[Any, Any] = {}
        self.args: List[Tuple[str, TVal]] = []          # kernel parameters, in order
        self.weight_args: List[np.ndarray] = []          # values of weight parameters
        self.weight_names: List[str] = []
        self.quantized: Dict[str, Dict[str, Any]] = {}  # node name -> quantization record
        self.expected: List[Any] = []                    # torch's value of each result
        self._param_ids: Dict[int, TVal] = {}
        self.node: Any = None

    # ---------------------------------------------------------------- queries for handlers
    def value(self, node: Any) -> Any:
        return self.traced.values[node]

    def shape(self, node: Any) -> Tuple[int, ...]:
        return tuple(int(d) for d in self.traced.values[node].shape)

    def dtype(self, node: Any) -> AlloType:
        t = torch_dtype_to_allo(self.traced.values[node].dtype)
        if t is None:
            raise ops.Unsupported(f"tensors of dtype {self.traced.values[node].dtype}")
        return t

    def em_dtype_of_scalar(self, x: Any) -> AlloType:
        return int64 if isinstance(x, (bool, int, np.integer)) else float32

    def param(self, tensor: Any, base: str) -> TVal:
        """A parameter tensor: a constant table, or a kernel argument (weights_as_args)."""
        key = id(tensor)
        if key in self._param_ids:
            return self._param_ids[key]
        array = tensor.detach().cpu().numpy()
        dtype = torch_dtype_to_allo(tensor.dtype)
        if dtype is None:
            raise ops.Unsupported(f"a parameter of dtype {tensor.dtype}")
        if self.weights_as_args:
            name = self.em.fresh("w_" + base)
            t = TVal(name, tuple(array.shape), dtype)
            self.weight_names.append(name)
            self.weight_args.append(np.ascontiguousarray(array))
        else:
            t = self.em.constant(base, array, dtype)
        self._param_ids[key] = t
        return t

    def linear(self, node: Any, x: TVal, w: TVal, b: Any) -> TVal:
        """``x @ w.T + b`` for any rank of x, quantized when ``op_dtypes`` says so."""
        shape, dtype = self.shape(node), self.dtype(node)
        em = self.em
        N, K = w.shape
        x2 = em.reshape(x, (x.numel // K, K), node.name + "_in")
        if b is not None:
            b = ops._tensor(self, b, node.name + "_bias")
        scheme = self.quant.scheme_for(node, "linear") if self.quant else None
        if scheme is not None:
            r = quantized_linear(self, node, x2, w, b, scheme)
        else:
            bias = b if b is not None else em.constant(node.name + "_bias", np.zeros(N), dtype)
            r = em.call(self.nn.linear2d, "nn", [dtype, dtype, dtype, x2.shape[0], N, K],
                        [x2.name, w.name, bias.name], node.name, (x2.shape[0], N), dtype)
        return em.reshape(r, shape, node.name + "_out")

    # ---------------------------------------------------------------- the graph
    def run(self) -> List[TVal]:
        traced = self.traced
        gelus, absorbed = find_gelu_tanh(traced.graph, lambda n: ops.normalize(n, traced.modules))
        for node in traced.graph.nodes:
            self.node = node
            if node.op == "placeholder":
                self._placeholder(node)
            elif node.op == "output":
                return self._outputs(node)
            elif node in absorbed and not self._foldable(node):
                continue  # inside a recognized pattern, lowered with its root
            elif node in gelus and not self._foldable(node):
                self.vals[node] = ops.HANDLERS["gelu"](self, node, "gelu", self.vals[gelus[node]],
                                                       approximate="tanh")
            elif self._foldable(node):
                self.vals[node] = self._fold(node, traced.values.get(node))
            else:
                self.vals[node] = self._lower(node)
        raise AlloError("the traced graph has no output", where="from_pytorch")

    def _foldable(self, node: Any) -> bool:
        if node in self.traced.dynamic:
            return False
        return not (self.weights_as_args and node in self.traced.weight_nodes)

    def _placeholder(self, node: Any) -> None:
        value = self.traced.values[node]
        if node in self.traced.dynamic:
            dtype = torch_dtype_to_allo(value.dtype) if hasattr(value, "dtype") else None
            if dtype is None or dtype == bool_:
                raise self.error(node, f"input of type {getattr(value, 'dtype', type(value).__name__)}",
                                 "pass float32, float64, int32 or int64 tensors")
            t = TVal(self.em.fresh("in_" + node.name), tuple(value.shape), dtype)
            self.args.append((t.name, t))
            self.vals[node] = t
        elif self.weights_as_args:
            self.vals[node] = self.param(value, node.name)
        else:
            self.vals[node] = self._fold(node, value)

    def _fold(self, node: Any, value: Any) -> Any:
        import torch

        if isinstance(value, torch.Tensor):
            dtype = torch_dtype_to_allo(value.dtype)
            if dtype is None:
                raise self.error(node, f"a constant of dtype {value.dtype}", "use float32 or int64")
            if node.op == "placeholder" or node.op == "get_attr":
                return self.param(value, node.name)
            return self.em.constant(node.name, value.detach().cpu().numpy(), dtype)
        if isinstance(value, (list, tuple)):
            return type(value)(self._fold(node, v) for v in value)
        if isinstance(value, torch.Size):
            return tuple(int(d) for d in value)
        return value

    def _lower(self, node: Any) -> Any:
        name, args, kwargs = ops.normalize(node, self.traced.modules)
        handler = ops.HANDLERS.get(name)
        if handler is None:
            raise self.error(node, f"operator {name!r} is not supported",
                             "rewrite the model with supported operators, or keep this part in "
                             "PyTorch")
        args = self._map(args)
        kwargs = self._map(kwargs)
        try:
            return handler(self, node, name, *args, **kwargs)
        except ops.Unsupported as exc:
            raise self.error(node, f"{name}: {exc} is not supported",
                             "rewrite this use, or keep this part in PyTorch") from None

    def _map(self, obj: Any) -> Any:
        import torch.fx

        return torch.fx.node.map_aggregate(obj, lambda a: self.vals[a] if isinstance(a, torch.fx.Node) else a)

    def _outputs(self, node: Any) -> List[TVal]:
        import torch.fx

        results: List[TVal] = []

        def visit(a: Any) -> None:
            if isinstance(a, torch.fx.Node):
                t = self.vals[a]
                if isinstance(t, TVal):
                    if t.const is not None or any(t is p for _, p in self.args) \
                            or t.name in self.weight_names:
                        t = ops.elementwise(self, a, "{a}", t)
                    results.append(t)
                    self.expected.append(self.traced.values[a])
            elif isinstance(a, (list, tuple)):
                for x in a:
                    visit(x)
            elif isinstance(a, dict):
                for x in a.values():
                    visit(x)

        visit(node.args[0])
        if not results:
            raise AlloError("the model returns no tensor", where="from_pytorch")
        return results

    def error(self, node: Any, what: str, hint: str) -> AlloError:
        loc = source_location(node)
        target = node.target if node.op != "call_function" else \
            getattr(node.target, "__name__", str(node.target))
        message = (f"{what} (fx node '{node.name}', op {node.op} {target})")
        supported = ", ".join(ops.SUPPORTED)
        return AlloError(message, loc=loc, where=None if loc else "from_pytorch",
                         hint=f"{hint}. Supported operators: {supported}")
