"""FIFO streams on the CPU: growable queues run in program order.

A queue is ``{ptr data, i64 head, i64 tail, i64 cap}`` (32 bytes). A push appends (the
storage grows by doubling, or compacts when at least half of it is already consumed); a
get pops the oldest element. Reading an empty queue sets the module's error flag and
yields 0 instead of crashing; the Python side turns the flag into an ``AlloError``.

Example (inside a code generator)::

    q = StreamSupport(e)
    q.push(queue_ptr, value_in_storage_type)
    v = q.pop(queue_ptr, storage_type)
"""

from __future__ import annotations

from typing import Dict

from llvmlite import ir

from .emitbase import I32, I64, EmitBase, int_const
from .lltypes import PTR

QUEUE = ir.LiteralStructType([PTR, I64, I64, I64])
QUEUE_BYTES = 32
ERROR_FLAG = "__allo_error_flag"
ERR_UNDERFLOW = 1
ERR_BOUNDS = 2          # an index was out of range: see ERROR_SITE / ERROR_INDEX
ERROR_SITE = "__allo_error_site"
ERROR_INDEX = "__allo_error_index"


def error_flag(module: ir.Module) -> ir.GlobalVariable:
    """The module's error flag (0 = fine), created once."""
    g = module.globals.get(ERROR_FLAG)
    if g is None:
        g = ir.GlobalVariable(module, I32, ERROR_FLAG)
        g.initializer = ir.Constant(I32, 0)
    return g


def error_globals(module: ir.Module):
    """The globals a failed bounds check fills: (site id ``i32``, offending index ``i64``)."""
    out = []
    for name, t in ((ERROR_SITE, I32), (ERROR_INDEX, I64)):
        g = module.globals.get(name)
        if g is None:
            g = ir.GlobalVariable(module, t, name)
            g.initializer = ir.Constant(t, 0)
        out.append(g)
    return tuple(out)


def _field(b: ir.IRBuilder, q: ir.Value, k: int) -> ir.Value:
    return b.gep(q, [int_const(I32, 0), int_const(I32, k)], inbounds=True, source_etype=QUEUE)


class StreamSupport:
    """Emits (once per element type) the push/pop helper functions of a module."""

    def __init__(self, e: EmitBase):
        self.e = e
        self._push: Dict[str, ir.Function] = {}
        self._pop: Dict[str, ir.Function] = {}

    # -------------------------------------------------------------- helpers
    def _grow(self) -> ir.Function:
        name = "__allo_queue_grow"
        fn = self.e.module.globals.get(name)
        if fn is not None:
            return fn
        e = self.e
        fn = ir.Function(e.module, ir.FunctionType(ir.VoidType(), [PTR, I64]), name=name)
        fn.linkage = "internal"
        q, esz = fn.args
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        head = b.load(_field(b, q, 1), typ=I64)
        tail = b.load(_field(b, q, 2), typ=I64)
        cap = b.load(_field(b, q, 3), typ=I64)
        data = b.load(_field(b, q, 0), typ=PTR)
        compact = b.icmp_unsigned(">=", b.mul(head, int_const(I64, 2)), cap)
        compact = b.and_(compact, b.icmp_unsigned("!=", head, int_const(I64, 0)))
        with b.if_else(compact) as (then, otherwise):
            with then:
                src = b.gep(data, [b.mul(head, esz)], source_etype=ir.IntType(8))
                count = b.sub(tail, head)
                memmove = e.intrinsic("memmove", PTR, [PTR, PTR, I64])
                b.call(memmove, [data, src, b.mul(count, esz)])
                b.store(int_const(I64, 0), _field(b, q, 1))
                b.store(count, _field(b, q, 2))
            with otherwise:
                new_cap = b.select(b.icmp_unsigned("==", cap, int_const(I64, 0)),
                                   int_const(I64, 16), b.mul(cap, int_const(I64, 2)))
                realloc = e.intrinsic("realloc", PTR, [PTR, I64])
                b.store(b.call(realloc, [data, b.mul(new_cap, esz)]), _field(b, q, 0))
                b.store(new_cap, _field(b, q, 3))
        b.ret_void()
        return fn

    def push(self, b: ir.IRBuilder, q: ir.Value, v: ir.Value) -> None:
        """Append storage value ``v`` to queue ``q``."""
        key = str(v.type)
        fn = self._push.get(key)
        if fn is None:
            fn = ir.Function(self.e.module, ir.FunctionType(ir.VoidType(), [PTR, v.type]),
                             name=f"__allo_queue_push_{key}")
            fn.linkage = "internal"
            qa, va = fn.args
            fb = ir.IRBuilder(fn.append_basic_block("entry"))
            tail = fb.load(_field(fb, qa, 2), typ=I64)
            cap = fb.load(_field(fb, qa, 3), typ=I64)
            with fb.if_then(fb.icmp_unsigned("==", tail, cap), likely=False):
                esz = int_const(I64, max(v.type.width // 8 if isinstance(v.type, ir.IntType)
                                         else _float_bytes(v.type), 1))
                fb.call(self._grow(), [qa, esz])
            tail = fb.load(_field(fb, qa, 2), typ=I64)
            data = fb.load(_field(fb, qa, 0), typ=PTR)
            fb.store(va, fb.gep(data, [tail], source_etype=v.type))
            fb.store(fb.add(tail, int_const(I64, 1)), _field(fb, qa, 2))
            fb.ret_void()
            self._push[key] = fn
        b.call(fn, [q, v])

    def pop(self, b: ir.IRBuilder, q: ir.Value, t: ir.Type) -> ir.Value:
        """Remove and return the oldest element of ``q`` (0 and the error flag if empty)."""
        key = str(t)
        fn = self._pop.get(key)
        if fn is None:
            fn = ir.Function(self.e.module, ir.FunctionType(t, [PTR]), name=f"__allo_queue_pop_{key}")
            fn.linkage = "internal"
            qa = fn.args[0]
            fb = ir.IRBuilder(fn.append_basic_block("entry"))
            head = fb.load(_field(fb, qa, 1), typ=I64)
            tail = fb.load(_field(fb, qa, 2), typ=I64)
            with fb.if_then(fb.icmp_unsigned("==", head, tail), likely=False):
                fb.store(int_const(I32, ERR_UNDERFLOW), error_flag(self.e.module))
                fb.ret(ir.Constant(t, 0 if isinstance(t, ir.IntType) else 0.0))
            data = fb.load(_field(fb, qa, 0), typ=PTR)
            v = fb.load(fb.gep(data, [head], source_etype=t), typ=t)
            nxt = fb.add(head, int_const(I64, 1))
            empty = fb.icmp_unsigned("==", nxt, tail)
            fb.store(fb.select(empty, int_const(I64, 0), nxt), _field(fb, qa, 1))
            fb.store(fb.select(empty, int_const(I64, 0), tail), _field(fb, qa, 2))
            fb.ret(v)
            self._pop[key] = fn
        return b.call(fn, [q])

    def reset(self, b: ir.IRBuilder, q: ir.Value) -> None:
        """Empty a queue (keeping its storage)."""
        b.store(int_const(I64, 0), _field(b, q, 1))
        b.store(int_const(I64, 0), _field(b, q, 2))

    def release(self, b: ir.IRBuilder, q: ir.Value) -> None:
        """Free a queue's storage."""
        free = self.e.intrinsic("free", ir.VoidType(), [PTR])
        b.call(free, [b.load(_field(b, q, 0), typ=PTR)])


def _float_bytes(t: ir.Type) -> int:
    return {"half": 2, "float": 4, "double": 8}[str(t)]
