"""Allo's types: scalar element types, buffer (memref) types, streams, and the annotation
qualifiers of public Allo (``ConstExpr[T]``, ``T @ Stateful``, ``Struct``).

A scalar type describes one value; indexing a scalar type with a shape makes a buffer
type, so kernels are annotated as ``A: int8[M, K]``. The width-growth rules of intermediate
expressions are in :mod:`allo.ir.widths`.

Value representation (used by the interpreter and every backend):

* ``Int(n)`` / ``UInt(n)``: a Python ``int`` in ``[-2**(n-1), 2**(n-1))`` resp.
  ``[0, 2**n)``; every operation wraps modulo ``2**n``.
* ``Fixed(W, F)`` / ``UFixed(W, F)``: the raw ``W``-bit integer ``r`` (wrapping like
  ``Int(W)``), meaning ``r / 2**F``.
* floats: numpy scalars of the type (``bfloat16`` through ``ml_dtypes``), op by op.
* ``index``: a 64-bit signed integer.

Example::

    >>> from allo.ir.types import int8, int16, Int, float32
    >>> int8[4, 8]
    int8[4, 8]
    >>> Int(17).bits, float32.mlir()
    (17, 'f32')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np

from ..errors import AlloTypeError


class TypeArgumentError(AlloTypeError, ValueError, TypeError):
    """A type constructor got bad arguments (``Int(0)``, ``Fixed(8, 10)``, ``int32[4.5]``).

    It is an :class:`~allo.errors.AlloTypeError`; it also derives from ``ValueError`` and
    ``TypeError`` so code written against the old plain exceptions keeps working.
    """


def _is_type_param(x: Any) -> bool:
    """A PEP 695 template parameter (a ``typing.TypeVar`` while the ``def`` runs)."""
    import typing

    return isinstance(x, typing.TypeVar)


@dataclass(frozen=True)
class DeferredShape:
    """``float32[N, N]`` in a ``def k[N: int32]`` signature: Python evaluates it when the
    ``def`` runs, while ``N`` is still a template parameter. The frontend reads the
    annotation again from the source when the kernel is instantiated."""

    dtype: Any
    shape: Tuple[Any, ...]

    def __matmul__(self, qualifier: Any) -> Any:
        return qualify(self, qualifier)

    def __repr__(self) -> str:
        return f"{self.dtype!r}[{', '.join(map(str, self.shape))}]"


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


class AlloType:
    """Base of scalar element types. ``T[d0, d1, ...]`` builds a :class:`BufferType`."""

    bits: int

    def __getitem__(self, shape: Any) -> "BufferType":
        if not isinstance(shape, tuple):
            shape = (shape,)
        if any(_is_type_param(d) for d in shape):
            return DeferredShape(self, tuple(shape))
        return BufferType(self, tuple(shape))

    def __matmul__(self, qualifier: Any) -> Any:
        """``int32 @ Stateful``: the type with a storage qualifier."""
        return qualify(self, qualifier)

    # -- classification helpers (overridden) --
    @property
    def is_int(self) -> bool:
        return False

    @property
    def is_fixed(self) -> bool:
        return False

    @property
    def is_float(self) -> bool:
        return False

    @property
    def is_index(self) -> bool:
        return False

    @property
    def signed(self) -> bool:  # pragma: no cover - overridden
        return True

    def mlir(self) -> str:
        """The MLIR spelling of the storage type (signless integers for ints/fixed)."""
        raise NotImplementedError

    def numpy_dtype(self) -> np.dtype:
        """The numpy container dtype the calling convention uses for this type."""
        raise NotImplementedError


@dataclass(frozen=True)
class Int(AlloType):
    """An integer of any width ``bits >= 1``; ``signed=False`` is ``UInt(bits)``."""

    bits: int
    is_signed: bool = True

    def __post_init__(self):
        if not _is_int(self.bits) or self.bits < 1:
            kind = "Int" if self.is_signed else "UInt"
            raise TypeArgumentError(f"bad integer type {kind}({self.bits!r}): the width must be "
                                    "a positive int", hint=f"e.g. {kind}(12)")

    @property
    def is_int(self) -> bool:
        return True

    @property
    def signed(self) -> bool:
        return self.is_signed

    @property
    def fracs(self) -> int:
        """Fraction bits, as public Allo reads them on any type. Example: ``int8.fracs == 0``."""
        return 0

    @property
    def min(self) -> int:
        return -(1 << (self.bits - 1)) if self.is_signed else 0

    @property
    def max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.is_signed else (1 << self.bits) - 1

    def wrap(self, value: int) -> int:
        """Reduce a Python int modulo ``2**bits`` into this type's range."""
        return wrap_int(int(value), self.bits, self.is_signed)

    def mlir(self) -> str:
        return f"i{self.bits}"

    def numpy_dtype(self) -> np.dtype:
        return _int_container(self.bits, self.is_signed)

    def __repr__(self) -> str:
        if self.bits == 1 and not self.is_signed:
            return "bool"
        return f"{'' if self.is_signed else 'u'}int{self.bits}"


