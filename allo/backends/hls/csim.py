"""C simulation: compile generated HLS C++ with g++ and call it with numpy arrays.

The C++ is compiled (``-O2 -std=c++17``, no fast-math, no FMA contraction, and
``-frounding-math``, see :data:`CXXFLAGS`) into a shared
library against the Xilinx ``ap_types`` headers that the ``hls4ml`` package ships (found
at run time, never copied into this repository; ``ALLO_AP_TYPES`` overrides the location)
and Allo's own minimal ``hls_stream.h``. An ``extern "C"`` wrapper per design converts
execution containers (:mod:`allo.runtime`) to the kernel's C++ types and back. Libraries
are cached by a hash of the code under ``~/.cache/allo/csim/<hash>`` (``ALLO_CACHE_DIR``
or ``XDG_CACHE_HOME`` moves the root, :func:`allo.verification.cache.allo_cache_dir`). Several designs can share one g++ run (:func:`compile_designs`).

Example::

    mod = compile_designs([module])[0]
    C = mod(A, B)                 # or mod(A, B, C_out): preallocated outputs
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ...errors import AlloError, BackendError, CallError
from ...ir.aliasing import written_params
from ...ir.nodes import Alloc, Func, Module, walk_stmts
from ...ir.state import has_state
from ...ir.types import AlloType, BufferType, Fixed, Float
from ...runtime import bind_arguments, container_dtype, invoke
from .codegen import EmittedDesign, emit_design
from .ctypes_map import c_type, identifier, is_native_int
from .csim_process import CsimWorker
from .prelude import HELPERS_H, HLS_STREAM_H

# -frounding-math: g++ 12 folds ``0.0 - (double)i`` to ``-(double)i`` (wrong for i == 0:
# -0.0 instead of +0.0) unless sign-dependent rounding is honoured; run-time results are
# unchanged (the rounding mode stays round-to-nearest), only such folds are refused
CXXFLAGS = ["-O2", "-std=c++17", "-fPIC", "-shared", "-ffp-contract=off", "-fno-fast-math",
            "-frounding-math"]


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
    from ...verification.cache import allo_cache_dir

    return allo_cache_dir() / "csim"


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


def wrapper(func: Func, entry: str, cname: Optional[str] = None) -> str:
    """The ``extern "C" int entry(void** allo_args)`` that runs ``func`` (C++ name
    ``cname``) on containers; it returns 1 when the simulation recorded a design error (see
    :data:`ERROR_MESSAGE_FN`) and 2 when an index check failed (``allo_fault_site()``).
    Its locals are ``allo_*`` names, which no user name can take."""
    pre, call, post = [], [], []
    slots = [(p.name, p.type, False) for p in func.params]
    slots += [(f"out{k}", t, True) for k, t in enumerate(func.results)]
    for k, (name, t, is_out) in enumerate(slots):
        v = f"allo_a{k}"
        if not isinstance(t, BufferType):  # scalar parameter (by value) or scalar result
            elem, shape, scalar_param = t, (), not is_out
        else:
            elem, shape, scalar_param = t.dtype, t.shape, False
        if isinstance(elem, AlloType) is False:
            raise BackendError(f"C simulation cannot pass stream argument '{name}' from Python")
        ct, size = c_type(elem), int(np.prod(shape)) if shape else 1
        if _is_direct(elem):
            pre.append(f"  {ct}* {v} = ({ct}*)allo_args[{k}];")
        else:
            cont = "uint64_t" if _is_wide(elem) else _container_ctype(elem)
            step = f" * {_words(elem)}" if _is_wide(elem) else ""
            pre.append(f"  {cont}* {v}_c = ({cont}*)allo_args[{k}];")
            pre.append(f"  std::unique_ptr<{ct}[]> {v}_v(new {ct}[{size}]);")
            pre.append(f"  {ct}* {v} = {v}_v.get();")
            src = f"{v}_c + allo_n{step}" if _is_wide(elem) else f"{v}_c[allo_n]"
            pre.append(f"  for (long long allo_n = 0; allo_n < {size}; ++allo_n) "
                       f"{v}[allo_n] = {_load(elem, src)};")
            dst = f"{v}_c + allo_n{step}" if _is_wide(elem) else f"{v}_c[allo_n]"
            if not scalar_param:
                post.append(f"  for (long long allo_n = 0; allo_n < {size}; ++allo_n) "
                            f"{_store(elem, f'{v}[allo_n]', dst)}")
        if len(shape) >= 2:
            dims = "".join(f"[{d}]" for d in shape[1:])
            call.append(f"reinterpret_cast<{ct}(*){dims}>({v})")
        elif len(shape) == 1:
            call.append(v)
        else:
            call.append(f"*{v}")
    name = cname or identifier(func.name)
    lines = [f'extern "C" int {entry}(void** allo_args) {{', "  hls::allo_csim_error().clear();",
             "  try {", *pre, f"  {name}({', '.join(call)});", *post,
             "  } catch (const allo_index_fault& allo_f) {", "    allo_last_fault() = allo_f;",
             "    return 2;", "  }",
             "  return hls::allo_csim_error().empty() ? 0 : 1;", "}"]
    return "\n".join(lines)


ERROR_MESSAGE_FN = "allo_csim_error_message"
_ERROR_MESSAGE = f'''extern "C" const char* {ERROR_MESSAGE_FN}() {{
  return hls::allo_csim_error().c_str();
}}
extern "C" int allo_fault_site() {{ return allo_last_fault().site; }}
extern "C" long long allo_fault_index() {{ return allo_last_fault().index; }}
'''

# Bounds checks of C simulation (emit_design(..., bounds_checks=True)): a failed check
# stops the kernel with an exception that the entry wrapper turns into status 2.
_CHECK_HELPERS = r"""
struct allo_index_fault { int site; long long index; };
static inline allo_index_fault& allo_last_fault() { static allo_index_fault f{-1, 0}; return f; }
template <typename I> static inline long long allo_check_index(I i, long long n, int site) {
  long long v = (long long)(i);
  if (v < 0 || v >= n) throw allo_index_fault{site, v};
  return v;
}
#define ALLO_CHECK_INDEX(i, n, site) allo_check_index((i), (n), (site))
"""


# ------------------------------------------------------------------ stack budget
_STACK_BASE = 64 << 20  # for the kernel's scalars, call frames and helpers


def _c_sizeof(t: AlloType) -> int:
    """An upper bound of ``sizeof`` of ``t``'s C++ type (ap types round up to words)."""
    if isinstance(t, Float) or (is_native_int(t) and t.bits in (8, 16, 32, 64)):
        return max(1, t.bits // 8)
    return 8 * ((t.bits + 63) // 64) + 8


def stack_budget() -> int:
    """The most stack C simulation may use: ``ALLO_CSIM_STACK_MB`` (MiB) or a quarter of
    the machine's memory. Example: ``stack_budget() >= 64 << 20``."""
    env = os.environ.get("ALLO_CSIM_STACK_MB")
    if env:
        try:
            return max(1, int(env)) << 20
        except ValueError:
            raise BackendError(f"ALLO_CSIM_STACK_MB must be a whole number of MiB, got {env!r}",
                               where="C simulation", hint="e.g. ALLO_CSIM_STACK_MB=4096") from None
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 8 << 30
    return max(_STACK_BASE * 2, ram // 4)


def stack_need(module: Module) -> Tuple[int, Optional[Tuple[str, str, int, Any]]]:
    """Bytes of stack the design's local buffers take (every function's locals at once,
    an upper bound), and the largest one as ``(func, buffer, bytes, loc)``.

    Example: ``stack_need(allo.customize(gemm).ir)[0] >= 64 << 20``.
    """
    total, largest = _STACK_BASE, None
    for fname, f in module.funcs.items():
        for st in walk_stmts(f.body):
            if isinstance(st, Alloc) and not st.stateful and isinstance(st.type, BufferType) and st.type.shape \
                    and isinstance(st.type.dtype, AlloType):
                size = int(np.prod(st.type.shape, dtype=object)) * _c_sizeof(st.type.dtype)
                total += size
                if largest is None or size > largest[2]:
                    largest = (fname, st.name, size, st.loc)
    return total, largest


# ------------------------------------------------------------------ modules
class CsimModule:
    """A design compiled for C simulation; called like every Allo module.

    ``mod(*inputs)`` follows :mod:`allo.runtime` (results returned); ``mod(*inputs,
    *outputs)`` also accepts preallocated output arrays, filled in place, as public Allo's
    HLS modules are called. The C++ runs in a child process (:class:`CsimWorker`) with
    every index checked: an out-of-bounds index or a crash is an :class:`AlloError`.
    """

    def __init__(self, module: Module, library_path: Path, entry: str,
                 design: Optional[EmittedDesign] = None, sites: Sequence[Any] = ()):
        self.module = module
        self.func = module.top_func
        self.library_path = library_path
        self.entry = entry
        self.design = design
        self.sites = list(sites)
        self.stack_bytes, self._largest = stack_need(module)
        # a stateful design keeps its `static` state in the child process that runs it:
        # this module gets a child of its own (never shared, never evicted from the pool)
        self._state_worker: Optional[CsimWorker] = None
        self._state_lost = False
        self.stateful = has_state(module)

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
                if not dst.flags.writeable:
                    raise CallError(f"{f.name}(): the preallocated output array of result {k} "
                                    "(argument {n}) is read-only".replace("{n}", str(n_in + k)),
                                    hint="pass a writeable array (e.g. np.zeros(...) or a copy)")
            results = invoke(f, args[:n_in], self._execute, written_params(self.module)[f.name])
            results = [results] if n_out == 1 else results
            for dst, val in zip(args[n_in:], results):
                dst[...] = val
            return None
        return invoke(f, args, self._execute, written_params(self.module)[f.name])

    def _execute(self, cargs: List[Any]) -> List[Any]:
        f = self.func
        budget = stack_budget()
        if self.stack_bytes > budget:
            fname, buf, size, loc = self._largest
            raise BackendError(f"C simulation of {f.name} needs about {self.stack_bytes >> 20} MiB "
                               f"of stack for local buffers (the largest, '{buf}' in {fname}, "
                               f"takes {size >> 20} MiB); the budget is {budget >> 20} MiB",
                               loc=loc, where="C simulation",
                               hint="shrink the local buffer, pass it in as a parameter, or "
                                    "raise ALLO_CSIM_STACK_MB")
        buffers: List[np.ndarray] = []
        which: List[int] = []
        shared: Dict[Any, int] = {}  # one array passed twice is one buffer in C++ too
        back = []  # (slot, the container to update, element type)
        for p, a in zip(f.params, cargs):
            t = p.type
            if isinstance(t, BufferType):
                key = (id(a), t.dtype, t.shape)
                if key not in shared:
                    shared[key] = len(buffers)
                    buffers.append(self._container(a, t.dtype))
                    back.append((shared[key], a, t.dtype))
                which.append(shared[key])
            else:
                which.append(len(buffers))
                buffers.append(self._container(np.array(a, dtype=container_dtype(t)), t))
        outs = []
        for t in f.results:
            bt = t if isinstance(t, BufferType) else BufferType(t, ())
            which.append(len(buffers))
            outs.append((len(buffers), bt))
            buffers.append(self._container(np.zeros(bt.shape, dtype=container_dtype(bt.dtype)),
                                           bt.dtype))
        worker = self._worker()
        try:
            status, message, site, index, after = worker.call(
                str(self.library_path), self.entry, [b.tobytes() for b in buffers], which,
                self.stack_bytes)
        except EOFError:
            self._state_lost = self.stateful
            how, tail = worker.crash_report()
            raise BackendError(f"C simulation of {f.name} crashed ({how}); the generated C++ "
                               f"ran in a child process, so this interpreter is unaffected"
                               + (f"\n{tail}" if tail else ""), where="C simulation",
                               hint="run the design with target='llvm' or the interpreter to "
                                    "locate the fault; report it if they run correctly") from None
        if status == 2:
            raise self._bounds_error(site, index)
        if status == 1:
            raise AlloError(f"{f.name}: {message}", where="C simulation",
                            hint="a consumer reads a stream before its producer writes it (or "
                                 "reads more than is written); reorder the processes or fix "
                                 "the counts; verify the design to locate the FIFO")
        if status != 0:
            raise BackendError(f"C simulation of {f.name} failed (status {status})",
                               where="C simulation", hint="report this with the design")
        fresh = [np.frombuffer(data, dtype=b.dtype).reshape(b.shape).copy()
                 for data, b in zip(after, buffers)]
        for slot, user, t in back:
            user[...] = _from_words(fresh[slot], t) if _is_wide(t) else fresh[slot]
        results = []
        for slot, bt in outs:
            arr = _from_words(fresh[slot], bt.dtype) if _is_wide(bt.dtype) else fresh[slot]
            results.append(arr if bt.shape else _scalar(arr, bt.dtype))
        return results

    def _worker(self) -> CsimWorker:
        if not self.stateful:
            return CsimWorker.for_library(str(self.library_path))
        if self._state_lost:
            raise BackendError(f"C simulation of {self.func.name} crashed earlier and its "
                               "Stateful variables were lost with the child process",
                               where="C simulation",
                               hint="build the design again to start from the initial state")
        if self._state_worker is None:
            self._state_worker = CsimWorker()
        return self._state_worker

    def _bounds_error(self, site_id: int, index: int) -> AlloError:
        if not 0 <= site_id < len(self.sites):
            return BackendError(f"C simulation of {self.func.name}: an index was out of range",
                                where="C simulation", hint="check the loop bounds and indices")
        site = self.sites[site_id]
        return AlloError(f"index {index} out of range for {site.buffer} of extent {site.extent} "
                         f"(dim {site.dim + 1}) in function '{site.func}'", loc=site.loc,
                         where="C simulation",
                         hint="check the loop bounds and the index values (e.g. data-dependent "
                              "indices read from an input array)")

    @staticmethod
    def _container(a: np.ndarray, t: AlloType) -> np.ndarray:
        """The memory passed to C++: a C-contiguous array of the container (or word) type,
        of ``a``'s shape (never the 1-element array ``ascontiguousarray`` makes of a 0-d)."""
        if _is_wide(t):
            return _to_words(a, t)
        return np.require(np.asarray(a), requirements="C").reshape(np.shape(a))


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
    parts = [HELPERS_H, "#include <memory>", _WORD_HELPERS, _CHECK_HELPERS]
    for k, (d, m) in enumerate(zip(designs, modules)):
        parts.append(f"namespace allo_d{k} {{\n{d.prototypes}\n{d.body}\n"
                     f"{wrapper(m.top_func, f'allo_entry_{k}', d.top)}\n}}  // namespace allo_d{k}\n")
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
    shown = list(designs) if designs is not None else [emit_design(m) for m in modules]
    checked = [emit_design(m, bounds_checks=True) for m in modules]  # what csim runs
    lib_path = compile_source(translation_unit(checked, modules))
    return [CsimModule(m, lib_path, f"allo_entry_{k}", d, c.sites)
            for k, (m, d, c) in enumerate(zip(modules, shown, checked))]


__all__ = ["CsimModule", "CsimWorker", "compile_designs", "stack_budget", "stack_need", "compile_source", "translation_unit", "wrapper",
           "ap_types_dir", "support_dir", "cache_root", "CXXFLAGS"]
