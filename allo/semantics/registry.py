"""The single registry of op meanings, keyed by the op names of :data:`allo.ir.nodes.OPS`.

Each :class:`OpSemantics` entry gives

* ``concrete(args, arg_types, result_type)``: the bit-exact value (docs/semantics.md), on the
  value representation of :mod:`allo.ir.types` (ints and fixed raw values as Python ints,
  floats as numpy scalars of the type);
* ``symbolic`` and ``z3`` hooks, filled in by the symbolic executor through
  :func:`register_symbolic` / :func:`register_z3`; looking up a missing hook raises
  :class:`MissingHookError` saying how to register it.

:func:`specialize` returns the concrete meaning as a plain function for fixed types (cached),
which is what the interpreter calls per element.

Example::

    >>> import numpy as np
    >>> from allo.ir.types import int8, float32, bool_
    >>> REGISTRY["mul"].concrete([100, 3], [int8, int8], int8)
    44
    >>> lt = specialize("lt", [float32, float32], bool_)
    >>> lt(np.float32(1), np.float32("nan"))
    0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from ..errors import AlloTypeError
from ..ir.nodes import OPS
from ..ir.types import AlloType, Fixed, Float
from .casts import make_cast
from .fixed_ops import FIXED_OPS
from .float_ops import FLOAT_OPS
from .int_ops import INT_OPS


class UnknownOpError(LookupError):
    """An op name that is not in :data:`allo.ir.nodes.OPS`."""


class MissingHookError(LookupError):
    """A symbolic or z3 meaning was asked for an op that has none registered yet."""


def type_family(t: AlloType) -> str:
    """``"int"`` (ints, index, bool), ``"fixed"`` or ``"float"``. Example: ``type_family(index) == "int"``."""
    if isinstance(t, Float):
        return "float"
    if isinstance(t, Fixed):
        return "fixed"
    if getattr(t, "is_int", False):
        return "int"
    raise AlloTypeError(f"not a scalar type: {t!r}")


_FAMILY_TABLES = {"int": INT_OPS, "fixed": FIXED_OPS, "float": FLOAT_OPS}


def _make_select(arg_types, rt):
    return lambda c, a, b: a if c else b


def _make_cast(arg_types, rt):
    return make_cast(arg_types[0], rt)


_GENERIC = {"select": _make_select, "cast": _make_cast}


@dataclass
class OpSemantics:
    """Everything known about one op: arity, concrete meaning, symbolic/z3 hooks."""

    name: str
    arity: int
    symbolic: Optional[Callable[..., Any]] = field(default=None, repr=False)
    z3: Optional[Callable[..., Any]] = field(default=None, repr=False)

    def families(self) -> List[str]:
        """Type families the op is defined on. Example: ``REGISTRY["mod"].families() == ["int", "float"]``."""
        if self.name in _GENERIC:
            return ["int", "fixed", "float"]
        return [f for f, table in _FAMILY_TABLES.items() if self.name in table]

    def concrete(self, args: Sequence[Any], arg_types: Sequence[AlloType],
                 result_type: AlloType) -> Any:
        """The bit-exact result of the op on concrete values.

        Example: ``REGISTRY["shl"].concrete([1, 9], [int8, int8], int8) == 0``.
        """
        fn = specialize(self.name, tuple(arg_types), result_type)
        with np.errstate(all="ignore"):
            return fn(*args)


REGISTRY: Dict[str, OpSemantics] = {name: OpSemantics(name, arity) for name, arity in OPS.items()}


def _entry(op: str) -> OpSemantics:
    try:
        return REGISTRY[op]
    except KeyError:
        raise UnknownOpError(f"unknown op {op!r}; the IR's ops are listed in allo.ir.nodes.OPS") from None


@lru_cache(maxsize=None)
def _specialize(op: str, arg_types: tuple, result_type: AlloType) -> Callable[..., Any]:
    entry = _entry(op)
    if len(arg_types) != entry.arity:
        raise AlloTypeError(f"op {op!r} takes {entry.arity} operand(s), got {len(arg_types)}")
    if op in _GENERIC:
        return _GENERIC[op](list(arg_types), result_type)
    family = type_family(arg_types[0])
    factory = _FAMILY_TABLES[family].get(op)
    if factory is None:
        raise AlloTypeError(f"op {op!r} is not defined on {arg_types[0]!r} (defined on: "
                            f"{', '.join(entry.families()) or 'nothing'})",
                            hint="see docs/semantics.md for the ops of each type family")
    return factory(list(arg_types), result_type)


def specialize(op: str, arg_types: Sequence[AlloType], result_type: AlloType) -> Callable[..., Any]:
    """The concrete meaning of ``op`` for fixed operand/result types, as ``fn(*values)``.

    Specialisations are cached. The function does not silence numpy float warnings.
    Example: ``specialize("add", [int8, int8], int8)(100, 100) == -56``.
    """
    return _specialize(op, tuple(arg_types), result_type)


def evaluate(op: str, args: Sequence[Any], arg_types: Sequence[AlloType],
             result_type: AlloType) -> Any:
    """Apply ``op`` to concrete values. Example: ``evaluate("neg", [-128], [int8], int8) == -128``."""
    return _entry(op).concrete(args, arg_types, result_type)


# ------------------------------------------------------------------ symbolic / z3 hooks
def register_symbolic(op: str, fn: Callable[..., Any]) -> None:
    """Set the symbolic meaning of ``op`` (used by :mod:`allo.symexec`).

    Example: ``register_symbolic("add", lambda args, arg_types, rt: ...)``.
    """
    _entry(op).symbolic = fn


def register_z3(op: str, fn: Callable[..., Any]) -> None:
    """Set the z3 meaning of ``op``. Example: ``register_z3("add", lambda args, ts, rt: args[0] + args[1])``."""
    _entry(op).z3 = fn


def get_symbolic(op: str) -> Callable[..., Any]:
    """The registered symbolic meaning of ``op``; :class:`MissingHookError` if none."""
    entry = _entry(op)
    if entry.symbolic is None:
        raise MissingHookError(f"no symbolic meaning registered for op {op!r}; register one with "
                               f"allo.semantics.register_symbolic({op!r}, fn)")
    return entry.symbolic


def get_z3(op: str) -> Callable[..., Any]:
    """The registered z3 meaning of ``op``; :class:`MissingHookError` if none."""
    entry = _entry(op)
    if entry.z3 is None:
        raise MissingHookError(f"no z3 meaning registered for op {op!r}; register one with "
                               f"allo.semantics.register_z3({op!r}, fn)")
    return entry.z3


__all__ = ["OpSemantics", "REGISTRY", "UnknownOpError", "MissingHookError", "type_family",
           "specialize", "evaluate", "register_symbolic", "register_z3", "get_symbolic", "get_z3"]