def UInt(bits: int) -> Int:
    """Unsigned integer of ``bits`` bits. Example: ``UInt(4).max == 15``."""
    return Int(bits, False)


@dataclass(frozen=True)
class Fixed(AlloType):
    """Fixed point: ``bits`` total bits of which ``frac`` are fractional (``ap_fixed<W, W-F>``)."""

    bits: int
    frac: int
    is_signed: bool = True

    def __post_init__(self):
        if not (_is_int(self.bits) and _is_int(self.frac)) or self.bits < 1 \
                or self.frac < 0 or self.frac > self.bits:
            kind = "Fixed" if self.is_signed else "UFixed"
            raise TypeArgumentError(f"bad fixed-point type {kind}({self.bits!r}, {self.frac!r})",
                                    hint=f"{kind}(W, F) needs ints with W >= 1 and "
                                         "0 <= F <= W, e.g. Fixed(16, 8)")

    @property
    def is_fixed(self) -> bool:
        return True

    @property
    def signed(self) -> bool:
        return self.is_signed

    @property
    def fracs(self) -> int:
        """Public Allo's name of the fraction bits. Example: ``Fixed(16, 8).fracs == 8``."""
        return self.frac

    @property
    def raw(self) -> Int:
        """The integer type of the raw representation."""
        return Int(self.bits, self.is_signed)

    def mlir(self) -> str:
        return f"i{self.bits}"

    def numpy_dtype(self) -> np.dtype:
        return np.dtype(np.float64)

    def __repr__(self) -> str:
        return f"{'' if self.is_signed else 'U'}Fixed({self.bits}, {self.frac})"


def UFixed(bits: int, frac: int) -> Fixed:
    """Unsigned fixed point. Example: ``UFixed(8, 4)`` holds 0 .. 15.9375."""
    return Fixed(bits, frac, False)


_FLOAT_INFO = {
    "f16": (16, "float16", "f16"),
    "bf16": (16, "bfloat16", "bf16"),
    "f32": (32, "float32", "f32"),
    "f64": (64, "float64", "f64"),
}


# kind -> (exponent bits, stored mantissa bits) of the IEEE format
_FLOAT_FIELDS = {"f16": (5, 10), "bf16": (8, 7), "f32": (8, 23), "f64": (11, 52)}


