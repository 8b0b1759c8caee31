"""The boundary with Python: the ``__allo_entry`` wrapper and what the runtime guarantees.

``__allo_entry(ptr argv) -> i32`` takes an array of pointers (parameters then results;
scalars by pointer too), calls the top function and returns the error flag. The facts
:class:`~allo.backends.llvm.module.LLVMModule` guarantees are declared to LLVM, and only
those: every buffer pointer is non-null and covers the whole static buffer; result arrays
are fresh, 64-byte aligned and distinct from everything else (``noalias``). Parameters may
alias each other (one numpy array passed twice), so they are *not* ``noalias``.

Example::

    >>> from llvmlite import ir
    >>> from allo.ir.nodes import Func
    >>> from allo.ir.types import float32
    >>> m = ir.Module()
    >>> fn = ir.Function(m, ir.FunctionType(ir.VoidType(), [ir.PointerType()]), "top")
    >>> mark_fresh_results(Func("top", [], [float32[16]], []), fn)
    >>> "noalias align 64 dereferenceable(64)" in str(fn)
    True
"""

from __future__ import annotations

from llvmlite import ir

from ...ir.nodes import Func
from ...ir.types import BufferType, StreamType
from .emitbase import I32, I64, int_const
from .lltypes import PTR, from_storage, storage_bytes, storage_type
from .streams import error_flag

ENTRY = "__allo_entry"
RESULT_ALIGN = 64  # the alignment LLVMModule guarantees for result arrays


def mark_fresh_results(f: Func, fn: ir.Function) -> None:
    """Declare ``fn``'s result pointers fresh: ``noalias``, never captured, 64-byte aligned
    (buffers) and dereferenceable over the whole result. Only valid when nothing but the
    entry wrapper calls ``fn`` (see :func:`.direct_results.top_is_private`)."""
    for arg, t in zip(fn.args[len(f.params):], f.results):
        arg.attributes.add("noalias")
        arg.attributes.add("captures(none)")
        elem = t.dtype if isinstance(t, BufferType) else t
        nbytes = (t.size if isinstance(t, BufferType) else 1) * storage_bytes(elem)
        if nbytes:
            arg.attributes.dereferenceable = nbytes
        if isinstance(t, BufferType):
            arg.attributes.align = RESULT_ALIGN


def emit_entry(module: ir.Module, f: Func, top: ir.Function) -> ir.IRBuilder:
    """Add ``__allo_entry`` calling ``top`` (the LLVM function of ``f``); returns the builder
    left at its end."""
    fn = ir.Function(module, ir.FunctionType(I32, [PTR]), name=ENTRY)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    flag = error_flag(module)
    b.store(int_const(I32, 0), flag)
    args = []
    n_in = len(f.params)
    for k, t in enumerate([p.type for p in f.params] + list(f.results)):
        p = b.load(b.gep(fn.args[0], [int_const(I64, k)], source_etype=PTR), typ=PTR)
        _describe_buffer_pointer(module, p, t)
        if k < n_in and not isinstance(t, (BufferType, StreamType)):
            p = from_storage(b, b.load(p, typ=storage_type(t)), t)
        args.append(p)
    b.call(top, args)
    b.ret(b.load(flag, typ=I32))
    return b


def _describe_buffer_pointer(module: ir.Module, p: ir.Instruction, t) -> None:
    """Non-null and whole-buffer dereferenceable, as load metadata (it survives inlining,
    unlike attributes of the inlined function's parameters)."""
    if not isinstance(t, BufferType) or t.is_stream:
        return
    nbytes = t.size * storage_bytes(t.dtype)
    p.set_metadata("nonnull", module.add_metadata([]))
    if nbytes:
        p.set_metadata("dereferenceable", module.add_metadata([int_const(I64, nbytes)]))
