"""C simulation: compile generated HLS C++ with g++ and call it with numpy arrays.

The C++ is compiled (``-O2 -std=c++17``, no fast-math, no FMA contraction) into a shared
library against the Xilinx ``ap_types`` headers that the ``hls4ml`` package ships (found
at run time, never copied into this repository; ``ALLO_AP_TYPES`` overrides the location)
and Allo's own minimal ``hls_stream.h``. An ``extern "C"`` wrapper per design converts
execution containers (:mod:`allo.runtime`) to the kernel's C++ types and back. Libraries
are cached by a hash of the code under ``~/.cache/allo/csim/<hash>`` (``ALLO_CACHE_DIR``
overrides the root). Several designs can share one g++ run (:func:`compile_designs`).

Example::

    mod = compile_designs([module])[0]
    C = mod(A, B)                 # or mod(A, B, C_out): preallocated outputs
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, List, Optional, Sequence

import numpy as np

from ...errors import AlloError, BackendError, CallError
from ...ir.aliasing import written_params
from ...ir.nodes import Func, Module
from ...ir.types import AlloType, BufferType, Fixed, Float
from ...runtime import bind_arguments, container_dtype, invoke
from .codegen import EmittedDesign, emit_design
from .ctypes_map import c_type, identifier, is_native_int
from .prelude import HELPERS_H, HLS_STREAM_H

CXXFLAGS = ["-O2", "-std=c++17", "-fPIC", "-shared", "-ffp-contract=off", "-fno-fast-math"]


# ------------------------------------------------------------------ toolchain
def ap_types_dir() -> Path:
    """The directory holding ``ap_int.h``/``ap_fixed.h`` (from the ``hls4ml`` package).

    Example: ``(ap_types_dir() / "ap_int.h").exists()``.
    """
    env = os.environ.get("ALLO_AP_TYPES")
    candidates = [Path(env)] if env else []
    spec = importlib.util.find_spec("hls4ml")  # locates the package without importing it
    if spec is not None and spec.submodule_search_locations:
        for root in spec.submodule_search_locations:
            candidates.append(Path(root) / "templates" / "vivado" / "ap_types")
    for c in candidates:
        if (c / "ap_int.h").exists() and (c / "ap_fixed.h").exists():
            return c
    raise BackendError("C simulation needs the Xilinx ap_types headers (ap_int.h, ap_fixed.h), "
                       "which were not found", where="build(mode='csim')",
                       hint="pip install --no-deps hls4ml (it ships them), or set ALLO_AP_TYPES "
                            "to a directory containing ap_int.h")


def cache_root() -> Path:
    return Path(os.environ.get("ALLO_CACHE_DIR", Path.home() / ".cache" / "allo")) / "csim"


def support_dir() -> Path:
    """A directory with Allo's ``hls_stream.h`` (written once into the cache)."""
    d = cache_root() / "include"
    d.mkdir(parents=True, exist_ok=True)
    f = d / "hls_stream.h"
    if not f.exists() or f.read_text() != HLS_STREAM_H:
        tmp = d / f"hls_stream.h.{os.getpid()}"
        tmp.write_text(HLS_STREAM_H)
        os.replace(tmp, f)
    return d


def compiler() -> str:
    cxx = os.environ.get("CXX") or shutil.which("g++")
    if not cxx:
        raise BackendError("C simulation needs a C++ compiler and g++ is not on PATH",
                           where="build(mode='csim')", hint="install g++ (apt-get install g++)")
    return cxx


# ------------------------------------------------------------------ wrappers
def _words(t: AlloType) -> int:
    return (t.bits + 63) // 64


def _is_wide(t: AlloType) -> bool:
    return container_dtype(t) == np.dtype(object)


def _is_direct(t: AlloType) -> bool:
    """Containers whose memory is the C++ type's memory (no conversion needed)."""
    if isinstance(t, Float):
        return True
    return is_native_int(t) and t.bits in (8, 16, 32, 64)


def _container_ctype(t: AlloType) -> str:
    dt = container_dtype(t)
    return {"i": "int", "u": "uint"}[dt.kind] + f"{dt.itemsize * 8}_t"