@dataclass(frozen=True)
class Float(AlloType):
    """IEEE binary floats (``kind`` is ``"f16"``, ``"bf16"``, ``"f32"`` or ``"f64"``)."""

    kind: str

    @property
    def bits(self) -> int:  # type: ignore[override]
        return _FLOAT_INFO[self.kind][0]

    @property
    def is_float(self) -> bool:
        return True

    @property
    def exponent(self) -> int:
        """Exponent bits. Example: ``float32.exponent == 8``."""
        return _FLOAT_FIELDS[self.kind][0]

    @property
    def fracs(self) -> int:
        """Stored mantissa (fraction) bits. Example: ``float32.fracs == 23``."""
        return _FLOAT_FIELDS[self.kind][1]

    def mlir(self) -> str:
        return _FLOAT_INFO[self.kind][2]

    def numpy_dtype(self) -> np.dtype:
        if self.kind == "bf16":
            import ml_dtypes

            return np.dtype(ml_dtypes.bfloat16)
        return np.dtype(_FLOAT_INFO[self.kind][1])

    def __repr__(self) -> str:
        return _FLOAT_INFO[self.kind][1]


@dataclass(frozen=True)
class Index(AlloType):
    """The loop/index type: a 64-bit signed integer, printed as MLIR ``index``."""

    @property
    def bits(self) -> int:  # type: ignore[override]
        return 64

    @property
    def is_index(self) -> bool:
        return True

    @property
    def is_int(self) -> bool:
        return True

    @property
    def signed(self) -> bool:
        return True

    def wrap(self, value: int) -> int:
        return wrap_int(int(value), 64, True)

    def mlir(self) -> str:
        return "index"

    def numpy_dtype(self) -> np.dtype:
        return np.dtype(np.int64)

    def __repr__(self) -> str:
        return "index"


@dataclass(frozen=True)
class StreamType:
    """A FIFO of ``dtype`` elements with capacity ``depth`` (``Stream[int8, 4]``).

    A stream of blocks (``Stream[int16[4, 4], 2]``) is a FIFO of the blocks' elements in
    row-major order: ``block`` is the block shape and ``depth`` counts elements (here 32);
    ``.put(block)`` and ``x: int16[4, 4] = s.get()`` move one whole block.
    """

    dtype: AlloType
    depth: int = 2
    block: Tuple[int, ...] = ()

    def __getitem__(self, shape: Any) -> "BufferType":
        if not isinstance(shape, tuple):
            shape = (shape,)
        return BufferType(self, tuple(shape))

    @property
    def block_size(self) -> int:
        n = 1
        for d in self.block:
            n *= d
        return n

    def __repr__(self) -> str:
        if self.block:
            blk = f"{self.dtype!r}[{', '.join(map(str, self.block))}]"
            return f"Stream[{blk}, {self.depth // self.block_size}]"
        return f"Stream[{self.dtype!r}, {self.depth}]"


class _StreamMeta(type):
    def __getitem__(cls, params: Any) -> StreamType:
        if not isinstance(params, tuple):
            params = (params,)
        if len(params) in (1, 2) and isinstance(params[0], BufferType) \
                and isinstance(params[0].dtype, AlloType) and params[0].shape:
            blocks = params[1] if len(params) == 2 else 2
            if _is_int(blocks) and blocks >= 1:
                b = params[0]
                return StreamType(b.dtype, int(blocks) * b.size, tuple(b.shape))
        if len(params) in (1, 2) and isinstance(params[0], AlloType):
            if len(params) == 1:
                return StreamType(params[0])
            if _is_int(params[1]) and params[1] >= 1:
                return StreamType(params[0], int(params[1]))
        raise TypeArgumentError(f"bad stream type Stream[{', '.join(map(repr, params))}]",
                                hint="write Stream[dtype] or Stream[dtype, depth] with a scalar "
                                     "type and a positive int depth, e.g. Stream[int8, 4]")


class Stream(metaclass=_StreamMeta):
    """Annotation helper: ``Stream[int8, 4]`` is a FIFO of int8 with depth 4."""


