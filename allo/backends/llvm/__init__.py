"""The LLVM backend: IR -> LLVM IR (llvmlite) -> O2 for the host CPU -> MCJIT -> callable.

Integers of any width are native ``iN``; fixed point is raw integers; floats are computed
op by op in their type (no fast-math or FMA contraction unless asked for). Builds are
cached process-wide by the IR's structural fingerprint and the options, so rebuilding is instant.

Example::

    from allo.backends.llvm import build
    mod = build(module)          # module: allo.ir.nodes.Module
    C = mod(A, B)
"""

from __future__ import annotations

import numbers
import threading
from typing import Any, Dict, Optional, Tuple

from ...errors import AlloError
from ...ir.fingerprint import FingerprintError, fingerprint
from ...ir.nodes import Module
from ...ir.state import has_state
from ...ir.verifier import verify_ir
from .codegen import ModuleCodegen, emit_module
from .jit import DEFAULT_OPT_LEVEL, OPT_LEVELS, compile_ir
from .lltypes import check_widths
from .module import LLVMModule

_cache: Dict[str, LLVMModule] = {}
_cache_lock = threading.Lock()
cache_stats = {"hits": 0, "misses": 0}


def module_key(module: Module, options: Tuple) -> Optional[str]:
    """The cache key of ``module`` built with ``options``: its structural fingerprint
    (:func:`allo.ir.fingerprint.fingerprint`, exact constants), or None when it has none."""
    try:
        return fingerprint(module, backend="llvm", options=options)
    except FingerprintError:
        return None


BUILD_OPTIONS = ("fma", "fast_math", "unroll", "opt_level")


def check_options(options: Dict[str, Any]) -> None:
    """Refuse build options the LLVM backend does not know (a typo must not pass silently)
    and an ``opt_level`` that is not one of 0, 1, 2, 3.

    Example: ``check_options({"fma": True})`` passes; ``check_options({"foo": 1})`` raises.
    """
    unknown = sorted(set(options) - set(BUILD_OPTIONS))
    if unknown:
        raise AlloError(f"unknown LLVM build option(s): {', '.join(map(repr, unknown))}",
                        where="build(target='llvm')",
                        hint=f"valid options: {', '.join(BUILD_OPTIONS)}")
    level = options.get("opt_level", DEFAULT_OPT_LEVEL)
    # bool is an int subclass: opt_level=True is a mistake, not level 1
    if isinstance(level, bool) or not isinstance(level, numbers.Integral) or level not in OPT_LEVELS:
        raise AlloError(f"opt_level={level!r} is not an LLVM optimisation level",
                        where="build(target='llvm', opt_level=...)",
                        hint=f"use one of {', '.join(map(str, OPT_LEVELS))}: 0 compiles fastest "
                             f"and runs slowest, {DEFAULT_OPT_LEVEL} is the default, 3 is LLVM's O3")


def _compile(module: Module, flags: Tuple[str, ...], unroll: bool = True,
             opt_level: int = DEFAULT_OPT_LEVEL) -> LLVMModule:
    """Emit, optimise and JIT ``module`` (no caching)."""
    codegen = ModuleCodegen(module, flags)
    text = codegen.emit()
    engine, address = compile_ir(text, unroll=unroll, opt_level=opt_level)
    return LLVMModule(module, engine, address, text, codegen.sites)


def build(module: Module, **options: Any) -> LLVMModule:
    """Compile ``module`` to a callable :class:`LLVMModule` (numpy calling convention).

    ``fma`` allows contracting float ``a * b + c``; ``fast_math`` allows every fast-math
    rewrite (results may then differ from the interpreter). ``unroll=False`` skips LLVM's
    loop unrolling: large designs with many small loop nests (an imported transformer)
    compile several times faster. ``opt_level`` (0-3, default 2) is LLVM's optimisation
    level: 3 (O3) compiles slower for no measured speed-up on PolyBench, 0 builds about
    four times faster and runs several times slower; results are the same at every level.
    Example::

        mod = build(module)
        out = mod(np.ones((4, 4), np.float32))
    """
    check_options(options)
    fma, fast_math = bool(options.get("fma", False)), bool(options.get("fast_math", False))
    flags: Tuple[str, ...] = ("fast",) if fast_math else ("contract",) if fma else ()
    unroll = bool(options.get("unroll", True))
    opt_level = int(options.get("opt_level", DEFAULT_OPT_LEVEL))
    # a stateful design gets a build of its own: its state (LLVM globals) belongs to the
    # module object returned, as each build of public Allo starts from the initial state
    key = None if has_state(module) else module_key(module, ("llvm", flags, unroll, opt_level))
    with _cache_lock:
        hit = _cache.get(key) if key is not None else None
        if hit is not None:
            cache_stats["hits"] += 1
            return hit
        cache_stats["misses"] += 1
        verify_ir(module)  # ill-typed IR would crash llvmlite: raise the IRError instead
        check_widths(module)
        mod = _compile(module, flags, unroll, opt_level)
        if key is not None:
            _cache[key] = mod
        return mod


__all__ = ["build", "LLVMModule", "cache_stats", "module_key", "check_options", "BUILD_OPTIONS",
           "OPT_LEVELS", "DEFAULT_OPT_LEVEL", "emit_module"]
