"""The numpy calling convention shared by every executable module (docs/semantics.md).

Two array representations meet here:

* **user arrays** have the dtypes of docs/semantics.md: ``(u)int8/16/32/64`` for integers up
  to 64 bits, ``object`` (Python ints) above, ``int64`` for ``index``, ``float64`` *real
  values* for fixed point, the float's own dtype for floats (``bfloat16`` from ml_dtypes);
* **execution containers** are what an executable (interpreter, LLVM JIT, C simulation)
  reads and writes: the same, except that integers are wrapped to their declared width and
  fixed point holds the *raw* integers (``Fixed(16, 8)`` -> an ``int16`` array of ``r``,
  meaning ``r / 2**8``).

:func:`prepare_args` validates and converts the caller's arguments into containers;
:meth:`PreparedCall.finish` copies every element the kernel changed back into the caller's
arrays (also when a conversion or contiguity copy was made); :func:`result_to_user` turns
results back into user values. :func:`invoke` strings the three together.

Example::

    >>> import numpy as np
    >>> from allo.ir.nodes import Func, Param
    >>> from allo.ir.types import int8, Fixed
    >>> f = Func("f", [Param("A", int8[2]), Param("x", Fixed(8, 4))], [], [])
    >>> call = prepare_args(f, (np.array([1, 2], dtype=np.int8), 0.5))
    >>> call.args[1]                      # scalar fixed point: raw value 0.5 * 2**4
    8
    >>> call.finish()
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .errors import AlloError, CallError
from .ir.nodes import Func
from .ir.types import AlloType, BufferType, Fixed, Float, Int, StreamType, wrap_int
from .packed import is_packed, pack, unpack
from .semantics.casts import fixed_raw_to_float, float_to_fixed_raw
from .semantics.values import int_to_float, make_float


class AlloWarning(UserWarning):
    """A call argument was converted (dtype, layout) before running a kernel."""


# ------------------------------------------------------------------ dtypes
def user_dtype(t: AlloType) -> np.dtype:
    """The dtype callers pass for element type ``t``. Example: ``user_dtype(Fixed(8, 4)) == np.float64``."""
    return np.dtype(t.numpy_dtype())


def container_dtype(t: AlloType) -> np.dtype:
    """The dtype executables use for ``t`` (fixed point: its raw integer container).

    Example: ``container_dtype(Fixed(16, 8)) == np.int16``.
    """
    if isinstance(t, Fixed):
        return np.dtype(t.raw.numpy_dtype())
    return np.dtype(t.numpy_dtype())


def _is_object(dt: np.dtype) -> bool:
    return dt == np.dtype(object)


def _wrap_int_array(a: np.ndarray, bits: int, signed: bool) -> np.ndarray:
    """Wrap every element to ``bits``; returns ``a`` itself when nothing changes."""
    if _is_object(a.dtype):
        out = np.empty(a.shape, dtype=object)
        flat_in, flat_out = a.reshape(-1), out.reshape(-1)
        for k, v in enumerate(flat_in):
            flat_out[k] = wrap_int(int(v), bits, signed)
        return out
    if bits >= a.dtype.itemsize * 8:
        return a
    wide = a.astype(np.int64)
    mask, sign = (1 << bits) - 1, 1 << (bits - 1)
    wrapped = wide & mask
    if signed:
        wrapped = (wrapped ^ sign) - sign
    if np.array_equal(wrapped, wide):
        return a
    return wrapped.astype(a.dtype)


def to_container(array: np.ndarray, t: AlloType) -> np.ndarray:
    """A user array (already of dtype ``user_dtype(t)``) as an execution container.

    Integers are wrapped to their width (the same array is returned when already in range);
    fixed point becomes raw integers by the float -> fixed cast (``floor(x * 2**F)``).

    Example::

        >>> to_container(np.array([0.75, -0.3]), Fixed(8, 2))
        array([ 3, -2], dtype=int8)
    """
    if isinstance(t, Fixed):
        out = np.empty(array.shape, dtype=container_dtype(t))
        flat_in, flat_out = array.reshape(-1), out.reshape(-1)
        if not _is_object(out.dtype) and t.frac <= 60:
            scaled = np.ldexp(array.astype(np.float64), t.frac)
            scaled = np.where(np.isfinite(scaled), np.floor(scaled), 0.0)
            if np.all(np.abs(scaled) < 2.0 ** 62):
                raw = scaled.astype(np.int64)
                mask, sign = (1 << t.bits) - 1, 1 << (t.bits - 1)
                raw = raw & mask if t.bits < 64 else raw
                if t.signed and t.bits < 64:
                    raw = (raw ^ sign) - sign
                return raw.astype(out.dtype)
        for k, v in enumerate(flat_in):
            flat_out[k] = float_to_fixed_raw(v, t.frac, t.bits, t.signed)
        return out
    if isinstance(t, Float):
        return array
    return _wrap_int_array(array, t.bits, t.signed)


def from_container(array: np.ndarray, t: AlloType) -> np.ndarray:
    """An execution container as a user array (fixed raw -> exact ``float64`` real values).

    Example::

        >>> from_container(np.array([3, -2], dtype=np.int8), Fixed(8, 2))
        array([ 0.75, -0.5 ])
    """
    if not isinstance(t, Fixed):
        return array
    if not _is_object(array.dtype) and t.bits <= 53 and t.frac <= 900:
        return np.ldexp(array.astype(np.float64), -t.frac)  # exact: |raw| < 2**53
    out = np.empty(array.shape, dtype=np.float64)
    flat_in, flat_out = array.reshape(-1), out.reshape(-1)
    for k, v in enumerate(flat_in):
        flat_out[k] = float(fixed_raw_to_float(int(v), t.frac, "f64"))
    return out


# ------------------------------------------------------------------ scalars
def scalar_to_value(x: Any, t: AlloType, name: str = "value") -> Any:
    """A Python/numpy scalar as the value representation of ``t`` (cast to the type).

    Ints wrap; floats round once; fixed point takes the raw value ``floor(x * 2**F)``.
    Integer parameters refuse non-integral values with :class:`CallError`.
    Example: ``scalar_to_value(300, int8) == 44``; ``scalar_to_value(0.5, Fixed(8, 4)) == 8``.
    """
    if isinstance(x, np.ndarray) and x.shape == ():
        x = x[()]
    integral = isinstance(x, (int, np.integer, np.bool_))
    real = integral or isinstance(x, (float, np.floating)) or (
        isinstance(x, np.generic) and x.dtype.kind == "V" and _is_float_like(x))
    if not real:
        raise CallError(f"argument '{name}': expected a scalar of type {t!r}, got {_describe(x)}",
                        hint="pass a Python or numpy number")
    if isinstance(t, Float):
        return int_to_float(int(x), t.kind) if integral else make_float(float(x), t.kind)
    if isinstance(t, Fixed):
        if integral:
            return wrap_int(int(x) << t.frac, t.bits, t.signed)
        return float_to_fixed_raw(x, t.frac, t.bits, t.signed)
    if not integral:
        raise CallError(f"argument '{name}': expected an integer of type {t!r}, got {_describe(x)}",
                        hint="pass an int, or convert explicitly with int(...)")
    return wrap_int(int(x), t.bits, t.signed)


def value_to_user(v: Any, t: AlloType) -> Any:
    """A scalar value as returned to the caller: a numpy scalar of the user dtype
    (a Python int for integers wider than 64 bits, the real value for fixed point).

    Example: ``value_to_user(-56, int8) == np.int8(-56)``; ``value_to_user(8, Fixed(8, 4)) == 0.5``.
    """
    if isinstance(t, Fixed):
        return np.float64(fixed_raw_to_float(int(v), t.frac, "f64"))
    if isinstance(t, Float):
        return v
    dt = user_dtype(t)
    return int(v) if _is_object(dt) else dt.type(int(v))


def _is_float_like(x: Any) -> bool:
    try:
        float(x)
        return True
    except (TypeError, ValueError):
        return False


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"


# ------------------------------------------------------------------ the call
@dataclass
class _Binding:
    user: np.ndarray        # the caller's array
    container: np.ndarray   # what the kernel reads and writes
    snapshot: np.ndarray    # container contents before the call
    elem: AlloType
    name: str


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Element mask of bit-level changes (NaN-safe, -0.0 vs 0.0 counts as a change)."""
    if _is_object(after.dtype):
        flat = [a != b for a, b in zip(before.reshape(-1), after.reshape(-1))]
        return np.array(flat, dtype=bool).reshape(after.shape)
    size = after.dtype.itemsize
    b = np.ascontiguousarray(before).reshape(-1).view(np.uint8).reshape(-1, size)
    a = np.ascontiguousarray(after).reshape(-1).view(np.uint8).reshape(-1, size)
    return (a != b).any(axis=1).reshape(after.shape)


