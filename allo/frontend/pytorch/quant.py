"""Quantized layers for ``from_pytorch(..., op_dtypes=...)``: W8A8 (int8 weights and
activations, int32 accumulation) and W4A8 (int4 weights, int8 activations).

Scales are symmetric and per tensor, fixed at import: the weight's from its largest
magnitude, the activation's from its largest magnitude on the example inputs
(calibration). The generated code quantizes the activation with
``q = min(max(floor(x / s_x + 0.5), -128), 127)`` in float32, runs the library's
``linear2d[int8, int8|int4, int32, ...]`` (an exact integer product) and dequantizes
with ``float32(acc) * (s_x * s_w) + bias``. Every step is float32 or integer arithmetic
that numpy reproduces bit for bit; the record of each quantized layer (scales, integer
weights) is on the built module's ``quantized`` attribute.

Example: ``from_pytorch(mlp, [x], op_dtypes={"linear": "int8"})`` or
``op_dtypes={"fc2": "int4"}`` (a module name, an fx node name or an op kind).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from ...errors import AlloError
from ...ir.types import Int, float32, int8, int32
from .emit import TVal, literal

SCHEMES = {"int8": 8, "w8a8": 8, "int4": 4, "w4a8": 4}


class QuantSpec:
    """``op_dtypes``: keys are op kinds (``"linear"``), module names (``"h.0.mlp.c_fc"``)
    or fx node names; values ``"int8"``/``"w8a8"``, ``"int4"``/``"w4a8"`` or
    ``"float32"`` (not quantized)."""

    def __init__(self, op_dtypes: Dict[str, Any]) -> None:
        self.table = {}
        for key, value in op_dtypes.items():
            name = getattr(value, "name", None) or str(value)
            name = {"int4": "int4", "i4": "int4"}.get(name, name).lower()
            if name in ("float32", "f32", "float"):
                self.table[key] = None
            elif name in SCHEMES:
                self.table[key] = SCHEMES[name]
            else:
                raise AlloError(f"op_dtypes[{key!r}] = {value!r} is not a quantization scheme",
                                where="from_pytorch",
                                hint="use 'int8' (W8A8), 'int4' (W4A8) or 'float32'")

    def scheme_for(self, node: Any, kind: str) -> Optional[int]:
        for key in (node.name, *module_paths(node), kind):
            if key in self.table:
                return self.table[key]
        return None


def module_paths(node: Any) -> list:
    """The qualified names of the modules that ``node`` was traced inside, innermost first."""
    if node.op == "call_module":
        return [node.target]
    stack = node.meta.get("nn_module_stack") or {}
    paths = []
    for value in reversed(list(stack.values())):
        path = value[0] if isinstance(value, tuple) else value
        path = str(path).replace("L['self'].", "").replace("L__self___", "")
        paths.append(path)
    return paths


def quantize_weight(w: np.ndarray, bits: int) -> tuple:
    """``(integer weights as int8 storage, float32 scale)``, symmetric per tensor."""
    qmax = 2 ** (bits - 1) - 1
    w = w.astype(np.float32)
    scale = np.float32(np.abs(w).max() / qmax) if np.abs(w).max() > 0 else np.float32(1.0)
    q = np.clip(np.floor(w / scale + np.float32(0.5)), -qmax - 1, qmax).astype(np.int8)
    return q, scale


def quantized_linear(ctx: Any, node: Any, x2: TVal, w: TVal, b: Optional[TVal], bits: int) -> TVal:
    """The generated code of one quantized linear layer (see the module docstring)."""
    em = ctx.em
    if w.const is None:
        raise AlloError(f"layer '{node.name}' cannot be quantized with weights_as_args=True",
                        where="from_pytorch", hint="quantize with weights as constants")
    if x2.dtype != float32:
        raise AlloError(f"layer '{node.name}' has {x2.dtype} inputs; quantization takes float32",
                        where="from_pytorch", hint="drop it from op_dtypes")
    M, K = x2.shape
    N = w.shape[0]
    example = _example_activation(ctx, node, M * K)
    amax = float(np.abs(example).max()) if example is not None else 0.0
    x_scale = np.float32(amax / 127.0) if amax > 0 else np.float32(1.0)
    w_q, w_scale = quantize_weight(w.const, bits)
    out_scale = np.float32(x_scale * w_scale)
    wtype = int8 if bits == 8 else Int(4)

    xq = em.declare(node.name + "_xq", (M, K), int8)
    em.loop(xq.name, (M, K), lambda i: [
        f"{xq.name}[{i[0]}, {i[1]}] = min(max(allo.floor({x2.name}[{i[0]}, {i[1]}] / "
        f"{literal(x_scale)} + 0.5), -128.0), 127.0)"])
    table = em.constant(node.name + "_wq", w_q, int8)
    if bits != 8:
        wq = em.declare(node.name + "_w4", (N, K), wtype, init=table.name)
    else:
        wq = table
    zero = em.constant(node.name + "_zero", np.zeros(N, np.int32), int32)
    acc = em.call(ctx.nn.linear2d, "nn", [int8, wtype, int32, M, N, K], [xq.name, wq.name, zero.name],
                  node.name + "_acc", (M, N), int32)
    y = em.declare(node.name + "_deq", (M, N), float32)

    scalar = em.fresh(f"s_{node.name}")  # names are unique per kernel, across scopes

    def body(i):
        bias = f" + {em.element(b, (M, N), i)}" if b is not None else ""
        return [f"{scalar}: float32 = {acc.name}[{i[0]}, {i[1]}]",
                f"{y.name}[{i[0]}, {i[1]}] = {scalar} * {literal(out_scale)}{bias}"]

    em.loop(y.name, (M, N), body)
    ctx.quantized[node.name] = {"bits": bits, "x_scale": x_scale, "w_scale": w_scale,
                                "out_scale": out_scale, "w_q": w_q,
                                "bias": None if b is None else b.const}
    return y


def _example_activation(ctx: Any, node: Any, numel: int) -> Optional[np.ndarray]:
    for inp in node.all_input_nodes:
        v = ctx.traced.values.get(inp)
        if inp in ctx.traced.dynamic and hasattr(v, "numel") and v.numel() == numel:
            return v.detach().cpu().numpy()
    return None