@dataclass(frozen=True)
class BufferType:
    """A shaped buffer (MLIR memref): element type, static shape, memory layout.

    ``layout`` holds the buffer's partition type (owned by :mod:`allo.typesys`; opaque
    here), ``None`` meaning not partitioned. ``memory`` is the storage the user bound it to
    (an :class:`allo.memory.Memory`, or ``None``); it never changes what a design computes,
    so it takes no part in type equality.
    """

    dtype: Union[AlloType, StreamType]
    shape: Tuple[int, ...]
    layout: Optional[Any] = None
    memory: Optional[Any] = field(default=None, compare=False)

    def __post_init__(self):
        for d in self.shape:
            if not _is_int(d) or d < 1:
                dims = ", ".join(map(repr, self.shape))
                raise TypeArgumentError(f"bad buffer type {self.dtype!r}[{dims}]: buffer "
                                        f"dimensions must be positive ints, got {d!r}",
                                        hint="write e.g. int32[4] or float32[M, N] with "
                                             "integer sizes >= 1")
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def strides(self) -> Tuple[int, ...]:
        """Row-major strides. Example: ``int8[2, 3, 4].strides == (12, 4, 1)``."""
        return row_major_strides(self.shape)

    @property
    def is_stream(self) -> bool:
        return isinstance(self.dtype, StreamType)

    def __matmul__(self, qualifier: Any) -> Any:
        """``int32[M] @ Stateful`` / ``@ Memory(...)``: the buffer type with a qualifier."""
        return qualify(self, qualifier)

    def with_layout(self, layout: Any) -> "BufferType":
        return BufferType(self.dtype, self.shape, layout, self.memory)

    def with_memory(self, memory: Any) -> "BufferType":
        """This type bound to ``memory`` (an :class:`allo.memory.Memory`)."""
        return BufferType(self.dtype, self.shape, self.layout, memory)

    def mlir(self) -> str:
        dims = "".join(f"{d}x" for d in self.shape)
        elem = self.dtype.mlir() if isinstance(self.dtype, AlloType) else self.dtype.dtype.mlir()
        return f"memref<{dims}{elem}>"

    def __repr__(self) -> str:
        if not self.shape:
            return f"{self.dtype!r}[]"
        return f"{self.dtype!r}[{', '.join(map(str, self.shape))}]"


# ---------------------------------------------------------------- predefined names
int1, int2, int3, int4, int5, int6, int7, int8 = (Int(n) for n in range(1, 9))
int16, int32, int64, int128, int256, int512 = (Int(n) for n in (16, 32, 64, 128, 256, 512))
uint1, uint2, uint3, uint4, uint5, uint6, uint7, uint8 = (UInt(n) for n in range(1, 9))
uint16, uint32, uint64, uint128, uint256, uint512 = (UInt(n) for n in (16, 32, 64, 128, 256, 512))
bool_ = UInt(1)
float16 = Float("f16")
bfloat16 = Float("bf16")
float32 = Float("f32")
float64 = Float("f64")
index = Index()


# ---------------------------------------------------------------- annotation qualifiers
# Not element types: they say how a declared name lives. ``x: ConstExpr[int32] = M // 2``
# is folded at compile time; ``acc: int32 @ Stateful = 0`` keeps its value across calls
# (C ``static``); ``Struct({"x": int32, "y": float32})`` is a record of named scalar fields.


class Qualifier:
    """Base of the objects that may follow ``@`` in an annotation."""


class _StatefulQualifier(Qualifier):
    def __repr__(self) -> str:
        return "Stateful"


#: ``x: int32 @ Stateful = 0`` keeps ``x`` across calls
Stateful = _StatefulQualifier()


@dataclass(frozen=True)
class Qualified:
    """``base @ qualifier``: a type (scalar or buffer) with a storage qualifier."""

    base: Any
    qualifier: Qualifier

    def __matmul__(self, other: Any) -> "Qualified":
        raise AlloTypeError(f"{self!r} already has a qualifier; it cannot also be {other!r}",
                            hint="use one '@' qualifier per declaration")

    def __repr__(self) -> str:
        return f"{self.base!r} @ {self.qualifier!r}"


def qualify(base: Any, other: Any) -> Any:
    """``base @ other`` for Allo types: a :class:`Qualified`, or NotImplemented."""
    if isinstance(other, Qualifier):
        return Qualified(base, other)
    return NotImplemented