@dataclass
class PreparedCall:
    """Arguments converted for execution. ``args[i]`` is a container array (buffer
    parameters) or a value (scalar parameters); call :meth:`finish` after running."""

    func: Func
    args: List[Any]
    _bindings: List[_Binding] = field(default_factory=list)
    packed: bool = False  # some argument came as packed integers (allo.packed)

    def finish(self) -> None:
        """Copy elements the kernel changed back into the caller's arrays (only needed for
        arguments that were converted or copied; the others were written in place)."""
        for b in self._bindings:
            mask = _changed(b.snapshot, b.container)
            if not mask.any():
                continue
            if not b.user.flags.writeable:
                raise CallError(f"argument '{b.name}': the kernel writes into it, but the array "
                                "passed is read-only", hint="pass a writeable array (e.g. a copy)")
            values = from_container(b.container, b.elem)
            if is_packed(b.user.dtype, b.elem):
                b.user[mask] = pack(values[mask], b.elem)
            elif b.user.dtype == values.dtype:
                b.user[mask] = values[mask]
            else:
                b.user[mask] = values[mask].astype(b.user.dtype)


def _prepare_buffer(x: Any, p_name: str, bt: BufferType) -> Tuple[np.ndarray, Optional[_Binding]]:
    elem = bt.dtype
    want = user_dtype(elem)
    expected = f"a numpy array of shape {bt.shape} and dtype {want}"
    if not isinstance(x, np.ndarray):
        raise CallError(f"argument '{p_name}': expected {expected}, got {_describe(x)}",
                        hint=f"pass np.asarray(value, dtype=np.{want})")
    if x.shape != bt.shape:
        raise CallError(f"argument '{p_name}': expected shape {bt.shape}, got shape {x.shape}",
                        hint=f"pass {expected}")
    arr = x
    if is_packed(x.dtype, elem):  # get_np_struct_type bytes: little-endian integers
        container = to_container(unpack(x, elem), elem)
        return container, _Binding(x, container, container.copy(), elem, p_name)
    if x.dtype != want:
        _check_values_fit(x, want, elem, p_name)
        if not (np.can_cast(x.dtype, want, "same_kind") or _ints_to_int(x, want)):
            raise CallError(f"argument '{p_name}': expected dtype {want} (for {elem!r}), got "
                            f"dtype {x.dtype}, which cannot be converted safely",
                            hint=f"convert it first, e.g. x.astype(np.{want})")
        warnings.warn(f"argument '{p_name}': converting dtype {x.dtype} to {want} (for {elem!r}); "
                      "writes are copied back", AlloWarning, stacklevel=4)
        arr = _convert(x, want, elem, p_name)
    elif _is_object(want):
        _check_ints(x, p_name, elem)
    if not arr.flags.c_contiguous or not arr.flags.writeable:
        arr = np.ascontiguousarray(arr).copy()
    container = to_container(arr, elem)
    if container is x:
        return container, None  # used in place: the kernel writes the caller's array
    return container, _Binding(x, container, container.copy(), elem, p_name)


