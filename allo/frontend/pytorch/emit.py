"""Writing the generated top kernel: tensors as named buffers, loop nests for data
movement and elementwise arithmetic, and calls of library kernels.

The top kernel is Python source in this project's kernel language, parsed by the
ordinary frontend, so the imported model gets the same typing, errors, verification and
backends as a hand-written design.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ...ir.types import AlloType, Float, Int, bool_, float32, float64, int32, int64


@dataclass
class TVal:
    """A tensor of the model: a kernel buffer (``const is None``) or a constant array that
    the kernel reads as a table (or a Python scalar literal when 0-d)."""

    name: str
    shape: Tuple[int, ...]
    dtype: AlloType
    const: Optional[np.ndarray] = None

    @property
    def numel(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1


def type_name(t: AlloType) -> str:
    """How the generated source spells an element type (a name in its globals)."""
    if t == bool_:
        return "bool_"
    if isinstance(t, Float):
        return {16: "float16", 32: "float32", 64: "float64"}[t.bits]
    if isinstance(t, Int):
        return f"{'' if t.signed else 'u'}int{t.bits}"
    raise TypeError(t)


def literal(value: Any) -> str:
    """A Python literal for a scalar (floats keep every digit; inf as a large finite)."""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    v = float(value)
    if np.isnan(v):
        raise ValueError("NaN literal")
    if np.isinf(v):
        return "3.4e38" if v > 0 else "-3.4e38"
    return repr(v)


class Emitter:
    """Accumulates the top kernel's body, its constant tables and its library calls."""

    def __init__(self) -> None:
        self.lines: List[str] = []
        self.globals: Dict[str, Any] = {}
        self.calls: List[Tuple[Any, tuple]] = []   # (kernel, instance args) in call order
        self._names: Dict[str, int] = {}

    # ------------------------------------------------------------------ names
    def fresh(self, base: str) -> str:
        base = re.sub(r"\W", "_", base)
        n = self._names.get(base, 0)
        self._names[base] = n + 1
        return f"{base}" if n == 0 else f"{base}_{n}"

    def constant(self, base: str, array: np.ndarray, dtype: AlloType) -> TVal:
        """A constant tensor; 0-d constants become literals, others global tables."""
        array = np.ascontiguousarray(array)
        if array.ndim == 0:
            return TVal(literal(array.item()), (), dtype, array)
        name = self.fresh("c_" + base)
        self.globals[name] = array.astype(_numpy_dtype(dtype))
        return TVal(name, tuple(array.shape), dtype, array)

    # ------------------------------------------------------------------ statements
    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def declare(self, base: str, shape: Sequence[int], dtype: AlloType, init: str = "") -> TVal:
        name = self.fresh("v_" + base)
        dims = ", ".join(str(d) for d in shape) if shape else "1"
        self.emit(f"{name}: {type_name(dtype)}[{dims}]{' = ' + init if init else ''}")
        return TVal(name, tuple(shape) if shape else (1,), dtype)

    def loop(self, band: str, shape: Sequence[int], body: Callable[[List[str]], List[str]]) -> None:
        """``for i0, i1, ... in allo.grid(*shape, name=band): body(indices)``."""
        shape = tuple(shape) if shape else (1,)
        idx = [f"i{k}" for k in range(len(shape))]
        self.emit(f"for {', '.join(idx)} in allo.grid({', '.join(map(str, shape))}, "
                  f"name={band!r}):")
        for line in body(idx):
            self.emit("    " + line)

    def call(self, kernel: Any, module_name: str, inst: Sequence[Any], args: Sequence[str],
             base: str, shape: Sequence[int], dtype: AlloType) -> TVal:
        """``v = lib.kernel[inst...](args...)``; the call is recorded for composition."""
        self.calls.append((kernel, tuple(inst)))
        name = self.fresh("v_" + base)
        targs = ", ".join(type_name(a) if isinstance(a, AlloType) else str(a) for a in inst)
        self.emit(f"{name} = {module_name}.{kernel.__name__}[{targs}]({', '.join(args)})")
        return TVal(name, tuple(shape), dtype)

    # ------------------------------------------------------------------ element access
    def element(self, t: TVal, out_shape: Sequence[int], idx: Sequence[str]) -> str:
        """``t`` at the output position ``idx``, broadcasting as numpy does."""
        if t.const is not None and t.const.ndim == 0:
            return t.name
        shape = tuple(t.shape)
        out_shape = tuple(out_shape)
        offset = len(out_shape) - len(shape)
        subs = []
        for k, d in enumerate(shape):
            if offset + k < 0:
                subs.append("0")  # t has more leading unit dims than the output
            elif d == 1 and (offset + k >= len(out_shape) or out_shape[offset + k] != 1):
                subs.append("0")
            else:
                subs.append(idx[offset + k])
        return f"{t.name}[{', '.join(subs) if subs else '0'}]"

    def materialize(self, t: TVal, base: str) -> TVal:
        """A kernel buffer holding ``t`` (constants are already tables; scalars get one)."""
        if t.const is not None and t.const.ndim == 0:
            return self.constant(base, np.full((1,), t.const.item()), t.dtype)
        return t

    def reshape(self, t: TVal, shape: Sequence[int], base: str) -> TVal:
        """``t`` viewed with ``shape`` (row-major); a copy unless the shape is unchanged."""
        shape = tuple(int(d) for d in shape)
        if shape == tuple(t.shape):
            return t
        assert int(np.prod(shape)) == t.numel, (shape, t.shape)
        if t.const is not None:
            return self.constant(base, t.const.reshape(shape), t.dtype)
        out = self.declare(base, shape, t.dtype)
        src_strides = _strides(t.shape)
        out_strides = _strides(shape)

        def body(idx: List[str]) -> List[str]:
            flat = " + ".join(f"{i} * {s}" if s != 1 else i
                              for i, s in zip(idx, out_strides)) or "0"
            subs = []
            for k, (d, s) in enumerate(zip(t.shape, src_strides)):
                e = f"({flat})" if s == 1 else f"({flat}) // {s}"
                subs.append(f"({e}) % {d}" if k > 0 else e)
            return [f"{out.name}[{', '.join(idx)}] = {t.name}[{', '.join(subs)}]"]

        self.loop(out.name, shape, body)
        return out

    def source(self, name: str, params: List[Tuple[str, TVal]], results: List[TVal]) -> str:
        sig = ", ".join(f"{n}: {_ann(t)}" for n, t in params)
        if len(results) == 1:
            ret = _ann(results[0])
            tail = [f"    return {results[0].name}"]
        else:
            ret = "(" + ", ".join(_ann(r) for r in results) + ")"
            tail = [f"    return {', '.join(r.name for r in results)}"]
        return "\n".join([f"def {name}({sig}) -> {ret}:", *self.lines, *tail]) + "\n"


def _ann(t: TVal) -> str:
    return f"{type_name(t.dtype)}[{', '.join(str(d) for d in t.shape)}]"


def _strides(shape: Sequence[int]) -> List[int]:
    out, acc = [], 1
    for d in reversed(tuple(shape)):
        out.append(acc)
        acc *= int(d)
    return list(reversed(out))


def _numpy_dtype(t: AlloType) -> Any:
    if t == bool_:
        return np.bool_
    return t.numpy_dtype()


def torch_dtype_to_allo(dtype: Any) -> Optional[AlloType]:
    """The Allo element type of a torch dtype (None when unsupported)."""
    import torch

    return {torch.float32: float32, torch.float64: float64, torch.int64: int64,
            torch.int32: int32, torch.bool: bool_}.get(dtype)


def index_names(n: int) -> List[str]:
    return [f"i{k}" for k in range(n)]


def all_positions(shape: Sequence[int]):
    return itertools.product(*(range(d) for d in shape))
