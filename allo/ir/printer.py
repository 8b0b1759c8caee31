"""The MLIR text printer: ``to_mlir(module)`` renders the IR in upstream MLIR dialects.

The text uses the ``func``, ``affine``, ``memref``, ``arith``, ``math``, ``scf`` and
``linalg`` (only ``linalg.fill`` for buffer initialisation) dialects and is accepted by the
upstream MLIR parser and verifier. Loops carry Allo's attributes as in the seed slides::

    affine.for %i = 0 to 32 {
      ...
    } {loop_name = "i", op_name = "S_i_j_k_0"}

Encoding choices (so that nothing the IR knows is lost):

* integers and fixed point are signless ``iN``; a type MLIR cannot recover from ``iN``
  (unsigned ints, fixed point, signed ``int1``) is recorded as ``allo.type = "<repr>"`` on
  the function argument / result / ``memref.alloc``. Signedness of operations shows in
  the op chosen (``divsi``/``divui``, ``cmpi slt``/``ult``, ``extsi``/``extui`` ...).
* ``op_name`` (the band) is printed on a loop whose band differs from its parent loop's.
* streams (FIFOs) are memrefs of the element type marked ``allo.stream = <depth>``;
  put/get are ``func.call @allo_stream_put_<t>`` / ``@allo_stream_get_<t>`` to private
  declarations (``<t>`` spells the memref type), indices passed as ``index`` operands.
* a sub-view argument ``A[i]`` is a ``memref.subview`` with a dynamic offset; the callee's
  parameter then has the matching ``strided<[...], offset: ?>`` layout (callers passing a
  whole buffer ``memref.cast`` to it). Call results are copied into the caller's result
  buffers (``memref.copy``; scalar results are stored into their 0-d buffer).
* ``Alloc`` is ``memref.alloc`` + ``linalg.fill`` (zero or the init value), or a copy from
  a ``memref.global`` constant table for numpy initialisers.
* affine index expressions (sums of constant * loop variable + constant, ``floordiv``/
  ``mod`` by positive constants) use ``affine.load/store/for/if``; anything else is
  computed with ``arith`` and uses ``memref.load/store``, ``scf.for``, ``scf.if``.

Edge cases where the printed MLIR differs from ``docs/semantics.md`` (MLIR is an exchange
format here; the interpreter and the LLVM/HLS backends are bit-exact):

* division/remainder by zero and signed ``INT_MIN / -1`` (MLIR: undefined behaviour;
  Allo: ``0`` resp. ``a``); shifts and bit indices ``>=`` the width (MLIR: poison);
* ``float -> int`` casts: ``fptosi``/``fptoui`` are poison out of range and on NaN (Allo
  saturates, NaN gives 0); ``float -> fixed`` is ``floor(x * 2**F)`` via an ``i64`` (or
  wider) ``fptosi``, so NaN/inf and values beyond ``i64`` differ;
* ``fixed -> float`` goes through ``f64`` and may round twice for widths above 53 bits;
* math intrinsics are ``math.*`` in the value's own type (Allo evaluates them in double
  and rounds once).

Example::

    >>> from allo.ir.nodes import *
    >>> from allo.ir.types import float32, index
    >>> i = Var("i", index)
    >>> body = [Store("A", (i,), Const(1.0, float32))]
    >>> f = Func("f", [Param("A", float32[4])], [], [For("i", Const(0, index), Const(4, index), 1, body, name="i", band="S_i_0")])
    >>> "affine.store" in to_mlir(Module({"f": f}, "f"))
    True
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Set, Tuple

import numpy as np

from .index import IndexForm
from .mlir_affine import affine_bound, affine_condition, affine_map_form
from .mlir_ops import ValueEmitter, attr_dict, float_literal, mlir_string
from .nodes import (Alloc, BufRef, Call, Expr, For, Func, If, Load, Module, Return, Stmt, Store,
                    StreamGet, StreamPut, Var, While, walk_stmts)
from .types import AlloType, BufferType, Int, StreamType, index


def to_mlir(module: Module) -> str:
    """Render ``module`` as MLIR text that upstream MLIR parses and verifies.

    Example: ``print(to_mlir(s.module_ir))`` shows ``func.func @gemm(%A: memref<...>) ...``.
    """
    return _ModulePrinter(module).render()


# ------------------------------------------------------------------ buffer descriptors
class _Buf:
    """What the printer knows about one buffer value: shape, element type, MLIR type."""

    def __init__(self, ssa: str, shape: Tuple[int, ...], elem: AlloType, strided: bool,
                 depth: Optional[int]):
        self.ssa, self.shape, self.elem, self.strided, self.depth = ssa, shape, elem, strided, depth

    @property
    def mlir(self) -> str:
        return memref_type(self.shape, self.elem, self.strided)


def memref_type(shape: Tuple[int, ...], elem: AlloType, strided: bool = False) -> str:
    """``memref<4x8xf32>``, or with ``strided=True`` the dynamic-offset row-major layout
    that a prefix sub-view has: ``memref<4x8xf32, strided<[8, 1], offset: ?>>``."""
    dims = "".join(f"{d}x" for d in shape)
    if not strided:
        return f"memref<{dims}{elem.mlir()}>"
    strides, acc = [], 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= d
    inner = ", ".join(str(s) for s in reversed(strides))
    return f"memref<{dims}{elem.mlir()}, strided<[{inner}], offset: ?>>"


def _buffer_parts(t: Any) -> Tuple[Tuple[int, ...], AlloType, Optional[int]]:
    """(shape, element type, stream depth or None) of a buffer/stream type."""
    if isinstance(t, StreamType):
        return (), t.dtype, t.depth
    if isinstance(t, BufferType):
        if isinstance(t.dtype, StreamType):
            return t.shape, t.dtype.dtype, t.dtype.depth
        return t.shape, t.dtype, None
    raise TypeError(f"not a buffer type: {t!r}")


def type_attr(t: AlloType) -> Optional[str]:
    """``allo.type`` value for types that ``iN`` alone does not identify, else None."""
    if isinstance(t, Int) and (not t.is_signed) != (t.bits == 1):
        return repr(t)
    if t.is_fixed:
        return repr(t)
    return None


# ------------------------------------------------------------------ module
class _ModulePrinter:
    def __init__(self, module: Module):
        self.module = module
        self.stream_decls: Dict[str, str] = {}  # symbol -> declaration line
        self.globals: List[str] = []
        self.global_names: Set[str] = set()
        # (callee, param index) pairs that receive a prefix sub-view somewhere
        self.strided: Set[Tuple[str, int]] = set()
        for f in module.funcs.values():
            for s in walk_stmts(f.body):
                if isinstance(s, Call) and s.callee in module.funcs:
                    for k, a in enumerate(s.args):
                        if isinstance(a, BufRef) and a.prefix:
                            self.strided.add((s.callee, k))

    def param_buf(self, func: Func, k: int, ssa: str) -> _Buf:
        shape, elem, depth = _buffer_parts(func.params[k].type)
        return _Buf(ssa, shape, elem, (func.name, k) in self.strided, depth)

    def stream_fn(self, kind: str, buf: _Buf) -> str:
        """Symbol of the private put/get declaration for streams of ``buf``'s type."""
        spelled = "".join(f"{d}x" for d in buf.shape) + buf.elem.mlir() + ("_view" if buf.strided else "")
        sym = f"allo_stream_{kind}_{spelled}"
        if sym not in self.stream_decls:
            idx = ["index"] * len(buf.shape)
            if kind == "put":
                sig = f"({', '.join([buf.mlir, *idx, buf.elem.mlir()])})"
            else:
                sig = f"({', '.join([buf.mlir, *idx])}) -> {buf.elem.mlir()}"
            self.stream_decls[sym] = f"  func.func private @{sym}{sig}"
        return sym

    def constant_global(self, name: str, shape: Tuple[int, ...], elem: AlloType, data: Any) -> str:
        sym, n = f"{name}_init", 0
        while sym in self.global_names:
            n += 1
            sym = f"{name}_init_{n}"
        self.global_names.add(sym)
        arr = np.asarray(data).reshape(shape) if shape else np.asarray(data).reshape(())
        dense = _dense_literal(arr, elem)
        self.globals.append(f'  memref.global "private" constant @{sym} : '
                            f"{memref_type(shape, elem)} = dense<{dense}>")
        return sym

    def state_global(self, func: str, name: str, shape: Tuple[int, ...], elem: AlloType,
                     init: Any) -> str:
        """A mutable ``memref.global`` holding the state ``func.name``, with its initial
        contents (``init``: None, a Const or a table, as in a stateful ``Alloc``)."""
        sym, n = f"{func}_{name}_state", 0
        while sym in self.global_names:
            n += 1
            sym = f"{func}_{name}_state_{n}"
        self.global_names.add(sym)
        if init is None or not isinstance(init, np.ndarray):  # one value: a splat
            v = 0 if init is None else init.value
            if elem.is_fixed and init is not None:  # a Const of fixed point holds raw bits
                v = v / 2 ** elem.frac
            dense = _scalar_literal(v, elem)
        else:
            dense = _dense_literal(np.asarray(init).reshape(shape), elem)
        self.globals.append(f'  memref.global "private" @{sym} : '
                            f"{memref_type(shape, elem)} = dense<{dense}>")
        return sym

    def render(self) -> str:
        bodies = [_FuncPrinter(self, f).render() for f in self.module.funcs.values()]
        head = f"module attributes {{allo.top = {mlir_string(self.module.top)}}} {{"
        return "\n".join([head, *self.globals, *self.stream_decls.values(), *bodies, "}"]) + "\n"