@dataclass(frozen=True)
class ConstExprType:
    """``ConstExpr[T]``: a compile-time constant of type ``T``."""

    dtype: Any

    def __repr__(self) -> str:
        return f"ConstExpr[{self.dtype!r}]"


class _ConstExprMeta(type):
    def __getitem__(cls, dtype: Any) -> ConstExprType:
        if not isinstance(dtype, AlloType):
            raise AlloTypeError(f"ConstExpr[{dtype!r}] needs a scalar type",
                                hint="write e.g. ConstExpr[int32]")
        return ConstExprType(dtype)


class ConstExpr(metaclass=_ConstExprMeta):
    """Annotation helper: ``n: ConstExpr[int32] = M // 2`` is folded at compile time."""


class Struct:
    """A record type of named scalar fields, e.g. ``Struct({"x": int32, "y": float32})``.

    In a kernel, ``p: S = {"x": a, "y": b}`` declares one scalar per field and
    ``p["x"]`` reads or writes a field.
    """

    def __init__(self, fields: Dict[str, Any]):
        if not isinstance(fields, dict) or not fields:
            raise AlloTypeError(f"Struct({fields!r}) needs a non-empty dict of fields",
                                hint='write Struct({"x": int32, "y": float32})')
        for k, t in fields.items():
            if not (isinstance(k, str) and k.isidentifier()) or not isinstance(t, AlloType):
                raise AlloTypeError(f"bad Struct field {k!r}: {t!r}",
                                    hint="field names are identifiers and field types are "
                                         "scalar Allo types")
        self.fields = dict(fields)

    @property
    def bits(self) -> int:
        return sum(t.bits for t in self.fields.values())

    @property
    def dtype_dict(self) -> Dict[str, Any]:
        """Public Allo's name of the fields. Example: ``S.dtype_dict == {"x": int32}``."""
        return dict(self.fields)

    def __getitem__(self, key: str) -> Any:
        """The type of field ``key``. Example: ``Struct({"x": int32})["x"] is int32``."""
        if key not in self.fields:
            raise AlloTypeError(f"{self!r} has no field {key!r}",
                                hint=f"fields: {', '.join(map(repr, self.fields))}")
        return self.fields[key]

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Struct) and list(self.fields.items()) == \
            list(other.fields.items())

    def __hash__(self) -> int:
        return hash(tuple(self.fields.items()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {t!r}" for k, t in self.fields.items())
        return f"Struct({{{inner}}})"

ScalarType = AlloType
AnyType = Union[AlloType, BufferType, StreamType]


# ---------------------------------------------------------------- helpers
def wrap_int(value: int, bits: int, signed: bool) -> int:
    """Reduce ``value`` modulo ``2**bits`` into the signed or unsigned range.

    Example: ``wrap_int(200, 8, True) == -56``.
    """
    mask = (1 << bits) - 1
    value &= mask
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def row_major_strides(shape: Tuple[int, ...]) -> Tuple[int, ...]:
    """Row-major strides of ``shape``. Example: ``row_major_strides((2, 3, 4)) == (12, 4, 1)``."""
    out, step = [], 1
    for extent in reversed(shape):
        out.append(step)
        step *= extent
    return tuple(reversed(out))


def _int_container(bits: int, signed: bool) -> np.dtype:
    for width in (8, 16, 32, 64):
        if bits <= width:
            return np.dtype(f"{'int' if signed else 'uint'}{width}")
    return np.dtype(object)  # wider than 64 bits: numpy object arrays of Python ints


def is_scalar_type(t: Any) -> bool:
    return isinstance(t, AlloType)


def __getattr__(name: str) -> Any:
    # ``from allo.ir.types import bool`` (public Allo's name for UInt(1)). Served lazily so
    # that inside this package ``bool`` is still Python's builtin.
    if name == "bool":
        return bool_
    raise AttributeError(f"module 'allo.ir.types' has no attribute {name!r}")
