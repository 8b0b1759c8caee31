"""The LLVM backend: IR -> LLVM IR (llvmlite) -> O3 for the host CPU -> MCJIT -> callable.

Integers of any width are native ``iN``; fixed point is raw integers; floats are computed
op by op in their type (no fast-math or FMA contraction unless asked for). Builds are
cached process-wide by a hash of the IR and the options, so rebuilding is instant.

Example::

    from allo.backends.llvm import build
    mod = build(module)          # module: allo.ir.nodes.Module
    C = mod(A, B)
"""

from __future__ import annotations

import hashlib
import threading
from typing import Dict, Tuple

import numpy as np

from ...ir.nodes import Alloc, Module, walk_stmts
from .codegen import emit_module
from .jit import compile_ir
from .module import LLVMModule

_cache: Dict[str, LLVMModule] = {}
_cache_lock = threading.Lock()
cache_stats = {"hits": 0, "misses": 0}


def module_key(module: Module, options: Tuple) -> str:
    """A stable hash of the IR and build options (constant tables hashed by content)."""
    h = hashlib.sha256(repr(options).encode())
    h.update(module.top.encode())
    for name in sorted(module.funcs):
        f = module.funcs[name]
        h.update(repr(f).encode())
        for s in walk_stmts(f.body):
            if isinstance(s, Alloc) and isinstance(s.init, np.ndarray):
                h.update(str(s.init.dtype).encode() + np.ascontiguousarray(s.init).tobytes()
                         if s.init.dtype != object else repr(s.init.tolist()).encode())
    return h.hexdigest()


def build(module: Module, *, fma: bool = False, fast_math: bool = False) -> LLVMModule:
    """Compile ``module`` to a callable :class:`LLVMModule` (numpy calling convention).

    ``fma`` allows contracting float ``a * b + c``; ``fast_math`` allows every fast-math
    rewrite (results may then differ from the interpreter). Example::

        mod = build(module)
        out = mod(np.ones((4, 4), np.float32))
    """
    flags: Tuple[str, ...] = ("fast",) if fast_math else ("contract",) if fma else ()
    key = module_key(module, ("llvm", flags))
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            cache_stats["hits"] += 1
            return hit
        cache_stats["misses"] += 1
        text = emit_module(module, flags)
        engine, address = compile_ir(text)
        mod = LLVMModule(module, engine, address, text)
        _cache[key] = mod
        return mod


__all__ = ["build", "LLVMModule", "cache_stats", "module_key"]