def _load(t: AlloType, src: str) -> str:
    """C++ expression converting container element ``src`` to the kernel type."""
    ct = c_type(t)
    if _is_wide(t):
        nbits = _words(t) * 64
        pat = f"allo_words_to_bits<{nbits}>({src})"
        if isinstance(t, Fixed):
            return f"allo_from_raw<{ct}>(ap_int<{nbits}>({pat}))"
        return f"allo_wrap<{ct}>(ap_int<{nbits}>({pat}))"
    if isinstance(t, Fixed):
        return f"allo_from_raw<{ct}>(ap_int<66>((long long){src}))"
    return f"allo_wrap64<{ct}>((long long){src})"


def _store(t: AlloType, value: str, dst: str) -> str:
    """C++ statement storing kernel value ``value`` into container element ``dst``."""
    if _is_wide(t):
        nbits = _words(t) * 64
        raw = f"allo_raw({value})" if isinstance(t, Fixed) else f"allo_val({value})"
        return f"allo_bits_to_words<{nbits}>(ap_uint<{nbits}>({raw}), {dst});"
    raw = f"allo_raw({value})" if isinstance(t, Fixed) else f"allo_val({value})"
    return f"{dst} = ({_container_ctype(t)}){raw}.to_int64();"


_WORD_HELPERS = r"""
template <int NB> static inline ap_uint<NB> allo_words_to_bits(const uint64_t* w) {
  ap_uint<NB> p = 0;
  for (int k = 0; k < NB / 64; ++k) p.range(64 * k + 63, 64 * k) = ap_uint<64>(w[k]);
  return p;
}
template <int NB> static inline void allo_bits_to_words(ap_uint<NB> p, uint64_t* w) {
  for (int k = 0; k < NB / 64; ++k) w[k] = ap_uint<64>(p.range(64 * k + 63, 64 * k)).to_uint64();
}
"""


def wrapper(func: Func, entry: str) -> str:
    """The ``extern "C" int entry(void** args)`` that runs ``func`` on containers; it
    returns 1 when the simulation recorded a design error (see :data:`ERROR_MESSAGE_FN`)."""
    pre, call, post = [], [], []
    slots = [(p.name, p.type, False) for p in func.params]
    slots += [(f"out{k}", t, True) for k, t in enumerate(func.results)]
    for k, (name, t, is_out) in enumerate(slots):
        v = f"a{k}"
        if not isinstance(t, BufferType):  # scalar parameter (by value) or scalar result
            elem, shape, scalar_param = t, (), not is_out
        else:
            elem, shape, scalar_param = t.dtype, t.shape, False
        if isinstance(elem, AlloType) is False:
            raise BackendError(f"C simulation cannot pass stream argument '{name}' from Python")
        ct, size = c_type(elem), int(np.prod(shape)) if shape else 1
        if _is_direct(elem):
            pre.append(f"  {ct}* {v} = ({ct}*)args[{k}];")
        else:
            cont = "uint64_t" if _is_wide(elem) else _container_ctype(elem)
            step = f" * {_words(elem)}" if _is_wide(elem) else ""
            pre.append(f"  {cont}* {v}_c = ({cont}*)args[{k}];")
            pre.append(f"  std::unique_ptr<{ct}[]> {v}_v(new {ct}[{size}]);")
            pre.append(f"  {ct}* {v} = {v}_v.get();")
            src = f"{v}_c + n{step}" if _is_wide(elem) else f"{v}_c[n]"
            pre.append(f"  for (int n = 0; n < {size}; ++n) {v}[n] = {_load(elem, src)};")
            dst = f"{v}_c + n{step}" if _is_wide(elem) else f"{v}_c[n]"
            if not scalar_param:
                post.append(f"  for (int n = 0; n < {size}; ++n) {_store(elem, f'{v}[n]', dst)}")
        if len(shape) >= 2:
            dims = "".join(f"[{d}]" for d in shape[1:])
            call.append(f"reinterpret_cast<{ct}(*){dims}>({v})")
        elif len(shape) == 1:
            call.append(v)
        else:
            call.append(f"*{v}")
    lines = [f'extern "C" int {entry}(void** args) {{', "  hls::allo_csim_error().clear();", *pre,
             f"  {identifier(func.name)}({', '.join(call)});", *post,
             "  return hls::allo_csim_error().empty() ? 0 : 1;", "}"]
    return "\n".join(lines)