def _ints_to_int(x: np.ndarray, want: np.dtype) -> bool:
    return x.dtype.kind in "iu" and np.dtype(want).kind in "iu"


def _check_values_fit(x: np.ndarray, want: np.dtype, elem: AlloType, name: str) -> None:
    """An integer array of another dtype is converted only when every value fits the
    declared element type (no wrap-around), and ints into floats only when each value is
    exact there; otherwise the argument is refused, naming it.

    Example: ``np.array([1, 300])`` (int64) for a ``uint8`` parameter is refused (300 does
    not fit); ``np.array([1, 2])`` is accepted.
    """
    if x.dtype.kind not in "iu" or x.size == 0 or _is_object(x.dtype):
        return
    lo, hi = int(x.min()), int(x.max())
    if isinstance(elem, Int) and np.dtype(want).kind in "iu":
        if lo < elem.min or hi > elem.max:
            bad = lo if lo < elem.min else hi
            raise CallError(f"argument '{name}': the value {bad} (dtype {x.dtype}) does not fit "
                            f"the declared element type {elem!r} (range {elem.min} .. {elem.max})",
                            hint=f"pass values in range, or declare a wider type than {elem!r}")
    elif isinstance(elem, Float) and np.dtype(want).kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):
            back = x.astype(want).astype(np.float64)
        if not np.array_equal(back, x.astype(np.float64)) or not (
                np.array_equal(x.astype(want).astype(x.dtype), x)):
            raise CallError(f"argument '{name}': some values of dtype {x.dtype} are not exact "
                            f"in {elem!r}", hint=f"convert them first, e.g. x.astype(np.{want}), "
                            "accepting the rounding")


