"""Constant tables (``Alloc`` initialised from a numpy array) as bytes in storage layout.

Example::

    >>> import numpy as np
    >>> from allo.ir.types import int16
    >>> pack_elements(np.array([1, -1]), int16)
    b'\\x01\\x00\\xff\\xff'
"""

from __future__ import annotations

import numpy as np

from ...errors import BackendError
from ...ir.nodes import Alloc
from ...ir.types import AlloType, Fixed, Float
from .lltypes import storage_bytes


def table_bytes(arr: np.ndarray, elem: AlloType, shape, s: Alloc) -> bytes:
    """A constant table's bytes in the storage layout: the values are the runtime's
    :func:`~allo.runtime.constant_table` (the one conversion every backend uses, so float
    data for an integer table converts as in the interpreter and C simulation)."""
    from ...ir.types import BufferType
    from ...runtime import constant_table

    if arr.shape != tuple(shape):
        raise BackendError(f"LLVM backend: constant table for '{s.name}' has shape {arr.shape}, "
                           f"expected {tuple(shape)}", loc=s.loc)
    return pack_elements(constant_table(arr, BufferType(elem, tuple(shape))), elem)


def pack_elements(arr: np.ndarray, elem: AlloType) -> bytes:
    """Values of ``elem`` (container representation) as bytes in storage layout."""
    nbytes = storage_bytes(elem)
    if isinstance(elem, Float):
        return np.ascontiguousarray(arr, dtype=elem.numpy_dtype()).tobytes()
    if nbytes <= 8:
        dt = np.dtype(f"{'i' if elem.signed else 'u'}{nbytes}")
        return np.ascontiguousarray(np.asarray(arr).astype(dt, casting="unsafe")
                                    if arr.dtype != object else
                                    np.array([int(v) for v in arr.reshape(-1)], dtype=dt)).tobytes()
    mask = (1 << (8 * nbytes)) - 1
    return b"".join((int(v) & mask).to_bytes(nbytes, "little") for v in np.asarray(arr).reshape(-1))
