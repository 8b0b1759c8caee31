"""Allo: a verification-centric, Python-embedded accelerator design language.

Example::

    import allo
    from allo.ir.types import float32

    def gemm(A: float32[32, 32], B: float32[32, 32]) -> float32[32, 32]:
        C: float32[32, 32] = 0.0
        for i, j, k in allo.grid(32, 32, 32):
            C[i, j] += A[i, k] * B[k, j]
        return C

    s = allo.customize(gemm)
    s.reorder("k", "j")
    print(s.module)          # MLIR
    assert s.verify()        # proved equivalent to the original
    mod = s.build()          # LLVM JIT, called with numpy arrays
"""

from .errors import AlloError
from .ir.types import (  # noqa: F401  (re-exported types)
    AlloType, BufferType, Fixed, Float, Index, Int, Stream, StreamType, UFixed, UInt,
    bfloat16, bool_, float16, float32, float64, index,
    int1, int2, int3, int4, int5, int6, int7, int8, int16, int32, int64, int128, int256, int512,
    uint1, uint2, uint3, uint4, uint5, uint6, uint7, uint8, uint16, uint32, uint64, uint128,
    uint256, uint512,
)

__version__ = "0.1.0"

# The rest of the public API is imported on first use (PEP 562), so that importing
# ``allo.ir`` alone stays light and the layers below the API never import the layers above.
_LAZY = {
    "customize": "allo.schedule", "verify": "allo.schedule", "Schedule": "allo.schedule",
    "Partition": "allo.typesys.partition",
}

_SUBMODULES = ("frontend", "library")


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:  # ``allo.frontend.from_pytorch``, ``allo.library.nn``
        return importlib.import_module(f"allo.{name}")
    builtins = importlib.import_module("allo.builtins")
    if hasattr(builtins, name) and not name.startswith("_"):
        value = getattr(builtins, name)
        globals()[name] = value  # looked up once: the frontend resolves allo.meta_if per PE
        return value
    raise AttributeError(f"module 'allo' has no attribute {name!r}")