def _convert(x: np.ndarray, want: np.dtype, elem: AlloType, name: str) -> np.ndarray:
    if _is_object(want):
        if x.dtype.kind not in "iub":
            raise CallError(f"argument '{name}': expected integers for {elem!r}, got dtype {x.dtype}")
        return np.array([int(v) for v in x.reshape(-1)], dtype=object).reshape(x.shape)
    if isinstance(elem, Float) and elem.kind == "bf16" and x.dtype.kind == "f" and x.itemsize > 4:
        # ml_dtypes rounds double -> bfloat16 through float32; round once instead
        out = np.empty(x.shape, dtype=want)
        for k, v in enumerate(x.reshape(-1)):
            out.reshape(-1)[k] = make_float(float(v), "bf16")
        return out
    with np.errstate(over="ignore", invalid="ignore"):
        return x.astype(want)


def _check_ints(x: np.ndarray, name: str, elem: AlloType) -> None:
    for v in x.reshape(-1):
        if not isinstance(v, (int, np.integer)) or isinstance(v, (bool, np.bool_)):
            raise CallError(f"argument '{name}': an object array for {elem!r} must hold Python "
                            f"ints, found {type(v).__name__} {v!r}")


def check_host_aliasing(func: Func, args: Sequence[Any], written: Collection[str]) -> None:
    """Refuse two array arguments that share memory when the kernel writes one of them
    (docs/semantics.md: array arguments never alias; verified schedules rely on it).

    Example: ``check_host_aliasing(f, (X, X), {"B"})`` raises :class:`CallError` when
    ``f``'s second parameter is ``B``.
    """
    if not written:
        return
    arrays = [(p.name, x) for p, x in zip(func.params, args)
              if isinstance(x, np.ndarray) and isinstance(p.type, BufferType)]
    for k, (na, a) in enumerate(arrays):
        for nb, b in arrays[k + 1:]:
            if na not in written and nb not in written:
                continue
            try:
                shared = np.shares_memory(a, b, max_work=10_000)
            except Exception:  # numpy's TooHardError: undecided, so refuse rather than guess
                shared = True
            if shared:
                w = " and ".join(f"'{n}'" for n in (na, nb) if n in written)
                raise CallError(f"arguments '{na}' and '{nb}' share memory, and {func.name}() "
                                f"writes {w}",
                                hint="array arguments must be distinct memory when the kernel "
                                     "writes one of them (docs/semantics.md): pass a copy, "
                                     "e.g. X.copy()")


