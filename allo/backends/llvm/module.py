"""The callable result of :func:`allo.backends.llvm.build` (numpy calling convention).

Arguments are validated and converted by :mod:`allo.runtime` (shared by every backend);
this module only moves containers in and out of the JIT-compiled entry point: native
arrays by pointer, integers wider than 64 bits through a little-endian byte buffer of the
padded width, scalars through one-element buffers, results into freshly allocated,
zeroed, 64-byte aligned ones (the generated code declares them ``noalias align 64``; see
:mod:`.direct_results`). An array passed for several parameters is one buffer for all of
them, exactly as the interpreter sees it (writes through one are seen through the others).

Example::

    mod = build(module)      # an LLVMModule
    C = mod(A, B)            # numpy in, numpy out
    print(mod.llvm_ir[:80])  # the optimised LLVM IR
"""

from __future__ import annotations

import ctypes
from typing import Any, List, Optional, Sequence

import numpy as np

from ...errors import AlloError
from ...ir.aliasing import written_params
from ...ir.nodes import Module
from ...ir.types import AlloType, BufferType, Float, wrap_int
from ...runtime import bind_arguments, container_dtype, invoke
from .entry import RESULT_ALIGN
from .lltypes import storage_bytes
from .streams import ERR_BOUNDS, ERROR_INDEX, ERROR_SITE

_ENTRY_TYPE = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p)


def aligned_zeros(shape, dtype, align: int = RESULT_ALIGN) -> np.ndarray:
    """A zero-filled C-contiguous array whose data starts on an ``align``-byte boundary.

    Example: ``aligned_zeros((4, 4), np.float32).ctypes.data % 64 == 0``.
    """
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize if shape else dtype.itemsize
    raw = np.zeros(nbytes + align, dtype=np.uint8)
    start = (-raw.ctypes.data) % align
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def _is_wide(t: AlloType) -> bool:
    return not isinstance(t, Float) and t.bits > 64


class _Slot:
    """One argument or result as memory the JIT reads/writes."""

    def __init__(self, t: AlloType, shape, value: Any = None):
        self.t, self.shape, self.value = t, shape, value
        n = int(np.prod(shape)) if shape else 1
        if _is_wide(t):
            self.mem = aligned_zeros((n * storage_bytes(t),), np.uint8)
            if value is not None:
                flat = np.asarray(value, dtype=object).reshape(-1)
                nb, mask = storage_bytes(t), (1 << (8 * storage_bytes(t))) - 1
                self.mem[:] = np.frombuffer(b"".join((int(v) & mask).to_bytes(nb, "little")
                                                     for v in flat), dtype=np.uint8)
        elif value is None:
            self.mem = aligned_zeros(shape, container_dtype(t))
        elif isinstance(value, np.ndarray):
            self.mem = value  # contiguous container: used in place
        else:
            self.mem = np.array(value, dtype=container_dtype(t))

    @property
    def address(self) -> int:
        return self.mem.ctypes.data

    def read(self) -> Any:
        """The slot's contents as a container (arrays) or value (scalars)."""
        if _is_wide(self.t):
            nb = storage_bytes(self.t)
            raw = self.mem.tobytes()
            vals = [int.from_bytes(raw[k:k + nb], "little", signed=self.t.signed) & ((1 << nb * 8) - 1)
                    for k in range(0, len(raw), nb)]
            vals = [wrap_int(v, self.t.bits, self.t.signed) for v in vals]  # Int or Fixed raw
            if not self.shape:
                return vals[0]
            out = np.empty(len(vals), dtype=object)
            out[:] = vals
            return out.reshape(self.shape)
        if self.shape:
            return self.mem
        v = self.mem[()]
        return v if isinstance(self.t, Float) else int(v)

    def write_back(self) -> None:
        """Copy a wide-integer buffer back into the object container it came from."""
        if _is_wide(self.t) and isinstance(self.value, np.ndarray):
            self.value.reshape(-1)[:] = self.read().reshape(-1)


class LLVMModule:
    """A JIT-compiled design: call it like the kernel. ``llvm_ir`` holds the optimised IR."""

    def __init__(self, module: Module, engine: Any, address: int, llvm_ir: str,
                 sites: Optional[Sequence[Any]] = None):
        self.module = module
        self._sites = list(sites or [])  # bounds-check site id -> BoundsSite
        self.func = module.top_func
        self._written = written_params(module)[self.func.name]  # host aliasing check
        self.llvm_ir = llvm_ir
        self._engine = engine  # keeps the machine code alive
        self._entry = _ENTRY_TYPE(address)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return invoke(self.func, bind_arguments(self.func, args, kwargs), self._execute,
                      self._written)

    def _execute(self, cargs: Sequence[Any]) -> List[Any]:
        f = self.func
        slots = []
        shared = {}  # id(container) -> its slot: one array passed twice stays one buffer
        for p, v in zip(f.params, cargs):
            t = p.type
            if isinstance(t, BufferType):
                key = (id(v), t.dtype, t.shape)
                if key not in shared:
                    shared[key] = _Slot(t.dtype, t.shape, v)
                slots.append(shared[key])
            else:
                slots.append(_Slot(t, (), v))
        outs = [_Slot(t.dtype, t.shape) if isinstance(t, BufferType) else _Slot(t, ())
                for t in f.results]
        argv = (ctypes.c_void_p * max(len(slots) + len(outs), 1))(
            *[s.address for s in slots + outs])
        status = self._entry(ctypes.cast(argv, ctypes.c_void_p))
        for s in {id(s): s for s in slots}.values():
            s.write_back()
        if status == ERR_BOUNDS:
            raise self._bounds_error()
        if status != 0:
            raise AlloError(f"{f.name}: a stream was read while empty (FIFO underflow)",
                            hint="make every stream get match an earlier put in program order")
        return [s.read() for s in outs]

    def _bounds_error(self) -> AlloError:
        """The error a failed index check left in the module's globals."""
        site_id = ctypes.c_int32.from_address(self._engine.get_global_value_address(ERROR_SITE)).value
        index = ctypes.c_int64.from_address(self._engine.get_global_value_address(ERROR_INDEX)).value
        site = self._sites[site_id]
        return AlloError(f"index {index} out of range for {site.buffer} of extent {site.extent} "
                         f"(dim {site.dim + 1}) in function '{site.func}'", loc=site.loc,
                         hint="check the loop bounds and the index values (e.g. data-dependent "
                              "indices read from an input array)")

    def __repr__(self) -> str:
        return f"<LLVMModule {self.func.name}>"
