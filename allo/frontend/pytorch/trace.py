"""Tracing a PyTorch model into an FX graph with a concrete value for every node.

``torch.export`` (TorchDynamo, aten-level graph) is the default: it works on real models
such as transformers' GPT-2. ``torch.fx.symbolic_trace`` is used for plain modules when
the user names ``leaf_modules`` (or asks for ``tracer="fx"``). Either way every node is
then run once on the example inputs, which gives each node's shape and dtype and the
values of the nodes that do not depend on the inputs (shape arithmetic, masks, folded
weights).
"""

from __future__ import annotations

import linecache
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set

from ...errors import AlloError, SourceLoc


@dataclass
class Traced:
    """An FX graph, the model's parameters by placeholder name and every node's value."""

    graph: Any                                          # torch.fx.Graph
    modules: Dict[str, Any]                             # call_module targets (fx tracer)
    user_inputs: List[Any]                              # placeholder nodes fed by the user
    params: Dict[str, Any] = field(default_factory=dict)  # placeholder name -> tensor
    values: Dict[Any, Any] = field(default_factory=dict)  # node -> concrete value
    dynamic: Set[Any] = field(default_factory=set)      # nodes depending on user inputs
    weight_nodes: Set[Any] = field(default_factory=set)  # nodes depending on parameters
    tracer: str = "export"


def trace(model: Any, example_inputs: Sequence[Any], leaf_modules: Optional[Sequence[type]],
          tracer: str) -> Traced:
    """Trace ``model`` with ``tracer`` ("export", "fx" or "auto") and evaluate every node."""
    import torch

    inputs = tuple(example_inputs)
    if tracer == "auto":
        tracer = "fx" if leaf_modules else "export"
    if tracer == "export":
        try:
            ep = torch.export.export(model, inputs, strict=False)
        except Exception as exc:  # torch's own message says what failed
            raise AlloError(f"torch.export could not trace {type(model).__name__}: "
                            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                            where="from_pytorch",
                            hint="pass leaf_modules=[...] (or tracer='fx') to trace with "
                                 "torch.fx.symbolic_trace instead") from None
        gm = ep.graph_module
        spec_by_name = {s.arg.name: s for s in ep.graph_signature.input_specs}
        params: Dict[str, Any] = {}
        users: List[Any] = []
        for node in gm.graph.nodes:
            if node.op != "placeholder":
                continue
            spec = spec_by_name[node.name]
            kind = spec.kind.name
            if kind == "USER_INPUT":
                users.append(node)
            elif kind in ("PARAMETER", "BUFFER"):
                params[node.name] = ep.state_dict[spec.target] if spec.target in ep.state_dict \
                    else ep.constants[spec.target]
            else:
                params[node.name] = ep.constants[spec.target]
        traced = Traced(gm.graph, dict(gm.named_modules()), users, params, tracer="export")
        env_inputs = _flat_user_inputs(users, inputs)
    else:
        traced = _fx_trace(model, leaf_modules or ())
        env_inputs = dict(zip(traced.user_inputs, inputs))
        if len(traced.user_inputs) != len(inputs):
            raise AlloError(f"the model takes {len(traced.user_inputs)} inputs but "
                            f"{len(inputs)} example inputs were given", where="from_pytorch",
                            hint="pass one example tensor per forward() argument")
    _evaluate(traced, env_inputs)
    return traced


def _flat_user_inputs(users: List[Any], inputs: tuple) -> Dict[Any, Any]:
    if len(users) != len(inputs):
        raise AlloError(f"the exported program takes {len(users)} user inputs but "
                        f"{len(inputs)} example inputs were given", where="from_pytorch",
                        hint="pass the forward() arguments positionally, as tensors")
    return dict(zip(users, inputs))


def _fx_trace(model: Any, leaf_modules: Sequence[type]) -> Traced:
    import torch
    import torch.fx

    leaves = tuple(leaf_modules)

    class Tracer(torch.fx.Tracer):
        def __init__(self) -> None:
            super().__init__()
            self.record_stack_traces = True

        def is_leaf_module(self, m: Any, qualname: str) -> bool:
            return isinstance(m, leaves) or super().is_leaf_module(m, qualname)

    try:
        graph = Tracer().trace(model)
    except Exception as exc:
        raise AlloError(f"torch.fx.symbolic_trace could not trace {type(model).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                        where="from_pytorch",
                        hint="add the module that fails to leaf_modules, or use the default "
                             "torch.export tracer (leaf_modules=None)") from None
    users = [n for n in graph.nodes if n.op == "placeholder"]
    params: Dict[str, Any] = {}
    return Traced(graph, dict(model.named_modules()), users, params, tracer="fx")


def _evaluate(traced: Traced, inputs: Dict[Any, Any]) -> None:
    """Run every node on the example inputs; record values and which nodes depend on the
    user inputs (``dynamic``) or on parameters (``weight_nodes``)."""
    import torch

    values = traced.values
    root = _Root(traced.modules)
    with torch.no_grad():
        for node in traced.graph.nodes:
            if node.op == "placeholder":
                if node in inputs:
                    values[node] = inputs[node]
                    traced.dynamic.add(node)
                else:
                    values[node] = traced.params[node.name]
                    traced.weight_nodes.add(node)
                continue
            if node.op == "output":
                continue
            deps = node.all_input_nodes
            if any(d in traced.dynamic for d in deps):
                traced.dynamic.add(node)
            if any(d in traced.weight_nodes for d in deps):
                traced.weight_nodes.add(node)
            if node.op == "get_attr":
                values[node] = root.attr(node.target)
                traced.weight_nodes.add(node)
                continue
            args = _map(node.args, values)
            kwargs = _map(node.kwargs, values)
            if node.op == "call_function":
                values[node] = node.target(*args, **kwargs)
            elif node.op == "call_method":
                values[node] = getattr(args[0], node.target)(*args[1:], **kwargs)
            elif node.op == "call_module":
                values[node] = traced.modules[node.target](*args, **kwargs)


class _Root:
    def __init__(self, modules: Dict[str, Any]) -> None:
        self.modules = modules

    def attr(self, target: str) -> Any:
        owner, _, name = target.rpartition(".")
        return getattr(self.modules[owner], name)


def _map(obj: Any, values: Dict[Any, Any]) -> Any:
    import torch.fx

    return torch.fx.node.map_arg(obj, lambda n: values[n])


_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)\n\s*(.*)')


def source_location(node: Any) -> Optional[SourceLoc]:
    """The model source line that created ``node`` (the innermost frame outside torch)."""
    trace_text = node.meta.get("stack_trace") if hasattr(node, "meta") else None
    if not trace_text:
        return None
    import os

    import torch

    torch_dir = os.path.dirname(torch.__file__) + os.sep
    frames = _FRAME.findall(trace_text)
    for file, line, _fn, text in reversed(frames):
        if file.startswith(torch_dir) or file.startswith("<"):
            continue
        full = linecache.getline(file, int(line)).rstrip("\n") or text
        col = len(full) - len(full.lstrip())
        return SourceLoc(file, int(line), col, full, len(full.rstrip()))
    return None
