"""Analyses over a customized design, under the names public Allo's programs import.

Example::

    s = allo.customize(kernel)            # kernel(A, B, C): C[i] = A[i] + B[i]
    analyze_arg_load_store_in_func(s.top_func)   # ['in', 'in', 'out']
    analyze_arg_load_store(s.module)["kernel"]   # the same, for every function
    generate_input_output_buffers(s.module, "kernel", flatten=True)  # on-chip copies
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence

from .errors import AlloError
from .ir.effects import param_modes
from .ir.nodes import (Alloc, BufRef, Call, Const, For, Func, Load, Module, Op, Param, Return,
                       Store, Var, index_const, rename_buffers_in_stmt, walk_stmts)
from .ir.types import BufferType, index


def _as_module(obj: Any, what: str) -> Module:
    ir = getattr(obj, "ir", obj)  # s.module (printable view) or an IR Module
    if isinstance(ir, Module):
        return ir
    raise AlloError(f"{what} needs a design, got {type(obj).__name__}", where=what,
                    hint="pass s.module (or s.ir) of a Schedule")


def analyze_arg_load_store(module: Any) -> Dict[str, List[str]]:
    """Per function of ``module``, each argument's mode: "in", "out" or "both".

    An argument the function never touches is reported as "in" (it is an input that is
    not read). Example: ``analyze_arg_load_store(s.module)["top"] == ["in", "out"]``.
    """
    modes = param_modes(_as_module(module, "analyze_arg_load_store"))
    return {f: ["in" if m == "none" else m for m in ms] for f, ms in modes.items()}


def analyze_arg_load_store_in_func(func: Any, module: Any = None) -> List[str]:
    """The argument modes of one function (``s.top_func``); see :func:`analyze_arg_load_store`.

    Calls are followed when ``module`` is given; without it, a buffer passed to a callee
    counts as read and written. Example: ``analyze_arg_load_store_in_func(s.top_func)``.
    """
    if not isinstance(func, Func):
        raise AlloError(f"analyze_arg_load_store_in_func needs a function, got "
                        f"{type(func).__name__}", where="analyze_arg_load_store_in_func",
                        hint="pass s.top_func")
    ir = _as_module(module, "analyze_arg_load_store_in_func") if module is not None \
        else Module({func.name: func}, func.name)
    return analyze_arg_load_store(ir)[func.name]


# ------------------------------------------------------------------ I/O buffers
def _copy_func(name: str, src: BufferType, dst: BufferType, shape: Sequence[int]) -> Func:
    """``name(src, dst)``: copy every element of a ``shape`` array; a side of rank 1 with a
    different shape is addressed row-major (the flattened view)."""
    ivs = [Var(f"i{d}", index) for d in range(len(shape))]
    strides = [math.prod(shape[d + 1:]) for d in range(len(shape))]

    def indices(t: BufferType):
        if tuple(t.shape) == tuple(shape):
            return tuple(ivs)
        flat = None
        for v, stride in zip(ivs, strides):
            term = v if stride == 1 else Op("mul", (v, index_const(stride)), index)
            flat = term if flat is None else Op("add", (flat, term), index)
        return (flat,)

    body = [Store("dst", indices(dst), Load("src", indices(src), src.dtype))]
    for d in reversed(range(len(shape))):
        body = [For(f"i{d}", Const(0, index), index_const(shape[d]), 1, body, name=f"i{d}",
                    band=name)]
    return Func(name, [Param("src", src), Param("dst", dst)], [], body)


def generate_input_output_buffers(module: Any, top_func_name: str, flatten: bool = False,
                                  mappings: Optional[List[Any]] = None) -> None:
    """Give the top function on-chip copies of its array interface, in place.

    Each array argument ``A`` (index ``k``) is replaced in the body by a local ``buf<k>``,
    filled by a call of a new function ``load_buf<k>`` when the function reads ``A``; an
    argument it writes is copied back by ``store_res<k>``, and each returned array is
    copied into a fresh ``res<n>`` by ``store_res<n>`` (``n`` counts on after the
    arguments). ``flatten=True`` also makes every interface array one-dimensional
    (row-major), as AXI interfaces see it; the copies do the index arithmetic. Results are
    unchanged; with ``flatten`` the caller passes and receives flat arrays.

    Example: ``generate_input_output_buffers(s.module, s.top_func_name, flatten=True)``,
    then ``s.build()(A.reshape(-1), B.reshape(-1))``.
    """
    where = "generate_input_output_buffers"
    ir = _as_module(module, where)
    if top_func_name not in ir.funcs:
        raise AlloError(f"the design has no function {top_func_name!r}", where=where,
                        hint=f"functions: {', '.join(ir.funcs)}")
    if mappings is not None and any(m is not None for m in mappings):
        raise AlloError("mappings (per-argument tiling for AI Engine DMA) are not supported",
                        where=where, hint="pass mappings=None")
    f = ir.funcs[top_func_name]
    if any(isinstance(s, Return) for s in walk_stmts(f.body)
           if not (f.body and s is f.body[-1])):
        raise AlloError(f"'{f.name}' returns from inside a loop or branch", where=where,
                        hint="return once, at the end of the function")
    modes = param_modes(ir)[f.name]
    taken = set(ir.funcs) | set(f.buffers())

    def fresh(base: str) -> str:
        name, k = base, 0
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        return name

    def outer(t: BufferType) -> BufferType:
        return BufferType(t.dtype, (t.size,), None, t.memory) if flatten and t.rank > 1 else t

    def add_copy(base: str, src: BufferType, dst: BufferType, shape: Sequence[int]) -> str:
        name = fresh(base)
        ir.funcs[name] = _copy_func(name, src, dst, shape)
        return name

    prologue: List[Any] = []
    epilogue: List[Any] = []
    renames: Dict[str, str] = {}
    for k, p in enumerate(f.params):
        t = p.type
        if not isinstance(t, BufferType) or not t.shape or t.is_stream:
            continue
        local, ext = fresh(f"buf{k}"), outer(t)
        renames[p.name] = local
        prologue.append(Alloc(local, BufferType(t.dtype, t.shape, t.layout)))
        if modes[k] in ("in", "both"):
            load = add_copy(f"load_buf{k}", ext, t, t.shape)
            prologue.append(Call(load, [BufRef(p.name), BufRef(local)]))
        if modes[k] in ("out", "both"):
            store = add_copy(f"store_res{k}", t, ext, t.shape)
            epilogue.append(Call(store, [BufRef(local), BufRef(p.name)]))
        p.type = ext
    for s in walk_stmts(f.body):
        rename_buffers_in_stmt(s, renames)
    ret = f.body.pop() if f.body and isinstance(f.body[-1], Return) else None
    if ret is not None:
        values = []
        for r, (v, t) in enumerate(zip(ret.values, f.results)):
            if isinstance(v, BufRef) and not v.prefix and isinstance(t, BufferType) and t.shape:
                n = len(f.params) + r
                res, ext = fresh(f"res{n}"), outer(t)
                epilogue.append(Alloc(res, ext))
                store = add_copy(f"store_res{n}", t, ext, t.shape)
                epilogue.append(Call(store, [v, BufRef(res)]))
                v = BufRef(res)
                f.results[r] = ext
            values.append(v)
        ret.values = values
    f.body[:0] = prologue
    f.body += epilogue + ([ret] if ret is not None else [])
    from .ir.verifier import verify_ir

    verify_ir(ir)
