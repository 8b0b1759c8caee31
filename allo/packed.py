"""Packed integers in the calling convention: arrays of :func:`allo.utils.get_np_struct_type`.

numpy has no integer wider than 64 bits, so public Allo programs pass ``int128`` (and
other wide) buffers as arrays of a structured dtype of raw bytes: ``X.view(np_type)``
packs every 16 ``int8``s into one ``int128``. A buffer argument of an integer type given
as such an array (fields of unsigned bytes, ``ceil(bits / 8)`` bytes per element) is read
as little-endian integers of the declared width, and what the kernel writes is packed back
into it. A call that passes any packed array gets its results wider than 64 bits packed
the same way (other results keep their usual dtypes).

Example::

    >>> import numpy as np
    >>> from allo.ir.types import Int
    >>> from allo.utils import get_np_struct_type
    >>> packed = np.arange(16, dtype=np.uint8).view(get_np_struct_type(128))
    >>> ints = unpack(packed, Int(128))
    >>> hex(ints[0])
    '0xf0e0d0c0b0a09080706050403020100'
    >>> np.array_equal(pack(ints, Int(128)).view(np.uint8), np.arange(16, dtype=np.uint8))
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ir.types import AlloType, Int, wrap_int
from .utils import get_np_struct_type


def is_packed(dtype: np.dtype, elem: AlloType) -> bool:
    """Whether arrays of ``dtype`` hold packed integers of ``elem`` (raw bytes, one element
    per ``ceil(bits / 8)`` bytes). Example: ``is_packed(get_np_struct_type(128), Int(128))``."""
    return (isinstance(elem, Int) and not elem.is_index and dtype.kind == "V"
            and dtype.names is not None and dtype.itemsize == -(-elem.bits // 8)
            and all(dtype.fields[n][0] == np.dtype(np.uint8) for n in dtype.names))


def unpack(packed: np.ndarray, elem: Int) -> np.ndarray:
    """The integers of a packed array (little-endian, wrapped to ``elem``): an object array
    of Python ints above 64 bits, else the integer dtype of ``elem``."""
    n = packed.dtype.itemsize
    rows = np.ascontiguousarray(packed).view(np.uint8).reshape(-1, n)
    values = [wrap_int(int.from_bytes(r.tobytes(), "little"), elem.bits, elem.signed)
              for r in rows]
    dtype = elem.numpy_dtype()
    return np.array(values, dtype=dtype).reshape(packed.shape)


def pack(values: Any, elem: Int) -> np.ndarray:
    """Integers of ``elem`` as a packed array of :func:`get_np_struct_type` (two's
    complement, little-endian)."""
    arr = np.asarray(values)
    n = -(-elem.bits // 8)
    mask = (1 << (8 * n)) - 1
    raw = b"".join((int(v) & mask).to_bytes(n, "little") for v in arr.reshape(-1))
    return np.frombuffer(raw, dtype=get_np_struct_type(elem.bits)).reshape(arr.shape).copy()


__all__ = ["is_packed", "unpack", "pack"]
