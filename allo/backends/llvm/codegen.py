"""IR -> LLVM IR: one LLVM function per ``Func``, plus an entry wrapper for ctypes.

Calling convention inside the module: buffer (and stream) parameters are pointers to their
first element (``BufRef`` sub-views are pointer offsets; shapes are static), scalar
parameters are values, and every result is an extra pointer to caller-allocated storage.
The entry wrapper ``__allo_entry(ptr argv) -> i32`` takes an array of pointers (parameters
then results; scalars by pointer too) and returns the error flag.

Local buffers are hoisted to the function entry (their initialisation stays in place): up
to 16 KiB each / 64 KiB per function on the stack, larger ones on the 64-byte aligned heap,
freed at the single exit block. A top-function buffer that is simply returned lives in the
caller's (fresh, aligned) result storage instead (:mod:`.direct_results`).

Example::

    >>> from allo.ir.nodes import *
    >>> from allo.ir.types import int32, index
    >>> i = Var("i", index)
    >>> f = Func("f", [Param("A", int32[4])], [], [For("i", Const(0, index), Const(4, index), 1,
    ...     [Store("A", (i,), Op("cast", (i,), int32))])])
    >>> "__allo_entry" in emit_module(Module({"f": f}, "f"))
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np
from llvmlite import ir

from ...errors import BackendError
from ...ir.index import IndexRanges
from ...ir.nodes import (Alloc, BufRef, Call, Const, Expr, For, Func, If, Load, Module, Op, Return,
                         Store, StreamGet, StreamPut, Var, While, walk_stmts)
from ...ir.types import AlloType, BufferType, Fixed, Float, StreamType, row_major_strides
from .bounds import BoundsSite
from .casts import cast
from .direct_results import direct_result_allocs, top_is_private
from .emitbase import I1, I8, I32, I64, EmitBase, int_const
from .entry import ENTRY, emit_entry, mark_fresh_results  # noqa: F401 (ENTRY re-exported)
from .lltypes import PTR, from_storage, storage_bytes, storage_type, to_storage, value_type
from .ops import emit_op
from .streams import ERR_BOUNDS, QUEUE, QUEUE_BYTES, StreamSupport, error_flag, error_globals
from .tables import pack_elements, table_bytes  # noqa: F401 (pack_elements re-exported)

STACK_BUFFER_LIMIT = 16 * 1024
STACK_FUNC_LIMIT = 64 * 1024
HEAP_ALIGN = 64    # cache-line aligned heap buffers: no split vector loads/stores


@dataclass
class _Buf:
    ptr: ir.Value
    shape: Tuple[int, ...]
    elem: Optional[AlloType]        # None for stream buffers
    stream: Optional[StreamType] = None


def _fn_name(name: str) -> str:
    return "allo_" + re.sub(r"[^A-Za-z0-9_.]", "_", name)


def _param_ir_type(t) -> ir.Type:
    if isinstance(t, (BufferType, StreamType)):
        return PTR
    return value_type(t)


def _alloca(b: ir.IRBuilder, t: ir.Type, name: str = "") -> ir.Value:
    """An alloca typed as an opaque pointer (llvmlite would otherwise type it ``T*``)."""
    a = b.alloca(t, name=name)
    a.type = PTR
    return a


def _elements(shape: Tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


class ModuleCodegen(EmitBase):
    """Emits a whole :class:`Module`; ``fp_flags`` go on float add/sub/mul/div."""

    def __init__(self, module: Module, fp_flags: Tuple[str, ...] = ()):
        super().__init__(ir.Module(name="allo"))
        self.ir = module
        self.fp_flags = fp_flags
        self.streams = StreamSupport(self)
        self.functions: Dict[str, ir.Function] = {}
        self.sites: List[BoundsSite] = []       # site id -> what failed
        self.may_fail: Dict[str, bool] = {}     # function -> can it set the error flag?
        self.private_top = top_is_private(module)
        self.direct_results = direct_result_allocs(module)  # top-function alloc -> result index
        error_flag(self.module)
        error_globals(self.module)

    def emit(self) -> str:
        for name, f in self.ir.funcs.items():
            params = [_param_ir_type(p.type) for p in f.params] + [PTR] * len(f.results)
            fn = ir.Function(self.module, ir.FunctionType(ir.VoidType(), params), name=_fn_name(name))
            fn.linkage = "internal"
            self.functions[name] = fn
        if self.private_top:
            mark_fresh_results(self.ir.top_func, self.functions[self.ir.top])
            # inlined into the entry before the optimiser simplifies it, not after: LLVM
            # would otherwise simplify (and unroll) the kernel body twice, once per function
            self.functions[self.ir.top].attributes.add("alwaysinline")
        for name in self.ir.call_order():  # a caller knows whether a callee can fail
            FuncCodegen(self, self.ir.funcs[name], self.functions[name]).emit()
        self.b = emit_entry(self.module, self.ir.top_func, self.functions[self.ir.top])
        return str(self.module)


def emit_module(module: Module, fp_flags: Tuple[str, ...] = ()) -> str:
    """The LLVM IR text of ``module`` (unoptimised)."""
    return ModuleCodegen(module, fp_flags).emit()


class FuncCodegen:
    """Emits one ``Func`` into its LLVM function."""

    def __init__(self, mg: ModuleCodegen, f: Func, fn: ir.Function):
        self.mg, self.f, self.fn = mg, f, fn
        self.bufs: Dict[str, _Buf] = {}
        self.vars: Dict[str, Tuple[ir.Value, AlloType]] = {}
        self.storage: Dict[int, _Buf] = {}    # id(Alloc) -> hoisted storage
        self.heap: List[ir.Value] = []
        self.queues: List[Tuple[ir.Value, int]] = []
        self.ranges = IndexRanges()
        self.stmt_loc = None
        mg.may_fail[f.name] = False

    @property
    def b(self) -> ir.IRBuilder:
        return self.mg.b

    # -------------------------------------------------------------- structure
    def emit(self) -> None:
        entry = self.fn.append_basic_block("entry")
        body = self.fn.append_basic_block("body")
        self.exit = self.fn.append_basic_block("exit")
        self.mg.b = ir.IRBuilder(entry)
        self.entry_builder = self.mg.b
        self._bind_params()
        self._hoist_allocs()
        jump = self.b.branch(body)
        self.entry_builder.position_before(jump)  # later allocas stay in the entry block
        self.mg.b = ir.IRBuilder(body)
        self.block(self.f.body)
        if not self.b.block.is_terminated:
            self.b.branch(self.exit)
        self.mg.b = ir.IRBuilder(self.exit)
        for q, n in self.queues:
            self._for_each_queue(q, n, self.mg.streams.release)
        free = self.mg.intrinsic("free", ir.VoidType(), [PTR])
        for p in self.heap:
            self.b.call(free, [p])
        self.b.ret_void()

    def _bind_params(self) -> None:
        for p, a in zip(self.f.params, self.fn.args):
            t = p.type
            if isinstance(t, StreamType):
                self.bufs[p.name] = _Buf(a, (), None, t)
            elif isinstance(t, BufferType):
                stream = t.dtype if t.is_stream else None
                self.bufs[p.name] = _Buf(a, t.shape, None if stream else t.dtype, stream)
            else:  # scalars live in a slot so they can also be read as 0-d buffers
                slot = _alloca(self.b, storage_type(t), p.name)
                self.b.store(to_storage(self.b, a, t), slot)
                self.vars[p.name] = (slot, t)
                self.bufs[p.name] = _Buf(slot, (), t)

    def _hoist_allocs(self) -> None:
        stack_used = 0
        malloc = self.mg.intrinsic("malloc", PTR, [I64])
        direct = self.mg.direct_results if self.f is self.mg.ir.top_func else {}
        for s in walk_stmts(self.f.body):
            if not isinstance(s, Alloc):
                continue
            t = s.type
            n = _elements(t.shape)
            if t.is_stream:
                nbytes = n * QUEUE_BYTES
                ptr = _alloca(self.b, ir.ArrayType(QUEUE, n), s.name) \
                    if nbytes <= STACK_BUFFER_LIMIT else self.b.call(malloc, [int_const(I64, nbytes)])
                if nbytes > STACK_BUFFER_LIMIT:
                    self.heap.append(ptr)
                self._memset(ptr, nbytes)
                self.queues.append((ptr, n))
                self.storage[id(s)] = _Buf(ptr, t.shape, None, t.dtype)
                continue
            nbytes = n * storage_bytes(t.dtype)
            if s.stateful:  # a global of this build, initialised once (kept across calls)
                self.storage[id(s)] = _Buf(self._state_global(s, t), t.shape, t.dtype)
                continue
            if s.name in direct:  # computed in place in the result array (no copy at return)
                ptr = self.fn.args[len(self.f.params) + direct[s.name]]
            elif nbytes <= STACK_BUFFER_LIMIT and stack_used + nbytes <= STACK_FUNC_LIMIT:
                stack_used += nbytes
                ptr = _alloca(self.b, ir.ArrayType(storage_type(t.dtype), n), s.name)
                ptr.align = 64
            else:
                aligned_alloc = self.mg.intrinsic("aligned_alloc", PTR, [I64, I64])
                size = -(-max(nbytes, 1) // HEAP_ALIGN) * HEAP_ALIGN  # C11: a multiple of the alignment
                ptr = self.b.call(aligned_alloc, [int_const(I64, HEAP_ALIGN), int_const(I64, size)])
                self.heap.append(ptr)
            self.storage[id(s)] = _Buf(ptr, t.shape, t.dtype)

    def _state_global(self, s: Alloc, t: BufferType) -> ir.Value:
        from ...runtime import initial_state

        data = pack_elements(initial_state(s, t), t.dtype)
        ty = ir.ArrayType(I8, len(data))
        g = ir.GlobalVariable(self.mg.module, ty, name=f"__allo_state_{self.f.name}_{s.name}")
        g.linkage = "internal"
        g.align = 64
        g.initializer = ir.Constant(ty, bytearray(data))
        g.type = PTR  # referenced as an opaque pointer, like the allocas (see _alloca)
        return g

    # memset/memcpy are declared with opaque pointers (PTR), never with the type of the
    # first argument they see: a table global is a typed pointer ([32 x i8]*), and a later
    # table of another size would not match that signature
    def _memset(self, ptr: ir.Value, nbytes: int) -> None:
        fn = self.mg.intrinsic("llvm.memset.p0.i64", ir.VoidType(), [PTR, I8, I64, I1])
        self.b.call(fn, [ptr, ir.Constant(I8, 0), int_const(I64, nbytes), ir.Constant(I1, 0)])

    def _memcpy(self, dst: ir.Value, src: ir.Value, nbytes: int) -> None:
        fn = self.mg.intrinsic("llvm.memcpy.p0.p0.i64", ir.VoidType(), [PTR, PTR, I64, I1])
        self.b.call(fn, [dst, src, int_const(I64, nbytes), ir.Constant(I1, 0)])

    def _for_each_queue(self, base: ir.Value, n: int, action) -> None:
        b = self.b
        for k in range(n) if n <= 8 else ():
            action(b, b.gep(base, [int_const(I64, k)], source_etype=QUEUE))
        if n > 8:
            self._counted_loop(n, lambda k: action(self.b, self.b.gep(base, [k], source_etype=QUEUE)))

    def _counted_loop(self, n: int, body) -> None:
        """for k in range(n): body(k) -- k an i64 value."""
        b = self.b
        slot = _alloca(self.entry_builder, I64)
        b.store(int_const(I64, 0), slot)
        cond = self.fn.append_basic_block("fill.cond")
        loop = self.fn.append_basic_block("fill.body")
        after = self.fn.append_basic_block("fill.end")
        b.branch(cond)
        b.position_at_end(cond)
        k = b.load(slot, typ=I64)
        b.cbranch(b.icmp_signed("<", k, int_const(I64, n)), loop, after)
        b.position_at_end(loop)
        body(k)
        b.store(b.add(k, int_const(I64, 1)), slot)
        b.branch(cond)
        b.position_at_end(after)

    # -------------------------------------------------------------- statements
    def block(self, stmts) -> None:
        for s in stmts:
            if self.b.block.is_terminated:  # code after a return: unreachable
                self.b.position_at_end(self.fn.append_basic_block("dead"))
            self.stmt(s)

    def stmt(self, s) -> None:
        b = self.b
        self.stmt_loc = getattr(s, "loc", None)  # where an index check without its own loc fails
        if isinstance(s, Store):
            buf = self._buf(s.buffer)
            v = self._coerce(self.expr(s.value), s.value.type, buf.elem)
            addr = self._address(buf, s.indices, s.buffer, s.loc)
            self.b.store(to_storage(self.b, v, buf.elem), addr)
        elif isinstance(s, For):
            self._for(s)
        elif isinstance(s, If):
            cond = self._truth(s.cond)
            then_bb = self.fn.append_basic_block("if.then")
            else_bb = self.fn.append_basic_block("if.else")
            end_bb = self.fn.append_basic_block("if.end")
            b.cbranch(cond, then_bb, else_bb)
            for bb, body in ((then_bb, s.then_body), (else_bb, s.else_body)):
                b.position_at_end(bb)
                self.block(body)
                if not b.block.is_terminated:
                    b.branch(end_bb)
            b.position_at_end(end_bb)
        elif isinstance(s, While):
            cond_bb = self.fn.append_basic_block("while.cond")
            body_bb = self.fn.append_basic_block("while.body")
            end_bb = self.fn.append_basic_block("while.end")
            b.branch(cond_bb)
            b.position_at_end(cond_bb)
            b.cbranch(self._truth(s.cond), body_bb, end_bb)
            b.position_at_end(body_bb)
            self.block(s.body)
            if not b.block.is_terminated:
                b.branch(cond_bb)
            b.position_at_end(end_bb)
        elif isinstance(s, Alloc):
            self._alloc(s)
        elif isinstance(s, Call):
            self._call(s)
        elif isinstance(s, StreamPut):
            buf = self._buf(s.stream)
            elem = buf.stream.dtype
            v = self._coerce(self.expr(s.value), s.value.type, elem)
            q = self._queue(buf, s.indices, s.stream, s.loc)
            self.mg.streams.push(self.b, q, to_storage(self.b, v, elem))
        elif isinstance(s, Return):
            self._return(s)
        else:
            raise BackendError(f"LLVM backend: unsupported statement {type(s).__name__}",
                               loc=getattr(s, "loc", None))

    def _for(self, s: For) -> None:
        b = self.b
        lo = self._as_i64(self.expr(s.lo), s.lo.type)
        hi = self._as_i64(self.expr(s.hi), s.hi.type)
        cond_bb = self.fn.append_basic_block(f"{s.var}.cond")
        body_bb = self.fn.append_basic_block(f"{s.var}.body")
        end_bb = self.fn.append_basic_block(f"{s.var}.end")
        preheader = b.block
        b.branch(cond_bb)
        b.position_at_end(cond_bb)
        # the loop variable is an SSA value (the body never assigns it), not a stack slot
        # read at every use: less IR to emit and for LLVM to promote
        i = b.phi(I64, name=s.var)
        i.add_incoming(lo, preheader)
        self.vars[s.var] = (i, None)
        b.cbranch(b.icmp_signed("<" if s.step > 0 else ">", i, hi), body_bb, end_bb)
        b.position_at_end(body_bb)
        outer = self.ranges.bind(s.var, self.ranges.loop_range(s))
        self.block(s.body)
        self.ranges.bind(s.var, outer)
        if not b.block.is_terminated:
            nxt = b.add(i, int_const(I64, s.step))
            if _step_cannot_wrap(s):
                nxt.flags.append("nsw")
            i.add_incoming(nxt, b.block)
            b.branch(cond_bb)
        b.position_at_end(end_bb)

    def _alloc(self, s: Alloc) -> None:
        buf = self.storage[id(s)]
        self.bufs[s.name] = buf
        if s.stateful:
            return  # initialised once, by the global's initializer
        b = self.b
        n = _elements(buf.shape)
        if buf.stream is not None:
            self._for_each_queue(buf.ptr, n, self.mg.streams.reset)
            return
        nbytes = n * storage_bytes(buf.elem)
        init = s.init
        if init is None or (isinstance(init, Const) and init.value == 0 and not
                            (isinstance(init.value, float) and np.signbit(init.value))):
            self._memset(buf.ptr, nbytes)
        elif isinstance(init, Expr):
            v = to_storage(b, self._coerce(self.expr(init), init.type, buf.elem), buf.elem)
            st = storage_type(buf.elem)
            if n == 1:
                b.store(v, buf.ptr)
            else:
                self._counted_loop(n, lambda k: self.b.store(v, self.b.gep(buf.ptr, [k], source_etype=st)))
        else:
            data = table_bytes(np.asarray(init), buf.elem, buf.shape, s)
            g = ir.GlobalVariable(self.mg.module, ir.ArrayType(I8, len(data)),
                                  name=f"__allo_table_{len(self.mg.module.globals)}")
            g.global_constant = True
            g.linkage = "private"
            g.initializer = ir.Constant(ir.ArrayType(I8, len(data)), bytearray(data))
            self._memcpy(buf.ptr, g, nbytes)

    def _call(self, s: Call) -> None:
        callee = self.mg.ir.funcs.get(s.callee)
        if callee is None:
            raise BackendError(f"LLVM backend: call to unknown function '{s.callee}'", loc=s.loc)
        args = []
        for p, a in zip(callee.params, s.args):
            if isinstance(a, BufRef):
                buf = self._buf(a.buffer)
                args.append(self._queue(buf, a.prefix, a.buffer, a.loc or s.loc)
                            if buf.stream is not None
                            else self._address(buf, a.prefix, a.buffer, a.loc or s.loc))
            else:
                args.append(self._coerce(self.expr(a), a.type, p.type))
        for r in s.results:
            args.append(self._buf(r).ptr)
        self.b.call(self.mg.functions[s.callee], args)
        if self.mg.may_fail.get(s.callee, True):  # stop as soon as the callee failed
            self._note_may_fail()
            flag = self.b.load(error_flag(self.mg.module), typ=I32)
            cont = self.fn.append_basic_block("call.ok")
            br = self.b.cbranch(self.b.icmp_signed("==", flag, int_const(I32, 0)), cont, self.exit)
            br.set_weights([1 << 20, 1])
            self.b.position_at_end(cont)

    def _return(self, s: Return) -> None:
        b = self.b
        outs = self.fn.args[len(self.f.params):]
        for out, t, v in zip(outs, self.f.results, s.values):
            if isinstance(v, BufRef):
                src = self._address(self._buf(v.buffer), v.prefix, v.buffer, v.loc or s.loc)
                if src is out:  # the buffer was computed in place (direct result)
                    pass
                elif isinstance(t, BufferType):
                    self._memcpy(out, src, t.size * storage_bytes(t.dtype))
                else:
                    self._memcpy(out, src, storage_bytes(t))
            else:
                val = self._coerce(self.expr(v), v.type, t)
                b.store(to_storage(b, val, t), out)
        b.branch(self.exit)

    # -------------------------------------------------------------- expressions
    def expr(self, e: Expr) -> ir.Value:
        b = self.b
        if isinstance(e, Const):
            return _constant(e)
        if isinstance(e, Var):
            if e.name not in self.vars:
                raise BackendError(f"LLVM backend: unknown variable '{e.name}'", loc=e.loc)
            slot, t = self.vars[e.name]
            if t is None:  # loop variable: its i64 SSA value
                return self._coerce(slot, _INDEX, e.type)
            return from_storage(b, b.load(slot, typ=storage_type(t)), t)
        if isinstance(e, Load):
            buf = self._buf(e.buffer)
            addr = self._address(buf, e.indices, e.buffer, e.loc)
            raw = self.b.load(addr, typ=storage_type(buf.elem))
            return self._coerce(from_storage(self.b, raw, buf.elem), buf.elem, e.type)
        if isinstance(e, StreamGet):
            buf = self._buf(e.stream)
            elem = buf.stream.dtype
            q = self._queue(buf, e.indices, e.stream, e.loc)
            self._note_may_fail()  # an empty queue sets the flag
            raw = self.mg.streams.pop(self.b, q, storage_type(elem))
            return self._coerce(from_storage(self.b, raw, elem), elem, e.type)
        if isinstance(e, Op):
            return self._op(e)
        raise BackendError(f"LLVM backend: unsupported expression {type(e).__name__}", loc=e.loc)

    def _op(self, e: Op) -> ir.Value:
        b, t = self.b, e.type
        if e.op == "cast":
            return cast(self.mg, self.expr(e.args[0]), e.args[0].type, t)
        if e.op in ("get_slice", "set_slice"):
            x = self.expr(e.args[0])
            lo, hi = (_const_int(a, e) for a in e.args[1:3])
            n = x.type.width
            if e.op == "get_slice":
                return b.trunc(b.lshr(x, int_const(x.type, lo)), ir.IntType(hi - lo)) \
                    if hi - lo < n else b.lshr(x, int_const(x.type, lo))
            v = self.expr(e.args[3])
            v = self.mg.resize(v, v.type.width, False, hi - lo)
            v = b.shl(self.mg.resize(v, hi - lo, False, n), int_const(x.type, lo))
            mask = int_const(x.type, ((1 << (hi - lo)) - 1) << lo)
            return b.or_(b.and_(x, b.not_(mask)), v)
        if e.op in ("get_bit", "set_bit"):
            x, i = self.expr(e.args[0]), self.expr(e.args[1])
            n = x.type.width
            w = max(n, i.type.width) + 1
            wt = ir.IntType(w)
            xi, ii = self.mg.resize(x, n, False, w), self.mg.resize(i, i.type.width, False, w)
            inside = b.icmp_unsigned("<", ii, int_const(wt, n))
            amount = b.select(inside, ii, int_const(wt, 0))
            if e.op == "get_bit":
                bit = b.trunc(b.lshr(xi, amount), I1)
                return b.select(inside, bit, ir.Constant(I1, 0))
            v = self.expr(e.args[2])
            bit = b.zext(b.trunc(v, I1) if v.type.width > 1 else v, wt)
            mask = b.shl(int_const(wt, 1), amount)
            new = b.or_(b.and_(xi, b.not_(mask)), b.shl(bit, amount))
            return b.select(inside, b.trunc(new, x.type), x)
        args = [self.expr(a) for a in e.args]
        v = emit_op(self.mg, e.op, args, [a.type for a in e.args], t)
        if self.mg.fp_flags and isinstance(v, ir.Instruction) and v.opname in (
                "fadd", "fsub", "fmul", "fdiv"):
            v.flags.extend(self.mg.fp_flags)
        return v

    # -------------------------------------------------------------- helpers
    def _buf(self, name: str) -> _Buf:
        buf = self.bufs.get(name)
        if buf is None:
            raise BackendError(f"LLVM backend: unknown buffer '{name}' in function '{self.f.name}'")
        return buf

    def _offset(self, buf: _Buf, indices, name: str, loc=None) -> Optional[ir.Value]:
        if not indices:
            return None
        strides = row_major_strides(buf.shape)
        total = None
        for dim, (idx, stride) in enumerate(zip(indices, strides)):
            v = self._checked_index(idx, buf.shape[dim], name, dim, loc)
            # v is in [0, extent) here (proved or tested), so the offset is below the
            # buffer's element count: no wrap, signed or unsigned
            term = v if stride == 1 else _no_wrap(self.b.mul(v, int_const(I64, stride)))
            total = term if total is None else _no_wrap(self.b.add(total, term))
        return total

    def _checked_index(self, idx: Expr, extent: int, name: str, dim: int, loc) -> ir.Value:
        """The index as i64; unless provably in ``[0, extent)``, a failed test records the
        site and the index in the module's error globals and leaves the function."""
        raw = self.expr(idx)
        wide = isinstance(raw.type, ir.IntType) and raw.type.width > 64 \
            and not isinstance(idx.type, (Float, Fixed))
        v = raw if wide else self._as_i64(raw, idx.type)
        if self.ranges.within(idx, extent):
            return self.mg.resize(v, v.type.width, False, 64) if wide else v
        b = self.b
        # unsigned compare: a negative index is a huge unsigned number
        ok = b.icmp_unsigned("<", v, int_const(v.type, extent))
        if wide:
            v = b.trunc(v, I64)
        fail = self.fn.append_basic_block(f"oob.{name}")
        cont = self.fn.append_basic_block("inbounds")
        br = b.cbranch(ok, cont, fail)
        br.set_weights([1 << 20, 1])
        b.position_at_end(fail)
        site_g, index_g = error_globals(self.mg.module)
        b.store(int_const(I32, ERR_BOUNDS), error_flag(self.mg.module))
        b.store(int_const(I32, len(self.mg.sites)), site_g)
        b.store(v, index_g)
        b.branch(self.exit)
        self.mg.sites.append(BoundsSite(self.f.name, name, dim, extent, loc or self.stmt_loc))
        self._note_may_fail()
        b.position_at_end(cont)
        return v

    def _note_may_fail(self) -> None:
        self.mg.may_fail[self.f.name] = True

    def _address(self, buf: _Buf, indices, name: str, loc=None) -> ir.Value:
        off = self._offset(buf, indices, name, loc)
        if off is None:
            return buf.ptr
        return self.b.gep(buf.ptr, [off], inbounds=True, source_etype=storage_type(buf.elem))

    def _queue(self, buf: _Buf, indices, name: str, loc=None) -> ir.Value:
        off = self._offset(buf, indices, name, loc)
        if off is None:
            return buf.ptr
        return self.b.gep(buf.ptr, [off], inbounds=True, source_etype=QUEUE)

    def _as_i64(self, v: ir.Value, t: AlloType) -> ir.Value:
        if isinstance(t, Float) or isinstance(t, Fixed):
            return cast(self.mg, v, t, _INDEX)
        return self.mg.resize(v, v.type.width, t.signed, 64)

    def _coerce(self, v: ir.Value, src: AlloType, dst) -> ir.Value:
        if src == dst:
            return v
        return cast(self.mg, v, src, dst)

    def _truth(self, e: Expr) -> ir.Value:
        v = self.expr(e)
        if isinstance(v.type, ir.IntType) and v.type.width == 1:
            return v
        return emit_op(self.mg, "ne", [v, ir.Constant(v.type, 0)], [e.type, e.type], e.type)