ERROR_MESSAGE_FN = "allo_csim_error_message"
_ERROR_MESSAGE = f'''extern "C" const char* {ERROR_MESSAGE_FN}() {{
  return hls::allo_csim_error().c_str();
}}
'''


# ------------------------------------------------------------------ modules
class CsimModule:
    """A design compiled for C simulation; called like every Allo module.

    ``mod(*inputs)`` follows :mod:`allo.runtime` (results returned); ``mod(*inputs,
    *outputs)`` also accepts preallocated output arrays, filled in place, as public Allo's
    HLS modules are called.
    """

    def __init__(self, module: Module, lib: ctypes.CDLL, entry: str, library_path: Path,
                 design: Optional[EmittedDesign] = None):
        self.module = module
        self.func = module.top_func
        self._fn = getattr(lib, entry)
        self._fn.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        self._fn.restype = ctypes.c_int
        self._error_message = getattr(lib, ERROR_MESSAGE_FN)
        self._error_message.restype = ctypes.c_char_p
        self._lib = lib
        self.library_path = library_path
        self.design = design

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        f = self.func
        if kwargs:  # keywords name parameters; outputs can only be passed by position
            args = bind_arguments(f, args, kwargs)
        n_in, n_out = len(f.params), len(f.results)
        if n_out and len(args) == n_in + n_out:
            for k, (dst, t) in enumerate(zip(args[n_in:], f.results)):
                shape = t.shape if isinstance(t, BufferType) else ()
                if not isinstance(dst, np.ndarray) or dst.shape != shape:
                    got = (f"an array of shape {dst.shape}" if isinstance(dst, np.ndarray)
                           else f"{type(dst).__name__} {dst!r}")
                    raise CallError(f"{f.name}() takes {n_in} argument(s) "
                                    f"({', '.join(p.name for p in f.params)}), got {len(args)}: "
                                    f"argument {n_in + k} would be the preallocated output array "
                                    f"of result {k}, but it is {got}, not an array of shape "
                                    f"{shape}",
                                    hint="pass one value per kernel parameter (and optionally "
                                         "one preallocated numpy array per kernel result)")
            results = invoke(f, args[:n_in], self._execute, written_params(self.module)[f.name])
            results = [results] if n_out == 1 else results
            for dst, val in zip(args[n_in:], results):
                dst[...] = val
            return None
        return invoke(f, args, self._execute, written_params(self.module)[f.name])

    def _execute(self, cargs: List[Any]) -> List[Any]:
        f = self.func
        keep, ptrs, wide_back = [], [], []
        for p, a in zip(f.params, cargs):
            t = p.type
            if isinstance(t, BufferType):
                arr, wide = self._container(a, t.dtype)
                if wide:  # the kernel wrote words: convert them back into the object array
                    wide_back.append((a, arr, t.dtype))
            else:
                arr, _ = self._container(np.array(a, dtype=container_dtype(t)), t)
            keep.append(arr)
            ptrs.append(arr.ctypes.data)
        outs = []
        for t in f.results:
            bt = t if isinstance(t, BufferType) else BufferType(t, ())
            arr = np.zeros(bt.shape, dtype=container_dtype(bt.dtype))
            words, _ = self._container(arr, bt.dtype)
            outs.append((arr, words, bt))
            keep.append(words)
            ptrs.append(words.ctypes.data)
        argv = (ctypes.c_void_p * max(len(ptrs), 1))(*ptrs)
        failed = self._fn(argv)
        if failed:
            message = self._error_message().decode(errors="replace")
            raise AlloError(f"{f.name}: {message}", where="C simulation",
                            hint="a consumer reads a stream before its producer writes it (or "
                                 "reads more than is written); reorder the processes or fix "
                                 "the counts; verify the design to locate the FIFO")
        for user, words, t in wide_back:
            user[...] = _from_words(words, t)
        results = []
        for arr, words, bt in outs:
            if words is not arr:
                arr = _from_words(words, bt.dtype)
            results.append(arr if bt.shape else _scalar(arr, bt.dtype))
        return results

    @staticmethod
    def _container(a: np.ndarray, t: AlloType):
        """The memory passed to C++ and whether it is a word array (wide integers)."""
        if _is_wide(t):
            return _to_words(a, t), True
        arr = np.ascontiguousarray(a)
        return arr, False


