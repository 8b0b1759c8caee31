"""Optimise LLVM IR at O3 for the host CPU and JIT it with MCJIT.

The C library's math functions are bound to private symbols (``__allo_libm_exp``, ...)
so the reference interpreter (Python ``math``, i.e. libm doubles) and the JIT call the
very same code, and LLVM cannot substitute single-precision variants.

Example::

    >>> engine, address = compile_ir('define i32 @__allo_entry(ptr %a) { ret i32 0 }')
    >>> address != 0
    True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from typing import Tuple

import llvmlite.binding as llvm

from .ops import LIBM_SYMBOL, LIBM_UNARY

_lock = threading.Lock()
_state = {}


def _init() -> llvm.TargetMachine:
    """One-time LLVM setup; returns a new host target machine (an MCJIT engine takes
    ownership of its target machine and frees it with itself, so none is shared)."""
    with _lock:
        if _state.get("ready"):
            return _host_target_machine()
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        # expand wide division in IR instead of calling libgcc's __divti3 & co., which the
        # Python process may not have loaded (an unresolved libcall would be a null call)
        llvm.set_option("allo", "-expand-div-rem-bits=64")
        gcc = ctypes.util.find_library("gcc_s")
        if gcc:  # fallback for any other compiler-rt helper the code generator may pick
            try:
                llvm.load_library_permanently(gcc)
            except RuntimeError:
                pass
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        for name in LIBM_UNARY + ("pow",):
            llvm.add_symbol(LIBM_SYMBOL.format(name), ctypes.cast(getattr(libm, name), ctypes.c_void_p).value)
        _state["ready"] = True
        return _host_target_machine()


def _host_target_machine() -> llvm.TargetMachine:
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(),
                                        opt=3, jit=True)


def optimize(mod: llvm.ModuleRef, tm: llvm.TargetMachine) -> None:
    """Run the new pass manager's O3 pipeline on ``mod`` in place."""
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pto.loop_unrolling = True
    pb = llvm.create_pass_builder(tm, pto)
    mpm = pb.getModulePassManager()
    mpm.run(mod, pb)


def compile_ir(text: str, entry: str = "__allo_entry") -> Tuple[llvm.ExecutionEngine, int]:
    """Parse, verify, optimise and JIT ``text``; returns the engine (keep it alive) and
    the address of ``entry``."""
    tm = _init()
    mod = llvm.parse_assembly(text)
    mod.triple = llvm.get_process_triple()
    mod.data_layout = str(tm.target_data)
    mod.verify()
    optimize(mod, tm)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    engine.run_static_constructors()
    return engine, engine.get_function_address(entry)
