"""Concrete inputs for counterexamples, and their replay on the reference interpreter.

Input values live in the value representation of :mod:`allo.ir.types` (ints and fixed raw
bits as Python ints, floats as numpy scalars), keyed by DAG input node. They become numpy
arguments in the calling convention (docs/semantics.md) and run through
``allo.backends.interp.Interpreter`` for both programs.

Example::

    >>> args = make_args(func, dag, values, rng)          # doctest: +SKIP
    >>> outs = run_interpreter(module, args)              # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..backends.interp import Interpreter
from ..ir.nodes import Func, Module
from ..ir.state import state_vars
from ..ir.types import AlloType, BufferType, Fixed, Float
from ..semantics.values import float_bits, float_from_bits, make_float
from .dag import Dag
from .executor import STATE_PREFIX


def random_value(t: AlloType, rng: np.random.Generator, trial: int) -> Any:
    """A random value of ``t``: small values on early trials, the full range later."""
    if isinstance(t, Float):
        if trial % 4 == 3:  # raw patterns reach extremes, subnormals, inf and NaN
            # uint64 draws: int64 cannot represent the 2**64 bound of float64 patterns
            return float_from_bits(int(rng.integers(0, 1 << t.bits, dtype=np.uint64)), t.kind)
        scale = 10.0 ** int(rng.integers(-2, 4))
        return make_float(float(rng.standard_normal() * scale), t.kind)
    bits, signed = t.bits, t.signed
    if trial % 2 == 0 and bits > 4:
        lo, hi = (-8, 8) if signed else (0, 16)
        return int(rng.integers(lo, hi))
    lo = -(1 << (bits - 1)) if signed else 0
    return lo + random_bits(bits, rng)


def random_bits(bits: int, rng: np.random.Generator) -> int:
    """A uniform random integer in ``[0, 2**bits)`` for any width, drawn 62 bits at a time
    (numpy's int64 draws cannot reach ``2**63`` and above). Example:
    ``0 <= random_bits(200, np.random.default_rng(0)) < 2**200``."""
    v, filled = 0, 0
    while filled < bits:
        chunk = min(62, bits - filled)
        v |= int(rng.integers(0, 1 << chunk)) << filled
        filled += chunk
    return v


# Values where arithmetic identities most often fail: signed zeros, infinities, NaN, the
# extremes. Trial k of the special search gives every input its k-th special value.
_FLOAT_SPECIALS = (0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, "max", "tiny")
SPECIAL_TRIALS = len(_FLOAT_SPECIALS)


def special_value(t: AlloType, k: int) -> Any:
    """The ``k``-th special value of ``t`` (``0 <= k < SPECIAL_TRIALS``).

    Floats: +0, -0, +inf, -inf, NaN, 1, -1, the largest finite value, the smallest
    subnormal. Integers / fixed raw bits: 0, 0, max, min, 1, 1, -1 (or max), max, min.
    Example: ``special_value(float32, 1)`` is ``-0.0``.
    """
    if isinstance(t, Float):
        v = _FLOAT_SPECIALS[k]
        if v == "max":  # the pattern just below +inf
            return float_from_bits(float_bits(make_float(math.inf, t.kind), t.kind) - 1, t.kind)
        if v == "tiny":
            return float_from_bits(1, t.kind)
        return make_float(v, t.kind)
    lo = -(1 << (t.bits - 1)) if t.signed else 0
    hi = lo + (1 << t.bits) - 1
    return (0, 0, hi, lo, 1 if hi >= 1 else 0, 1 if hi >= 1 else 0,
            -1 if t.signed else hi, hi, lo)[k]


def _to_container(v: Any, t: AlloType) -> Any:
    if isinstance(t, Fixed):
        return float(v) / (1 << t.frac)
    if isinstance(t, Float):
        return v
    return int(v)


def make_args(func: Func, names: List[str], dag: Dag, values: Dict[int, Any]) -> List[Any]:
    """Numpy arguments for ``func`` from input-node values (missing cells are zero).

    Only the given values are visited (not every cell of every input): a counterexample
    of a large design usually sets a few cells."""
    params: Dict[Tuple[int, int], Tuple[int, AlloType]] = {}  # (name id, type id) -> param
    args: List[Any] = []
    for k, (p, name) in enumerate(zip(func.params, names)):
        t = p.type
        et = t.dtype if isinstance(t, BufferType) else t
        params[(dag.name_ids.get(name, -1), dag.tid(et))] = (k, et)
        if isinstance(t, BufferType):
            args.append(np.zeros(t.shape, dtype=et.numpy_dtype()))
        else:
            args.append(t.numpy_dtype().type(0))
    for nid, v in values.items():
        node = dag.node(nid)
        if node[0] != 1:  # not an input leaf
            continue
        hit = params.get((node[2], node[1]))
        if hit is None:
            continue
        k, et = hit
        if isinstance(args[k], np.ndarray) and node[3] >= 0:
            args[k].reshape(-1)[node[3]] = _to_container(v, et)
        elif not isinstance(args[k], np.ndarray) and node[3] == -1:
            args[k] = _to_container(v, et)
    return args


def make_state(module: Module, dag: Dag, values: Dict[int, Any]) -> Dict[str, np.ndarray]:
    """The design's state (``Stateful`` buffers, by key) before the call, as containers,
    from the values of its ``state:`` input nodes (missing cells keep the initial value).

    Example: ``make_state(mod, dag, {})`` is the initial state of ``mod``.
    """
    from ..runtime import initial_state

    out: Dict[str, np.ndarray] = {}
    for v in state_vars(module):
        arr = initial_state(v.alloc, v.type)
        flat = arr.reshape(-1)
        for c in range(v.type.size):
            nid = dag.find_input(STATE_PREFIX + v.key, c, v.type.dtype)
            if nid is not None and nid in values:
                flat[c] = values[nid]  # the container holds raw values, as the DAG does
        out[v.key] = arr
    return out


def copy_args(args: List[Any]) -> List[Any]:
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def interface_shapes(func: Any) -> Dict[str, Tuple[int, ...]]:
    """The original shapes of a top function's reshaped arguments (by name) and results
    (``return[k]``), recorded by ``s.reshape``; empty when nothing was reshaped.

    Example: after ``s.reshape(s.A, (4, 8))`` on ``A: int32[32]`` it is ``{"A": (32,)}``.
    """
    return {k: tuple(v) for k, v in func.attrs.get("interface_shapes", ())}


def run_interpreter(module: Module, args: List[Any], names: Optional[List[str]] = None,
                    state: Optional[Dict[str, np.ndarray]] = None,
                    memo: Optional[Dict[str, Dict]] = None
                    ) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """Live-outs (``return[i]``, buffer arguments, then the state after the call as
    ``state:func.name``) of one interpreter run from ``state`` (default: the initial
    state), or the error.

    Buffer arguments are keyed by ``names`` (by position) when given: two programs are
    compared parameter by parameter in order, whatever their parameters are called.
    ``memo`` maps callees that are deterministic functions of their arguments to memo
    tables: their calls are memoized on the argument bytes (modular proofs).
    Example: ``run_interpreter(mod_b, args, names=["A", "B"])[0]["A"]``."""
    func = module.top_func
    original = interface_shapes(func)
    mine = copy_args(args)
    for k, p in enumerate(func.params):  # a reshaped interface takes the same data
        if p.name in original and isinstance(mine[k], np.ndarray):
            mine[k] = mine[k].reshape(p.type.shape)
    interp = None
    try:
        with np.errstate(all="ignore"):
            interp = Interpreter(module, state=state, memo=memo)
            ret = interp(*mine)
    except Exception as exc:  # the program failed on this input (e.g. a deadlock)
        return None, f"{type(exc).__name__}: {exc}"
    if len(func.results) == 0:
        rets: List[Any] = []
    elif len(func.results) == 1:
        rets = [ret]
    else:
        rets = list(ret)
    outs: Dict[str, Any] = {f"return[{i}]": np.asarray(r) for i, r in enumerate(rets)}
    for key in outs:
        if key in original:
            outs[key] = outs[key].reshape(original[key])
    for k, (p, a) in enumerate(zip(func.params, mine)):
        if isinstance(a, np.ndarray):
            outs[names[k] if names else p.name] = a.reshape(original.get(p.name, a.shape))
    for v in state_vars(module):
        outs[STATE_PREFIX + v.key] = interp.state_buffer(v.key, v.alloc, v.type).copy()
    return outs, None


def same_value(x: Any, y: Any) -> bool:
    """Bit-exact equality, with every NaN equal to every NaN."""
    if isinstance(x, (float, np.floating)) or isinstance(y, (float, np.floating)) or \
            (hasattr(x, "dtype") and x.dtype.kind == "V"):
        fx, fy = float(x), float(y)
        if fx != fx and fy != fy:
            return True
        if fx == 0.0 and fy == 0.0:
            return np.signbit(fx) == np.signbit(fy)
        return fx == fy
    return x == y


def first_difference(outs_a: Dict[str, Any], outs_b: Dict[str, Any], order: List[str]):
    """The first (name, index, a, b) where two runs differ, in live-out order, or None."""
    for name in order:
        a, b = np.asarray(outs_a[name]), np.asarray(outs_b[name])
        if a.shape != b.shape:
            return name, (), a, b
        if a.dtype == b.dtype and a.dtype != object and a.tobytes() == b.tobytes():
            continue  # bit-identical: no element differs (a fast path for large outputs)
        for idx in np.ndindex(a.shape):
            if not same_value(a[idx], b[idx]):
                return name, idx, a[idx], b[idx]
    return None


__all__ = ["random_value", "special_value", "SPECIAL_TRIALS", "make_args", "make_state", "run_interpreter", "first_difference", "same_value",
           "copy_args"]