def _to_words(a: np.ndarray, t: AlloType) -> np.ndarray:
    nw = _words(t)
    out = np.zeros(a.shape + (nw,), dtype=np.uint64)
    flat, mask = out.reshape(-1, nw), (1 << (nw * 64)) - 1
    for n, v in enumerate(np.asarray(a, dtype=object).reshape(-1)):
        pat = int(v) & mask
        for k in range(nw):
            flat[n, k] = (pat >> (64 * k)) & 0xFFFFFFFFFFFFFFFF
    return out


def _from_words(words: np.ndarray, t: AlloType) -> np.ndarray:
    nw, bits = _words(t), t.bits
    flat = words.reshape(-1, nw)
    out = np.empty(words.shape[:-1], dtype=object)
    oflat = out.reshape(-1)
    for n in range(flat.shape[0]):
        pat = sum(int(flat[n, k]) << (64 * k) for k in range(nw)) & ((1 << bits) - 1)
        if t.signed and pat >> (bits - 1):
            pat -= 1 << bits
        oflat[n] = pat
    return out


def _scalar(arr: np.ndarray, t: AlloType) -> Any:
    v = arr[()]
    if isinstance(t, Float):
        return v
    return int(v)


# ------------------------------------------------------------------ compiling
def translation_unit(designs: Sequence[EmittedDesign], modules: Sequence[Module]) -> str:
    """One C++ file holding every design in its own namespace, plus their wrappers."""
    parts = [HELPERS_H, "#include <memory>", _WORD_HELPERS]
    for k, (d, m) in enumerate(zip(designs, modules)):
        parts.append(f"namespace allo_d{k} {{\n{d.prototypes}\n{d.body}\n"
                     f"{wrapper(m.top_func, f'allo_entry_{k}')}\n}}  // namespace allo_d{k}\n")
    parts.append(_ERROR_MESSAGE)
    return "\n".join(parts)


def compile_source(source: str, extra_flags: Sequence[str] = ()) -> Path:
    """Compile ``source`` into a shared library (cached by content hash); returns its path."""
    flags = [*CXXFLAGS, *extra_flags]
    key = hashlib.sha256("\0".join([source, *flags, HLS_STREAM_H]).encode()).hexdigest()[:24]
    d = cache_root() / key
    lib = d / "kernel.so"
    if lib.exists():
        return lib
    d.mkdir(parents=True, exist_ok=True)
    src = d / "csim.cpp"
    src.write_text(source)
    tmp = d / f"kernel.so.{os.getpid()}"
    cmd = [compiler(), *flags, "-isystem", str(ap_types_dir()), "-I", str(support_dir()),
           str(src), "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        errors = "\n".join(line for line in proc.stderr.splitlines() if "error" in line)[:4000]
        raise BackendError(f"g++ could not compile the generated C++ ({src}):\n{errors}",
                           where="build(mode='csim')",
                           hint="this is a bug in the HLS backend; please report it with the file")
    os.replace(tmp, lib)
    return lib


def compile_designs(modules: Sequence[Module], designs: Optional[Sequence[EmittedDesign]] = None
                    ) -> List[CsimModule]:
    """Compile several IR modules with one g++ run; returns one :class:`CsimModule` each.

    Example: ``m1, m2 = compile_designs([mod_a, mod_b])``.
    """
    designs = list(designs) if designs is not None else [emit_design(m) for m in modules]
    lib_path = compile_source(translation_unit(designs, modules))
    lib = ctypes.CDLL(str(lib_path))
    return [CsimModule(m, lib, f"allo_entry_{k}", lib_path, d)
            for k, (m, d) in enumerate(zip(modules, designs))]


__all__ = ["CsimModule", "compile_designs", "compile_source", "translation_unit", "wrapper",
           "ap_types_dir", "support_dir", "cache_root", "CXXFLAGS"]