def prepare_args(func: Func, args: Sequence[Any], written: Collection[str] = ()) -> PreparedCall:
    """Validate ``args`` against ``func``'s parameters and convert them for execution.

    Raises :class:`CallError` naming the argument for a wrong count, shape or dtype, or for
    two arrays sharing memory when the kernel writes one (``written``: the parameters the
    kernel writes, :func:`allo.ir.aliasing.written_params`); warns with
    :class:`AlloWarning` when a ``same_kind`` conversion or a copy is made.

    Example::

        >>> from allo.ir.nodes import Param
        >>> from allo.ir.types import float32
        >>> g = Func("g", [Param("A", float32[3])], [], [])
        >>> prepare_args(g, (np.zeros(3, np.float32),)).args[0].dtype
        dtype('float32')
    """
    params = func.params
    if len(args) != len(params):
        names = ", ".join(p.name for p in params)
        raise CallError(f"{func.name}() takes {len(params)} argument(s) ({names}), "
                        f"got {len(args)}", hint="pass one value per kernel parameter, in order")
    check_host_aliasing(func, args, written)
    converted: List[Any] = []
    bindings: List[_Binding] = []
    packed = False
    for p, x in zip(params, args):
        t = p.type
        if isinstance(t, StreamType) or (isinstance(t, BufferType) and t.is_stream):
            raise CallError(f"argument '{p.name}': stream parameters cannot be passed from Python",
                            hint="call a top function whose parameters are arrays or scalars")
        if isinstance(t, BufferType):
            container, binding = _prepare_buffer(x, p.name, t)
            packed = packed or (isinstance(x, np.ndarray) and is_packed(x.dtype, t.dtype))
            converted.append(container)
            if binding is not None:
                bindings.append(binding)
        else:
            converted.append(scalar_to_value(x, t, p.name))
    return PreparedCall(func, converted, bindings, packed)


def result_to_user(func: Func, values: Sequence[Any], packed: bool = False) -> Any:
    """Results as the caller sees them: ``None``, one value, or a list of values.

    Buffer results are user arrays (fresh copies), scalar results numpy scalars; with
    ``packed`` (the call passed packed integers), integer arrays wider than 64 bits come
    back packed too (:mod:`allo.packed`).
    Example: ``result_to_user(f, [])`` is ``None`` for a kernel without results.
    """
    out = []
    for t, v in zip(func.results, values):
        if isinstance(t, BufferType):
            arr = from_container(np.asarray(v), t.dtype)
            if packed and isinstance(t.dtype, Int) and t.dtype.bits > 64:
                out.append(pack(arr, t.dtype))
                continue
            out.append(arr.copy() if arr is v else arr)
        else:
            out.append(value_to_user(v, t))
    if not out:
        return None
    return out[0] if len(out) == 1 else out


def bind_arguments(func: Func, args: Sequence[Any], kwargs: Dict[str, Any]) -> Tuple[Any, ...]:
    """Positional arguments from ``args`` plus keyword arguments named like the kernel's
    parameters; :class:`CallError` for an unknown name, a parameter given twice, or a
    missing one (when keywords are used).

    Example: ``bind_arguments(f, (A,), {"B": B}) == (A, B)`` for a kernel ``f(A, B)``.
    """
    if not kwargs:
        return tuple(args)
    names = [p.name for p in func.params]
    listing = ", ".join(names)
    unknown = [k for k in kwargs if k not in names]
    if unknown:
        raise CallError(f"{func.name}() got unexpected keyword argument(s) "
                        f"{', '.join(map(repr, unknown))}; its parameters are ({listing})",
                        hint="use the kernel's parameter names, or pass arguments by position")
    if len(args) > len(names):
        raise CallError(f"{func.name}() takes {len(names)} argument(s) ({listing}), got "
                        f"{len(args)} positional and {len(kwargs)} keyword argument(s)")
    twice = [n for n in names[:len(args)] if n in kwargs]
    if twice:
        raise CallError(f"{func.name}() got several values for parameter(s) "
                        f"{', '.join(map(repr, twice))}; its parameters are ({listing})")
    missing = [n for n in names[len(args):] if n not in kwargs]
    if missing:
        raise CallError(f"{func.name}() is missing argument(s) {', '.join(map(repr, missing))}; "
                        f"its parameters are ({listing})",
                        hint="pass one value per kernel parameter")
    return tuple(args) + tuple(kwargs[n] for n in names[len(args):])


