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

import dataclasses
import enum
import hashlib
import struct
from typing import Any, Callable, List

import numpy as np

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


def _encode(value: Any, emit: Callable[[bytes], Any]) -> None:
    """Append the canonical encoding of ``value``; iterative so deep IR cannot overflow
    Python's recursion limit."""
    stack: List[Any] = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, _Raw):
            emit(v.data)
            continue
        for piece in reversed(_pieces(v)):
            stack.append(piece)


class _Raw:
    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data


def _pieces(v: Any) -> List[Any]:
    """``v`` as a list of raw byte chunks and sub-values still to encode."""
    if v is None:
        return [_Raw(b"N")]
    if isinstance(v, (bool, np.bool_)):
        return [_Raw(b"T" if v else b"F")]
    if isinstance(v, enum.Enum):
        cls = type(v)
        return [_Raw(_frame(b"E", f"{cls.__module__}.{cls.__qualname__}.{v.name}".encode()))]
    if isinstance(v, int):
        return [_Raw(_frame(b"I", str(v).encode()))]
    if isinstance(v, float):
        return [_Raw(b"D" + struct.pack("<d", v))]
    if isinstance(v, str):
        return [_Raw(_frame(b"S", v.encode("utf-8", "surrogatepass")))]
    if isinstance(v, bytes):
        return [_Raw(_frame(b"B", v))]
    if isinstance(v, np.ndarray):
        if v.dtype.hasobject:
            return [_Raw(_frame(b"O", repr(v.shape).encode())), list(v.ravel())]
        arr = np.ascontiguousarray(v)
        head = f"{arr.dtype.str}|{arr.dtype.name}|{arr.shape}".encode()
        return [_Raw(_frame(b"A", head) + _frame(b"a", arr.tobytes()))]
    if isinstance(v, np.generic):
        head = f"{v.dtype.str}|{v.dtype.name}".encode()
        return [_Raw(_frame(b"G", head) + _frame(b"g", v.tobytes()))]
    if isinstance(v, (list, tuple)):
        tag = b"L" if isinstance(v, list) else b"U"
        return [_Raw(_frame(tag, struct.pack("<Q", len(v)))), *v]
    if isinstance(v, dict):
        entries = sorted(((_bytes_of(k), val) for k, val in v.items()), key=lambda e: e[0])
        pieces: List[Any] = [_Raw(_frame(b"M", struct.pack("<Q", len(v))))]
        for kb, val in entries:
            pieces += [_Raw(_frame(b"k", kb)), val]
        return pieces
    if isinstance(v, (set, frozenset)):
        members = sorted(_bytes_of(x) for x in v)
        return [_Raw(_frame(b"Z", b"".join(_frame(b"z", m) for m in members)))]
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        cls = type(v)
        pieces = [_Raw(_frame(b"C", f"{cls.__module__}.{cls.__qualname__}".encode()))]
        for f in dataclasses.fields(v):
            if f.compare:
                pieces += [_Raw(_frame(b"f", f.name.encode())), getattr(v, f.name)]
        return pieces
    if isinstance(v, complex):
        return [_Raw(b"X" + struct.pack("<dd", v.real, v.imag))]
    raise FingerprintError(f"no canonical encoding for a {type(v).__name__} value in the IR")


def _bytes_of(v: Any) -> bytes:
    out: List[bytes] = []
    _encode(v, out.append)
    return b"".join(out)


__all__ = ["fingerprint", "FingerprintError", "FORMAT"]
