"""Normalizing FX nodes: aten ops (``torch.export``) and modules, functions and methods
(``torch.fx``) map to one canonical operator name with canonical arguments, the names
:mod:`.ops` has handlers for.

Example: an ``nn.Linear`` call_module node and an ``aten.linear`` node both normalize to
``("linear", (x, weight, bias), {})``.
"""

from __future__ import annotations

import operator
from typing import Any, Dict, Tuple

_ATEN_ALIASES = {
    "_softmax": "softmax", "_log_softmax": "log_softmax", "_unsafe_view": "view",
    "reshape": "view", "flatten": "view", "unsqueeze": "view", "squeeze": "view",
    "view": "view", "contiguous": "identity", "clone": "identity", "alias": "identity",
    "detach": "identity", "lift_fresh_copy": "identity", "dropout": "dropout",
    "native_dropout": "dropout", "feature_dropout": "dropout", "true_divide": "div",
    "_native_batch_norm_legit_no_training": "batch_norm_nt", "t": "t",
    "scaled_dot_product_attention": "sdpa", "_to_copy": "to", "type_as": "to",
}


def normalize(node: Any, modules: Dict[str, Any]) -> Tuple[str, tuple, dict]:
    """``(canonical op name, args, kwargs)`` of an FX node (args still hold fx nodes)."""
    import torch
    import torch.nn as tnn
    import torch.nn.functional as F

    if node.op == "call_function":
        target = node.target
        packet = getattr(target, "overloadpacket", None)
        if packet is not None:  # an aten op
            name = packet.__name__
            return _ATEN_ALIASES.get(name, name), tuple(node.args), dict(node.kwargs)
        fn_names = {
            operator.add: "add", operator.sub: "sub", operator.mul: "mul",
            operator.truediv: "div", operator.neg: "neg", operator.matmul: "matmul",
            operator.pow: "pow", operator.getitem: "getitem", torch.add: "add",
            torch.sub: "sub", torch.mul: "mul", torch.div: "div", torch.neg: "neg",
            torch.matmul: "matmul", torch.bmm: "bmm", torch.mm: "mm", torch.pow: "pow",
            torch.tanh: "tanh", torch.exp: "exp", torch.sqrt: "sqrt", torch.rsqrt: "rsqrt",
            torch.sigmoid: "sigmoid", torch.relu: "relu", F.relu: "relu", F.gelu: "gelu",
            torch.softmax: "softmax", F.softmax: "softmax", F.log_softmax: "log_softmax",
            torch.cat: "cat", torch.concat: "cat", torch.transpose: "transpose",
            torch.permute: "permute", torch.flatten: "view", torch.reshape: "view",
            torch.split: "split", torch.chunk: "chunk", torch.where: "where",
            F.layer_norm: "layer_norm", F.linear: "linear", F.dropout: "dropout",
            F.scaled_dot_product_attention: "sdpa", F.embedding: "embedding",
            F.max_pool2d: "max_pool2d", F.avg_pool2d: "avg_pool2d", F.conv2d: "conv2d",
            torch.unsqueeze: "view", torch.squeeze: "view", torch.masked_fill: "masked_fill",
        }
        try:
            name = fn_names.get(target)
        except TypeError:
            name = None
        if name is None:
            return _name_of(target), tuple(node.args), dict(node.kwargs)
        return name, tuple(node.args), dict(node.kwargs)
    if node.op == "call_method":
        methods = {"view": "view", "reshape": "view", "flatten": "view", "unsqueeze": "view",
                   "squeeze": "view", "contiguous": "identity", "clone": "identity",
                   "detach": "identity", "permute": "permute", "transpose": "transpose",
                   "t": "t", "split": "split", "chunk": "chunk", "masked_fill": "masked_fill",
                   "relu": "relu", "softmax": "softmax", "tanh": "tanh", "exp": "exp",
                   "sqrt": "sqrt", "expand": "expand", "add": "add", "sub": "sub",
                   "mul": "mul", "div": "div", "pow": "pow", "matmul": "matmul",
                   "float": "to", "to": "to", "type_as": "to", "sigmoid": "sigmoid",
                   "neg": "neg", "rsqrt": "rsqrt"}
        return methods.get(node.target, f"Tensor.{node.target}"), tuple(node.args), dict(node.kwargs)
    if node.op == "call_module":
        mod = modules[node.target]
        x = node.args[0] if node.args else None
        if isinstance(mod, tnn.Linear):
            return "linear", (x, mod.weight, mod.bias), {}
        if isinstance(mod, tnn.Conv2d):
            if mod.padding_mode != "zeros" or isinstance(mod.padding, str):
                return "Conv2d(padding_mode/str padding)", (), {}
            return "conv2d", (x, mod.weight, mod.bias, mod.stride, mod.padding, mod.dilation,
                              mod.groups), {}
        if isinstance(mod, tnn.ReLU):
            return "relu", (x,), {}
        if isinstance(mod, tnn.GELU):
            return "gelu", (x,), {"approximate": mod.approximate}
        if isinstance(mod, tnn.Tanh):
            return "tanh", (x,), {}
        if isinstance(mod, tnn.Sigmoid):
            return "sigmoid", (x,), {}
        if isinstance(mod, tnn.LayerNorm):
            return "layer_norm", (x, mod.normalized_shape, mod.weight, mod.bias, mod.eps), {}
        if isinstance(mod, tnn.Softmax):
            return "softmax", (x, mod.dim), {}
        if isinstance(mod, tnn.LogSoftmax):
            return "log_softmax", (x, mod.dim), {}
        if isinstance(mod, tnn.MaxPool2d):
            return "max_pool2d", (x, mod.kernel_size, mod.stride, mod.padding, mod.dilation,
                                  mod.ceil_mode), {}
        if isinstance(mod, tnn.AvgPool2d):
            return "avg_pool2d", (x, mod.kernel_size, mod.stride, mod.padding, mod.ceil_mode,
                                  mod.count_include_pad, mod.divisor_override), {}
        if isinstance(mod, (tnn.BatchNorm1d, tnn.BatchNorm2d)):
            return "batch_norm", (x, mod.weight, mod.bias, mod.running_mean, mod.running_var,
                                  mod.training, mod.momentum, mod.eps), {}
        if isinstance(mod, (tnn.Dropout, tnn.Identity)):
            return "identity", (x,), {}
        if isinstance(mod, tnn.Flatten):
            return "view", (x,), {}
        if isinstance(mod, tnn.Embedding):
            return "embedding", (mod.weight, x), {}
        return f"module {type(mod).__name__}", (), {}
    return node.op, (), {}


def _name_of(target: Any) -> str:
    return getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or str(target)
