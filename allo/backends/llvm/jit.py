"""Optimise LLVM IR for the host CPU (the O2 pipeline by default) and JIT it with MCJIT.

``opt_level`` picks LLVM's standard pipeline (0-3) and the code generator's level with it.
Level 2 is the default: on the 30 PolyBench kernels its code runs as fast as level 3's
(geometric mean within 1%) and it compiles in 10-20% less time, since O3 mostly adds
more aggressive full unrolling, which small constant trip counts turn into large code
(``bench/bench_opt_levels.py``). At level 0 the LLVM work takes about a tenth of the time
and the code runs several times slower; every level computes bit-identical results (no
pass changes float semantics).

Every defined function carries the host's ``"target-cpu"`` / ``"target-features"`` (the
vectorizer's cost model and legal vector widths are per function), and on AVX-512 hosts
without a heavy 512-bit frequency penalty ``"prefer-vector-width"="512"`` (LLVM otherwise
caps loops at 256 bits there). None of this changes results: vector ``fadd``/``fmul``
round each lane exactly like the scalar operation, and no fast-math flags are added.

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
import functools
import re
import threading
from typing import Tuple

import llvmlite.binding as llvm

from .ops import LIBM_OPS, LIBM_SYMBOL

_lock = threading.Lock()
_state = {}


OPT_LEVELS = (0, 1, 2, 3)
DEFAULT_OPT_LEVEL = 2


def _init(opt_level: int = DEFAULT_OPT_LEVEL) -> llvm.TargetMachine:
    """One-time LLVM setup; returns a new host target machine generating code at
    ``opt_level`` (an MCJIT engine takes ownership of its target machine and frees it with
    itself, so none is shared)."""
    with _lock:
        if _state.get("ready"):
            return _host_target_machine(opt_level)
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
        for name in LIBM_OPS:
            llvm.add_symbol(LIBM_SYMBOL.format(name), ctypes.cast(getattr(libm, name), ctypes.c_void_p).value)
        _state["ready"] = True
        return _host_target_machine(opt_level)


@functools.lru_cache(maxsize=1)
def _host_cpu() -> Tuple[str, str]:
    """The host CPU's name and feature string (asked once: the host does not change)."""
    return llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()


def _host_target_machine(opt_level: int) -> llvm.TargetMachine:
    cpu, features = _host_cpu()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=cpu, features=features, opt=opt_level, jit=True)


# AVX-512 cores whose 512-bit instructions lower the clock noticeably (LLVM's own reason for
# preferring 256 bits); on later ones (Ice Lake server, Sapphire/Emerald Rapids, Zen 4/5)
# full-width vectors are a clear win for streaming loops.
_THROTTLING_AVX512 = {"skylake-avx512", "cascadelake", "cooperlake", "cannonlake", "knl", "knm"}


@functools.lru_cache(maxsize=1)
def host_function_attributes() -> str:
    """The attribute-group body put on every generated function, e.g.
    ``"target-cpu"="znver4" "target-features"="+avx2,..." "prefer-vector-width"="512"``."""
    cpu = llvm.get_host_cpu_name()
    features = llvm.get_host_cpu_features()
    attrs = f'"target-cpu"="{cpu}" "target-features"="{features.flatten()}"'
    if features.get("avx512f") and cpu not in _THROTTLING_AVX512:
        attrs += ' "prefer-vector-width"="512"'
    return attrs


_DEFINE = re.compile(r"^define [^\n]*", re.M)
_AFTER_ARGS = re.compile(r"\s*(local_unnamed_addr|unnamed_addr)\b")


def _after_argument_list(line: str) -> int:
    """Index just past the ``)`` closing a ``define`` line's argument list (and a following
    ``unnamed_addr``, which must precede function attributes); -1 if there is none."""
    at = line.find("@")
    k = at + 1
    if line.startswith('"', k):  # quoted name: skip to the closing quote
        k = line.index('"', k + 1) + 1
    k = line.find("(", k)
    depth = 0
    while 0 <= k < len(line):
        depth += {"(": 1, ")": -1}.get(line[k], 0)
        k += 1
        if depth == 0:
            m = _AFTER_ARGS.match(line, k)
            return m.end() if m else k
    return -1


def with_function_attributes(text: str, attrs: str) -> str:
    """``text`` with attribute group ``attrs`` attached to every ``define``.

    Example: ``with_function_attributes('define void @f() { ret void }', '"a"="b"')`` is
    ``'define void @f() #9000 { ret void }\\nattributes #9000 = { "a"="b" }\\n'``.
    """
    group = "#9000"  # llvmlite numbers no attribute groups, so no clash

    def tag(m: re.Match) -> str:
        line = m.group(0)
        k = _after_argument_list(line)
        return line if k < 0 else f"{line[:k]} {group}{line[k:]}"

    tagged, count = _DEFINE.subn(tag, text)
    return tagged if not count else f"{tagged}\nattributes {group} = {{ {attrs} }}\n"


def optimize(mod: llvm.ModuleRef, tm: llvm.TargetMachine, unroll: bool = True,
             opt_level: int = DEFAULT_OPT_LEVEL) -> None:
    """Run the new pass manager's ``opt_level`` pipeline (O0-O3) on ``mod`` in place, with
    the loop and SLP vectorizers on at every level above 0 (``unroll=False``: without loop
    unrolling). Example: ``optimize(mod, _init(), opt_level=2)``."""
    pto = llvm.create_pipeline_tuning_options(speed_level=opt_level)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pto.loop_interleaving = True
    pto.loop_unrolling = unroll
    pb = llvm.create_pass_builder(tm, pto)
    mpm = pb.getModulePassManager()
    mpm.run(mod, pb)


def compile_ir(text: str, entry: str = "__allo_entry", unroll: bool = True,
               opt_level: int = DEFAULT_OPT_LEVEL) -> Tuple[llvm.ExecutionEngine, int]:
    """Parse, verify, optimise (at ``opt_level``, 0-3) and JIT ``text``; returns the engine
    (keep it alive) and the address of ``entry``."""
    if opt_level not in OPT_LEVELS:
        raise ValueError(f"opt_level must be one of {OPT_LEVELS}, not {opt_level!r}")
    tm = _init(opt_level)
    mod = llvm.parse_assembly(with_function_attributes(text, host_function_attributes()))
    mod.triple = tm.triple  # layout and triple of the machine we optimise for, before any pass
    mod.data_layout = str(tm.target_data)
    mod.verify()
    optimize(mod, tm, unroll, opt_level)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    engine.run_static_constructors()
    return engine, engine.get_function_address(entry)
