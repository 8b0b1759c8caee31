"""Hypothesis strategy for kernel arguments per the calling convention (docs/semantics.md).

Containers: integers up to 8/16/32/64 bits use ``(u)int8/16/32/64`` arrays, wider integers
``object`` arrays of Python ints, ``index`` ``int64``; fixed point ``float64`` arrays of
real values exactly representable in the fixed format; floats their own dtype
(``bfloat16`` from ``ml_dtypes``), sometimes holding NaN, +-inf and -0.0. Scalar
parameters get Python ints (integers), Python floats (fixed point) or numpy scalars
(floats).

Example::

    >>> from hypothesis import given
    >>> from allo.testing import inputs_for
    >>> # @given(inputs_for(module.top_func))
    >>> # def test_runs(args): interpreter(*args)
"""

from __future__ import annotations

from typing import Any, List, Union

import numpy as np
from hypothesis import strategies as st

from ..ir.nodes import Func, Module
from ..ir.types import AlloType, BufferType, Fixed, Float, StreamType
from .scalars import scalar_values


def _to_container(t: AlloType, raw: Any) -> Any:
    """One IR-representation value as the calling convention's Python value."""
    if isinstance(t, Fixed):
        return raw / float(2 ** t.frac)  # exact: raw has at most 53 significant bits
    if isinstance(t, Float):
        return raw
    return int(raw)


def array_for(btype: BufferType, specials: bool = True) -> st.SearchStrategy[np.ndarray]:
    """A numpy array for a buffer parameter of type ``btype``.

    Example: ``array_for(int128[2, 3]).example().dtype == object``.
    """
    if not isinstance(btype.dtype, AlloType):
        raise ValueError(f"inputs_for: stream buffers ({btype!r}) have no numpy input")
    t: AlloType = btype.dtype
    dtype = t.numpy_dtype()
    shape = btype.shape
    values = st.lists(scalar_values(t, specials=specials), min_size=btype.size,
                      max_size=btype.size)

    def build(raws: List[Any]) -> np.ndarray:
        items = [_to_container(t, r) for r in raws]
        if dtype == np.dtype(object):
            arr = np.empty(btype.size, dtype=object)
            arr[:] = items
            return arr.reshape(shape)
        return np.array(items, dtype=dtype).reshape(shape)

    return values.map(build)


def scalar_arg_for(t: AlloType, specials: bool = True) -> st.SearchStrategy[Any]:
    """A scalar argument of type ``t``: int, float (fixed point), numpy float scalar."""
    if isinstance(t, Float):
        dtype = t.numpy_dtype()
        return scalar_values(t, specials).map(lambda v: np.array(v, dtype=dtype)[()])
    return scalar_values(t, specials).map(lambda r: _to_container(t, r))


def inputs_for(func: Union[Func, Module], specials: bool = True) -> st.SearchStrategy[List[Any]]:
    """Arguments for ``func`` (a ``Func``, or a ``Module`` meaning its top function).

    One value per parameter, in order: numpy arrays of the declared shape for buffers,
    scalars for scalar parameters. ``specials=False`` leaves out NaN/inf/-0.0.

    Example::

        @given(data=st.data())
        def test_deterministic(data):
            mod = data.draw(kernels())
            args = data.draw(inputs_for(mod))
    """
    if isinstance(func, Module):
        func = func.top_func
    parts = []
    for p in func.params:
        if isinstance(p.type, BufferType):
            parts.append(array_for(p.type, specials))
        elif isinstance(p.type, StreamType):
            raise ValueError(f"inputs_for: parameter {p.name!r} is a stream; "
                             "streams are passed between kernels, not from numpy")
        else:
            parts.append(scalar_arg_for(p.type, specials))
    return st.tuples(*parts).map(list)


def copy_args(args: List[Any]) -> List[Any]:
    """Deep copies of ``args`` so two runs (which write arrays in place) start equal."""
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


__all__ = ["inputs_for", "array_for", "scalar_arg_for", "copy_args"]
