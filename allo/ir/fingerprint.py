"""A structural fingerprint of IR: equal fingerprints mean the same design and options.

:func:`fingerprint` hashes (SHA-256) a canonical byte encoding of IR modules (or any IR
node) and of keyword options. It is the one key for every cache of results about a design:
the HLS equivalence gate (:mod:`allo.backends.hls.gate`) keys its verdicts by it, and a
proof cache may store verdicts under it across runs.

What it covers, exactly:

* every node's class and every field that takes part in equality (source locations do
  not: they never change a result);
* constants by their **exact bytes**: Python ints in full, floats as IEEE-754 bits (so
  ``0.1`` and ``0.1 + 1e-17``, ``0.0`` and ``-0.0``, NaN payloads all differ), numpy
  scalars and arrays by dtype, shape and raw bytes (never by ``repr``, which rounds floats
  and elides the middle of arrays over 1,000 elements);
* types, shapes, stream depths, buffer layouts and loop/function attributes;
* the options, sorted by name.

Stability: the encoding uses no ``hash()``, ``id()`` or ``repr`` of values, and dicts and
sets are sorted by their encoded keys, so the fingerprint is the same in every process,
on every run and under any ``PYTHONHASHSEED``. :data:`FORMAT` is part of the hash; change
it whenever the encoding changes, so old cache entries are never reused.

A value of a type the encoder does not know raises :class:`FingerprintError`; callers
must then not cache (never fall back to a lossy key).

Example::

    >>> from allo.ir.nodes import Module
    >>> from allo.ir.fingerprint import fingerprint
    >>> fingerprint(Module({}, "f")) == fingerprint(Module({}, "f"))
    True
    >>> fingerprint(Module({}, "f")) == fingerprint(Module({}, "f"), budget=10)
    False
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import enum
import hashlib
import struct
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np

from .types import BufferType, Fixed, Float, Index, Int, StreamType

FORMAT = "allo-ir-fingerprint/1"


class FingerprintError(TypeError):
    """A value in the IR or the options has no canonical encoding (do not cache it)."""


def fingerprint(*items: Any, **options: Any) -> str:
    """The SHA-256 hex digest of ``items`` (modules, functions, any IR values) and
    ``options`` (by name), encoded structurally with exact constant bytes.

    Example: ``fingerprint(s.original, s.ir, method="auto")`` keys a verdict.
    """
    out: List[bytes] = [FORMAT.encode()]
    _encode(("items", list(items), "options", dict(options)), out.append)
    return hashlib.sha256(b"".join(out)).hexdigest()


def _frame(tag: bytes, payload: bytes) -> bytes:
    # tag + length prefix: no two different values can produce the same byte string
    return tag + struct.pack("<Q", len(payload)) + payload


# id -> [object, its encoding or None]: objects fixed for the duration of a
# :func:`fixed_objects` block, encoded once there however many fingerprints include them
_FIXED: contextvars.ContextVar[Optional[Dict[int, List[Any]]]] = \
    contextvars.ContextVar("allo_fingerprint_fixed", default=None)


@contextlib.contextmanager
def fixed_objects(objects: Iterable[Any]) -> Iterator[None]:
    """Within the block, each of ``objects`` (IR functions, say) is encoded once and its
    bytes reused by every fingerprint that includes it. The caller promises that none of
    them changes inside the block (a verifier never mutates the designs it checks);
    other objects are encoded afresh every time.

    Example::

        with fixed_objects(module.funcs.values()):
            key = fingerprint(module); again = fingerprint(module, role="x")  # one pass
    """
    outer = _FIXED.get()
    fixed = dict(outer) if outer else {}
    for obj in objects:
        fixed.setdefault(id(obj), [obj, None])  # the list holds obj: its id stays its own
    token = _FIXED.set(fixed)
    try:
        yield
    finally:
        _FIXED.reset(token)


def _encode(value: Any, emit: Callable[[bytes], Any], root_fixed: bool = True,
            types: Optional[Dict[int, Tuple[Any, bytes]]] = None) -> None:
    """Append the canonical encoding of ``value``; iterative so deep IR cannot overflow
    Python's recursion limit. The stack holds raw output chunks (``bytes``: a value of
    type bytes never goes on it unencoded) and composite values still to expand; leaves
    are encoded as soon as their parent is expanded (the hot path: thousands of
    processes of a dataflow region are fingerprinted several times per proof).
    ``types`` holds the encodings of the immutable IR type objects met so far (by
    identity, the object kept with its bytes): the processes of a region share theirs."""
    fixed = _FIXED.get()
    if types is None:
        types = {}
    if root_fixed:
        stack: List[Any] = [_leaf(value)]
    else:  # encoding a fixed (or immutable) object itself
        stack = _children(value)
        stack.reverse()
    pop, extend = stack.pop, stack.extend
    while stack:
        v = pop()
        cls = type(v)
        if cls is bytes:
            emit(v)
            continue
        if cls in _IMMUTABLE and (cls is not BufferType or v.layout is None):
            known = types.get(id(v))
            if known is None or known[0] is not v:
                out: List[bytes] = []
                _encode(v, out.append, False, types)
                known = types[id(v)] = (v, b"".join(out))
            emit(known[1])
            continue
        if fixed:
            entry = fixed.get(id(v))
            if entry is not None and entry[0] is v:
                if entry[1] is None:
                    out = []
                    _encode(v, out.append, False, types)
                    entry[1] = b"".join(out)
                emit(entry[1])
                continue
        pieces = _children(v)
        pieces.reverse()
        extend(pieces)


# IR types: frozen dataclasses of ints, tuples and other types (a BufferType's layout is
# owned elsewhere, so one with a layout is encoded afresh every time)
_IMMUTABLE = frozenset({Int, Index, Float, Fixed, StreamType, BufferType})


_EXACT_LEAVES: Dict[type, Callable[[Any], bytes]] = {
    type(None): lambda v: b"N",
    bool: lambda v: b"T" if v else b"F",
    int: lambda v: _frame(b"I", str(v).encode()),
    float: lambda v: b"D" + struct.pack("<d", v),
    str: lambda v: _frame(b"S", v.encode("utf-8", "surrogatepass")),
    bytes: lambda v: _frame(b"B", v),
}


# encodings of the names and small integers that recur across thousands of functions;
# keyed per exact type (never 1 for 1.0 or True), cleared when it grows large
_MEMO: Dict[type, Dict[Any, bytes]] = {str: {}, int: {}}
_MEMO_LIMIT = 1 << 16


def _leaf(v: Any) -> Any:
    """The encoding of ``v`` when it is a leaf (bytes), else ``v`` itself (composite)."""
    cls = type(v)
    if cls is tuple and not v:  # the indices of every scalar access: as _children has it
        return _EMPTY_TUPLE
    memo = _MEMO.get(cls)
    if memo is not None:
        out = memo.get(v)
        if out is None:
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            out = memo[v] = _EXACT_LEAVES[cls](v)
        return out
    exact = _EXACT_LEAVES.get(cls)
    if exact is not None:
        return exact(v)
    if cls in _CONTAINERS or _LAYOUTS.get(cls) is not None:  # a known composite
        return v
    if isinstance(v, (bool, np.bool_)):
        return b"T" if v else b"F"
    if isinstance(v, enum.Enum):
        cls = type(v)
        return _frame(b"E", f"{cls.__module__}.{cls.__qualname__}.{v.name}".encode())
    if isinstance(v, int):
        return _frame(b"I", str(v).encode())
    if isinstance(v, float):
        return b"D" + struct.pack("<d", v)
    if isinstance(v, str):
        return _frame(b"S", v.encode("utf-8", "surrogatepass"))
    if isinstance(v, bytes):
        return _frame(b"B", v)
    if isinstance(v, np.ndarray):
        if v.dtype.hasobject:
            return v
        arr = np.ascontiguousarray(v)
        head = f"{arr.dtype.str}|{arr.dtype.name}|{arr.shape}".encode()
        return _frame(b"A", head) + _frame(b"a", arr.tobytes())
    if isinstance(v, np.generic):
        head = f"{v.dtype.str}|{v.dtype.name}".encode()
        return _frame(b"G", head) + _frame(b"g", v.tobytes())
    if isinstance(v, (list, tuple, dict, set, frozenset)):
        return v
    if _dataclass_layout(type(v)) is not None:
        return v
    if isinstance(v, complex):
        return b"X" + struct.pack("<dd", v.real, v.imag)
    raise FingerprintError(f"no canonical encoding for a {type(v).__name__} value in the IR")


_CONTAINERS = frozenset({list, tuple, dict, set, frozenset})
_EMPTY_TUPLE = _frame(b"U", struct.pack("<Q", 0))
_NOT_AS_DATACLASS = (bool, np.bool_, enum.Enum, int, float, str, bytes, np.ndarray, np.generic,
                     list, tuple, dict, set, frozenset)
_LAYOUTS: Dict[type, Optional[Tuple[bytes, Tuple[Tuple[bytes, str], ...]]]] = {}


def _dataclass_layout(cls: type) -> Optional[Tuple[bytes, Tuple[Tuple[bytes, str], ...]]]:
    """A dataclass's header chunk and its compared fields (framed name, attribute), or
    None for a class that is no dataclass; computed once per class."""
    try:
        return _LAYOUTS[cls]
    except KeyError:
        pass
    layout = None
    # the same precedence as the leaf and container cases: a dataclass that subclasses
    # one of those types is encoded as that type
    if dataclasses.is_dataclass(cls) and not issubclass(cls, _NOT_AS_DATACLASS):
        layout = (_frame(b"C", f"{cls.__module__}.{cls.__qualname__}".encode()),
                  tuple((_frame(b"f", f.name.encode()), f.name)
                        for f in dataclasses.fields(cls) if f.compare))
    _LAYOUTS[cls] = layout
    return layout


def _children(v: Any) -> List[Any]:
    """A composite ``v`` as a list of raw byte chunks and sub-values still to expand."""
    cls = type(v)
    layout = _LAYOUTS.get(cls) or _dataclass_layout(cls)
    if layout is not None:
        head, fields = layout
        pieces: List[Any] = [head]
        for name_chunk, attr in fields:
            pieces.append(name_chunk)
            pieces.append(_leaf(getattr(v, attr)))
        return pieces
    if isinstance(v, (list, tuple)):
        tag = b"L" if isinstance(v, list) else b"U"
        return [_frame(tag, struct.pack("<Q", len(v))), *map(_leaf, v)]
    if isinstance(v, dict):
        entries = sorted(((_bytes_of(k), val) for k, val in v.items()), key=lambda e: e[0])
        pieces = [_frame(b"M", struct.pack("<Q", len(v)))]
        for kb, val in entries:
            pieces += [_frame(b"k", kb), _leaf(val)]
        return pieces
    if isinstance(v, (set, frozenset)):
        members = sorted(_bytes_of(x) for x in v)
        return [_frame(b"Z", b"".join(_frame(b"z", m) for m in members))]
    if isinstance(v, np.ndarray):  # an object array
        return [_frame(b"O", repr(v.shape).encode()), _leaf(list(v.ravel()))]
    raise FingerprintError(f"no canonical encoding for a {type(v).__name__} value in the IR")


def _bytes_of(v: Any) -> bytes:
    out: List[bytes] = []
    _encode(v, out.append)
    return b"".join(out)


__all__ = ["fingerprint", "fixed_objects", "FingerprintError", "FORMAT"]