def _dense_literal(arr: np.ndarray, elem: AlloType) -> str:
    if arr.ndim == 0:
        return _scalar_literal(arr.item(), elem)
    return "[" + ", ".join(_dense_literal(a, elem) for a in arr) + "]"


def _scalar_literal(v: Any, elem: AlloType) -> str:
    if elem.is_float:
        return float_literal(float(v), elem)
    if elem.is_fixed:  # tables of fixed point hold real values (calling convention)
        v = math.floor(float(v) * 2 ** elem.frac)
    return str(Int(elem.bits).wrap(int(v)))


# ------------------------------------------------------------------ functions
class _FuncPrinter(ValueEmitter):
    def __init__(self, mp: _ModulePrinter, func: Func):
        super().__init__()
        self.mp, self.func = mp, func
        self.bufs: Dict[str, _Buf] = {}
        self.vars: Dict[str, str] = {}  # IR variable -> SSA name
        self.affine_dims: Set[str] = set()  # IR variables valid as affine dims
        self.band_stack: List[str] = []

    # -- header --
    def render(self) -> str:
        f = self.func
        params = []
        for k, p in enumerate(f.params):
            ssa = self.fresh(p.name)
            attrs: Dict[str, Any] = {}
            if isinstance(p.type, AlloType):
                self.vars[p.name] = ssa
                if p.type.is_index:
                    self.affine_dims.add(p.name)
                ty, ta = p.type.mlir(), type_attr(p.type)
            else:
                buf = self.mp.param_buf(f, k, ssa)
                self.bufs[p.name] = buf
                ty, ta = buf.mlir, type_attr(buf.elem)
                if buf.depth is not None:
                    attrs["allo.stream"] = buf.depth
                if getattr(p.type, "layout", None) is not None:
                    attrs["allo.partition"] = str(p.type.layout)
            if ta:
                attrs["allo.type"] = ta
            params.append(f"{ssa}: {ty}" + (f" {attr_dict(attrs)}" if attrs else ""))
        results = []
        for r in f.results:
            ty = r.mlir() if isinstance(r, AlloType) else memref_type(*_buffer_parts(r)[:2])
            ta = type_attr(r if isinstance(r, AlloType) else _buffer_parts(r)[1])
            results.append(ty + (f" {{allo.type = {mlir_string(ta)}}}" if ta else ""))
        sig = f"  func.func @{f.name}({', '.join(params)})"
        if len(results) == 1 and "{" not in results[0]:
            sig += f" -> {results[0]}"
        elif results:
            sig += f" -> ({', '.join(results)})"
        fattrs = attr_dict(f.attrs)
        if fattrs:
            sig += f" attributes {fattrs}"
        self.indent = 1
        self.block(f.body)
        if not (f.body and isinstance(f.body[-1], Return)):
            self.indent += 1
            self.emit("func.return")
        return "\n".join([sig + " {", *self.lines, "  }"])

    def block(self, body: List[Stmt]) -> None:
        self.indent += 1
        for s in body:
            self.stmt(s)
        self.indent -= 1

    # -- statements --
    def stmt(self, s: Stmt) -> None:
        handler = getattr(self, "_" + type(s).__name__, None)
        if handler is None:
            raise TypeError(f"printer: unsupported statement {type(s).__name__}")
        handler(s)

    def _For(self, s: For) -> None:
        ssa = self.fresh(s.var)
        attrs: Dict[str, Any] = {"loop_name": s.name or s.var}
        parent_band = self.band_stack[-1] if self.band_stack else ""
        if s.band != parent_band:
            attrs["op_name"] = s.band
        attrs.update({k: v for k, v in sorted(s.attrs.items())})
        lb = affine_bound(s.lo, "max", self.affine_dims, self.vars)
        ub = affine_bound(s.hi, "min", self.affine_dims, self.vars)
        if lb is not None and ub is not None and isinstance(s.step, int) and s.step > 0:
            step = f" step {s.step}" if s.step != 1 else ""
            self.emit(f"affine.for {ssa} = {lb} to {ub}{step} {{")
            self.affine_dims.add(s.var)
        else:
            lo, hi = self.index_value(s.lo), self.index_value(s.hi)
            st = self.const(s.step, index)
            self.emit(f"scf.for {ssa} = {lo} to {hi} step {st} {{")
        self.vars[s.var] = ssa
        self.band_stack.append(s.band)
        self.block(s.body)
        self.band_stack.pop()
        self.vars.pop(s.var, None)
        self.affine_dims.discard(s.var)
        self.emit(f"}} {attr_dict(attrs)}")

    def _If(self, s: If) -> None:
        cond = affine_condition(s.cond, self.affine_dims, self.vars)
        if cond is not None:
            self.emit(f"affine.if {cond} {{")
        else:
            self.emit(f"scf.if {self.value(s.cond)} {{")
        self.block(s.then_body)
        if s.else_body:
            self.emit("} else {")
            self.block(s.else_body)
        self.emit("}")

    def _While(self, s: While) -> None:
        self.emit("scf.while : () -> () {")
        self.indent += 1
        c = self.value(s.cond)
        self.emit(f"scf.condition({c})")
        self.indent -= 1
        self.emit("} do {")
        self.block(s.body)
        self.indent += 1
        self.emit("scf.yield")
        self.indent -= 1
        self.emit("}")

    def _Store(self, s: Store) -> None:
        v = self.value(s.value)
        buf = self.bufs[s.buffer]
        kind, idx = self.access(s.indices)
        self.emit(f"{kind}.store {v}, {buf.ssa}[{idx}] : {buf.mlir}")

    def _Alloc(self, s: Alloc) -> None:
        shape, elem, depth = _buffer_parts(s.type)
        ssa = self.fresh(s.name)
        buf = _Buf(ssa, shape, elem, False, depth)
        attrs: Dict[str, Any] = {"name": s.name}
        if type_attr(elem):
            attrs["allo.type"] = type_attr(elem)
        if depth is not None:
            attrs["allo.stream"] = depth
        if s.type.layout is not None:  # the partition type (memory layout) of the buffer
            attrs["allo.partition"] = str(s.type.layout)
        self.bufs[s.name] = buf
        if s.stateful:  # state lives in a mutable global, initialised once (C `static`)
            sym = self.mp.state_global(self.func.name, s.name, shape, elem, s.init)
            attrs["allo.stateful"] = True  # `name` is get_global's own (the symbol)
            attrs["allo.name"] = attrs.pop("name")
            self.emit(f"{ssa} = memref.get_global @{sym} : {buf.mlir} {attr_dict(attrs)}")
            return
        self.emit(f"{ssa} = memref.alloc() {attr_dict(attrs)} : {buf.mlir}")
        if depth is not None:
            return  # FIFOs start empty
        if s.init is None or isinstance(s.init, Expr):
            v = self.const(0, elem) if s.init is None else self.value(s.init)
            self.emit(f"linalg.fill ins({v} : {elem.mlir()}) outs({ssa} : {buf.mlir})")
        else:
            sym = self.mp.constant_global(s.name, shape, elem, s.init)
            g = self.fresh(None)
            self.emit(f"{g} = memref.get_global @{sym} : {buf.mlir}")
            self.emit(f"memref.copy {g}, {ssa} : {buf.mlir} to {buf.mlir}")

    def _StreamPut(self, s: StreamPut) -> None:
        buf = self.bufs[s.stream]
        ops = [buf.ssa, *(self.index_value(i) for i in s.indices), self.value(s.value)]
        types = [buf.mlir, *["index"] * len(s.indices), buf.elem.mlir()]
        sym = self.mp.stream_fn("put", buf)
        self.emit(f"func.call @{sym}({', '.join(ops)}) : ({', '.join(types)}) -> ()")

    def _Call(self, s: Call) -> None:
        callee = self.mp.module.funcs[s.callee]
        ops, types = [], []
        for k, a in enumerate(s.args):
            p = callee.params[k]
            if isinstance(p.type, AlloType):
                v = self.scalar_of(a, p.type)
                ops.append(v)
                types.append(p.type.mlir())
                continue
            want = self.mp.param_buf(callee, k, "")
            ops.append(self.view(a, want))
            types.append(want.mlir)
        res_types = [r.mlir() if isinstance(r, AlloType) else memref_type(*_buffer_parts(r)[:2])
                     for r in callee.results]
        rt = res_types[0] if len(res_types) == 1 else f"({', '.join(res_types)})"
        call = f"func.call @{s.callee}({', '.join(ops)}) : ({', '.join(types)}) -> {rt}"
        if not res_types:
            self.emit(call)
            return
        r = self.fresh(f"{s.callee}_res")
        self.emit(f"{r}:{len(res_types)} = {call}" if len(res_types) > 1 else f"{r} = {call}")
        for k, name in enumerate(s.results):
            rv = f"{r}#{k}" if len(res_types) > 1 else r
            dst = self.bufs[name]
            if isinstance(callee.results[k], AlloType):
                self.emit(f"affine.store {rv}, {dst.ssa}[] : {dst.mlir}")
            else:
                self.emit(f"memref.copy {rv}, {dst.ssa} : {res_types[k]} to {dst.mlir}")

    def _Return(self, s: Return) -> None:
        vals, types = [], []
        for a, rt in zip(s.values, self.func.results):
            if isinstance(rt, AlloType):
                vals.append(self.scalar_of(a, rt))
                types.append(rt.mlir())
                continue
            shape, elem, _ = _buffer_parts(rt)
            want = _Buf("", shape, elem, False, None)
            src = self.view(a, want, copy=True)
            vals.append(src)
            types.append(want.mlir)
        if vals:
            self.emit(f"func.return {', '.join(vals)} : {', '.join(types)}")
        else:
            self.emit("func.return")

    # -- helpers --
    def scalar_of(self, a: Any, t: AlloType) -> str:
        """SSA value of a scalar argument (an expression, or a 0-d buffer view)."""
        if isinstance(a, BufRef):
            buf = self.bufs[a.buffer]
            kind, idx = self.access(a.prefix)
            v = self.fresh(None)
            self.emit(f"{v} = {kind}.load {buf.ssa}[{idx}] : {buf.mlir}")
            return v
        return self.value(a)

    def view(self, a: BufRef, want: _Buf, copy: bool = False) -> str:
        """SSA memref for ``a`` with exactly ``want``'s type (subview, cast or copy)."""
        buf = self.bufs[a.buffer]
        src, src_ty = buf.ssa, buf.mlir
        if a.prefix:
            rest = buf.shape[len(a.prefix):]
            offs = [self.index_value(i) for i in a.prefix] + ["0"] * len(rest)
            sizes = ["1"] * len(a.prefix) + [str(d) for d in rest]
            src_ty = memref_type(rest, buf.elem, True)
            v = self.fresh(f"{a.buffer}_view")
            self.emit(f"{v} = memref.subview {src}[{', '.join(offs)}] [{', '.join(sizes)}] "
                      f"[{', '.join(['1'] * len(buf.shape))}] : {buf.mlir} to {src_ty}")
            src = v
        if src_ty == want.mlir:
            return src
        if copy:  # a returned view must become a buffer of the plain result type
            v = self.fresh(f"{a.buffer}_copy")
            self.emit(f"{v} = memref.alloc() : {want.mlir}")
            self.emit(f"memref.copy {src}, {v} : {src_ty} to {want.mlir}")
            return v
        v = self.fresh(f"{a.buffer}_cast")
        self.emit(f"{v} = memref.cast {src} : {src_ty} to {want.mlir}")
        return v

    def access(self, indices: Tuple[Expr, ...]) -> Tuple[str, str]:
        """(``"affine"`` or ``"memref"``, the index list text) for a load/store."""
        forms: List[Optional[IndexForm]] = [affine_map_form(i, self.affine_dims) for i in indices]
        if all(f is not None for f in forms):
            return "affine", ", ".join(f.render(lambda n: self.vars[n]) for f in forms)  # type: ignore[union-attr]
        return "memref", ", ".join(self.index_value(i) for i in indices)

    # ValueEmitter hooks
    def load_value(self, e: Load) -> str:
        buf = self.bufs[e.buffer]
        kind, idx = self.access(e.indices)
        v = self.fresh(None)
        self.emit(f"{v} = {kind}.load {buf.ssa}[{idx}] : {buf.mlir}")
        return v

    def stream_get_value(self, e: StreamGet) -> str:
        buf = self.bufs[e.stream]
        ops = [buf.ssa, *(self.index_value(i) for i in e.indices)]
        types = [buf.mlir, *["index"] * len(e.indices)]
        sym = self.mp.stream_fn("get", buf)
        v = self.fresh(None)
        self.emit(f"{v} = func.call @{sym}({', '.join(ops)}) : ({', '.join(types)}) -> {buf.elem.mlir()}")
        return v

    def var_value(self, e: Var) -> str:
        return self.vars[e.name]


__all__ = ["to_mlir", "memref_type", "type_attr"]