from ...ir.types import index as _INDEX  # noqa: E402


def _no_wrap(v: ir.Instruction) -> ir.Instruction:
    v.flags.extend(("nuw", "nsw"))
    return v


def _step_cannot_wrap(s: For) -> bool:
    """True when ``var + step`` stays in i64 for every iteration: constant bounds whose
    last value plus the step is representable (the counter never passes ``hi + step``)."""
    if not all(isinstance(e, Const) and not isinstance(e.type, (Float, Fixed)) for e in (s.lo, s.hi)):
        return False
    lo, hi = int(s.lo.value), int(s.hi.value)
    return all(-(1 << 63) <= v + s.step < (1 << 63) for v in (lo, hi))


def _const_int(a: Expr, where: Op) -> int:
    if not isinstance(a, Const):
        raise BackendError(f"LLVM backend: '{where.op}' needs constant bounds", loc=where.loc)
    return int(a.value)


def _constant(e: Const) -> ir.Constant:
    from ...semantics.values import const_value, float_bits

    t = e.type
    if isinstance(t, Float):
        v = const_value(e.value, t)
        if t.kind == "bf16":
            return int_const(ir.IntType(16), float_bits(v, "bf16"))
        return ir.Constant(value_type(t), float(v))
    return int_const(ir.IntType(t.bits), int(e.value))