def constant_table(init: Any, t: BufferType) -> np.ndarray:
    """An ``Alloc`` constant table as a container: float data for a fixed-point buffer is
    taken as real values, integer data as raw values.

    Example: ``constant_table(np.array([0.5]), Fixed(8, 4)[1])`` is ``array([8], dtype=int8)``.
    """
    data = np.asarray(init)
    if data.shape != t.shape:
        raise AlloError(f"constant table of shape {data.shape} for a buffer of shape {t.shape}")
    elem = t.dtype
    if isinstance(elem, Fixed):
        if data.dtype.kind == "f":
            return to_container(data.astype(np.float64), elem)
        raw = data.astype(object) if container_dtype(elem) == np.dtype(object) else data
        return to_container(np.asarray(raw).astype(container_dtype(elem)), elem.raw)
    dtype = container_dtype(elem)
    if dtype == np.dtype(object):
        return to_container(np.array([int(v) for v in data.reshape(-1)], dtype=object)
                            .reshape(data.shape), elem)
    with np.errstate(all="ignore"):
        return np.ascontiguousarray(to_container(data.astype(dtype), elem))


def initial_state(alloc: Any, t: Optional[BufferType] = None) -> np.ndarray:
    """The initial contents of a stateful ``Alloc`` as a container (a fresh array): zeros,
    its constant broadcast, or its table. Every backend starts its state from this.

    Example: ``initial_state(Alloc("acc", int32[2], Const(7, int32), stateful=True))``
    is ``array([7, 7], dtype=int32)``.
    """
    from .semantics.casts import float_to_fixed_raw
    from .semantics.values import const_value

    t = t or (alloc.type if isinstance(alloc.type, BufferType) else BufferType(alloc.type, ()))
    init = alloc.init
    dtype = container_dtype(t.dtype)
    if init is None:
        return np.zeros(t.shape, dtype=dtype) if dtype != np.dtype(object) else \
            np.full(t.shape, 0, dtype=object)
    if isinstance(init, np.ndarray):
        return constant_table(init, t).copy()
    v = init.value
    if isinstance(t.dtype, Fixed) and isinstance(v, float):
        v = float_to_fixed_raw(v, t.dtype.frac, t.dtype.bits, t.dtype.signed)
    elif not isinstance(t.dtype, Fixed):
        v = const_value(v, t.dtype)
    arr = np.empty(t.shape, dtype=dtype)
    arr.fill(v)
    return arr


def invoke(func: Func, args: Sequence[Any], execute: Callable[[List[Any]], Sequence[Any]],
           written: Collection[str] = ()) -> Any:
    """Run ``execute(container_args) -> container_results`` under the calling convention
    (``written``: the parameters the kernel writes, for the aliasing check).

    Example: ``invoke(func, (A, B), lambda cargs: my_engine.run(cargs), {"B"})``.
    """
    call = prepare_args(func, args, written)
    results = execute(call.args)
    call.finish()
    return result_to_user(func, list(results or []), call.packed)


__all__ = ["AlloWarning", "PreparedCall", "prepare_args", "result_to_user", "invoke", "initial_state", "bind_arguments",
           "to_container", "from_container", "scalar_to_value", "value_to_user",
           "user_dtype", "container_dtype", "constant_table"]
