"""Helpers public Allo's programs import from ``allo.utils``.

Example::

    >>> get_np_struct_type(128).itemsize
    16
"""

from __future__ import annotations

import numpy as np

from .errors import AlloTypeError


def get_np_struct_type(bitwidth: int) -> np.dtype:
    """A numpy dtype of ``ceil(bitwidth / 8)`` raw bytes, to hold one integer wider than
    numpy's own (``int128``, ``uint256``): ``arr.view(get_np_struct_type(128))`` packs
    every 16 bytes of ``arr`` into one element.

    Example: ``np.zeros(4, np.int8).view(get_np_struct_type(32)).shape == (1,)``.
    """
    if isinstance(bitwidth, bool) or not isinstance(bitwidth, (int, np.integer)) or bitwidth < 1:
        raise AlloTypeError(f"get_np_struct_type({bitwidth!r}) needs a positive bit width",
                            hint="e.g. get_np_struct_type(128)")
    n_bytes = -(-int(bitwidth) // 8)
    return np.dtype([(f"f{k}", np.uint8) for k in range(n_bytes)])
