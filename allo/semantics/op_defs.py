"""Every IR op's definition: arity, group, type families, result typing, algebraic laws
and concrete meaning (:class:`OpSemantics`, :data:`REGISTRY`).

The symbolic and z3 meanings are attached by :mod:`allo.semantics.registry`, the public
face of the op registry: their modules (:mod:`.symbolic_ops`, :mod:`.z3_ops`) read the
definitions here, so this module cannot import them; ``registry`` installs the loader
that attaches them the first time an entry's ``symbolic`` / ``z3`` is read.

Example::

    >>> from allo.ir.types import int8
    >>> REGISTRY["mul"].concrete([100, 3], [int8, int8], int8)
    44
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import AlloTypeError
from ..ir.types import AlloType, Fixed, Float
from . import op_typing as rules
from .casts import make_cast
from .fixed_ops import FIXED_OPS
from .float_ops import FLOAT_OPS
from .int_ops import INT_OPS


class UnknownOpError(LookupError):
    """An op name that is not in :data:`REGISTRY`."""


class MissingHookError(LookupError):
    """A symbolic or z3 meaning was asked for an op that has none registered."""


@dataclass(frozen=True)
class Laws:
    """Algebraic laws of an op, each bit-exact for the types it is stated for.

    * ``int_ac``: associative and commutative modulo ``2**n`` on integers (``Int``,
      ``index``, ``bool``); ``fixed_ac``: the same on fixed point (raw-bit arithmetic);
    * ``commutative``: operand order is irrelevant on every type (IEEE ``a + b == b + a``
      holds up to which NaN payload is produced, and outputs compare NaNs as equal);
    * ``float_reassoc``: may be reassociated on floats *only* under the approximate
      policy ``fp="reassoc"``;
    * ``identity`` / ``absorbing``: integer constants (``-1`` is "all ones") that vanish /
      dominate; ``idempotent``: ``x op x == x``; ``self_inverse``: ``x op x == 0``;
      ``involution``: ``f(f(x)) == x``.

    Example: ``REGISTRY["add"].laws.identity == 0``.
    """

    int_ac: bool = False
    fixed_ac: bool = False
    commutative: bool = False
    float_reassoc: bool = False
    identity: Optional[int] = None
    absorbing: Optional[int] = None
    idempotent: bool = False
    self_inverse: bool = False
    involution: bool = False

    @property
    def nary(self) -> bool:
        """Chains may be flattened into one node of many operands (AC on some family)."""
        return self.int_ac or self.fixed_ac or self.float_reassoc


ALL_FAMILIES = ("int", "fixed", "float")
MEANING_KINDS = ("concrete", "symbolic", "z3")
_NO_LAWS = Laws()


def type_family(t: AlloType) -> str:
    """``"int"`` (ints, index, bool), ``"fixed"`` or ``"float"``. Example: ``type_family(index) == "int"``."""
    if isinstance(t, Float):
        return "float"
    if isinstance(t, Fixed):
        return "fixed"
    if getattr(t, "is_int", False):
        return "int"
    raise AlloTypeError(f"not a scalar type: {t!r}")


@dataclass
class OpSemantics:
    """The one definition of an op and the meanings registered against it."""

    name: str
    arity: int
    group: str
    type_families: Tuple[str, ...]
    typing: rules.TypingRule = field(repr=False)
    laws: Laws = _NO_LAWS
    libm: bool = False
    _symbolic: Optional[Callable[..., Any]] = field(default=None, repr=False)
    _z3: Optional[Callable[..., Any]] = field(default=None, repr=False)

    @property
    def symbolic(self) -> Optional[Callable[..., Any]]:
        """``fn(args, arg_types, rtype, dag) -> node id``: the canonical DAG node of the op."""
        _load("symbolic")
        return self._symbolic

    @symbolic.setter
    def symbolic(self, fn: Optional[Callable[..., Any]]) -> None:
        self._symbolic = fn

    @property
    def z3(self) -> Optional[Callable[..., Any]]:
        """``fn(ctx, rtype, arg_types, args) -> z3 term`` (:mod:`allo.semantics.z3_ops`)."""
        _load("z3")
        return self._z3

    @z3.setter
    def z3(self, fn: Optional[Callable[..., Any]]) -> None:
        self._z3 = fn

    def families(self) -> List[str]:
        """Type families with a concrete implementation. Example: ``REGISTRY["mod"].families() == ["int", "float"]``."""
        if self.name in _GENERIC:
            return list(ALL_FAMILIES)
        return [f for f, table in _FAMILY_TABLES.items() if self.name in table]

    def typing_problem(self, arg_types: Sequence[AlloType], result_type: AlloType,
                       consts: Optional[Sequence[Optional[int]]] = None) -> Optional[str]:
        """What is wrong with these operand/result types (``None``: well typed).

        ``consts`` are the constant operand values (``None`` where not constant).
        Example: ``REGISTRY["lt"].typing_problem([int8, int8], int8) == "comparisons give bool"``.
        """
        if len(arg_types) != self.arity:
            return f"takes {self.arity} operand(s), got {len(arg_types)}"
        return self.typing(self.name, arg_types, result_type,
                           consts if consts is not None else (None,) * self.arity)

    def concrete(self, args: Sequence[Any], arg_types: Sequence[AlloType],
                 result_type: AlloType) -> Any:
        """The bit-exact result of the op on concrete values.

        Example: ``REGISTRY["shl"].concrete([1, 9], [int8, int8], int8) == 0``.
        """
        fn = specialize(self.name, tuple(arg_types), result_type)
        with np.errstate(all="ignore"):
            return fn(*args)


# ------------------------------------------------------------------ the definitions
_INT, _NUM = ("int",), ALL_FAMILIES
_ARITH = dict(group="arith", typing=rules.arith_rule)
_BITWISE = dict(group="bitwise", typing=rules.bitwise_rule, type_families=_INT)
_LOGICAL = dict(group="logical", typing=rules.logical_rule, type_families=_INT)
_COMPARE = dict(group="compare", typing=rules.compare_rule, type_families=_NUM)
_MATH = dict(group="math", typing=rules.math_rule, type_families=("float",))

_DEFINITIONS: List[OpSemantics] = [
    OpSemantics("add", 2, type_families=_NUM, **_ARITH, laws=Laws(
        int_ac=True, fixed_ac=True, commutative=True, float_reassoc=True, identity=0)),
    OpSemantics("sub", 2, type_families=_NUM, **_ARITH),
    OpSemantics("mul", 2, type_families=_NUM, **_ARITH, laws=Laws(
        int_ac=True, commutative=True, float_reassoc=True, identity=1, absorbing=0)),
    OpSemantics("div", 2, type_families=_NUM, **_ARITH),
    OpSemantics("floordiv", 2, type_families=_NUM, **_ARITH),
    OpSemantics("mod", 2, type_families=("int", "float"), **_ARITH),
    OpSemantics("neg", 1, type_families=_NUM, **_ARITH, laws=Laws(involution=True)),
    OpSemantics("min", 2, type_families=_NUM, **_ARITH, laws=Laws(
        int_ac=True, commutative=True, idempotent=True)),
    OpSemantics("max", 2, type_families=_NUM, **_ARITH, laws=Laws(
        int_ac=True, commutative=True, idempotent=True)),
    OpSemantics("abs", 1, type_families=_NUM, **_ARITH),
    # bitwise (ints); shift amounts have the value's type, read as unsigned
    OpSemantics("and", 2, **_BITWISE, laws=Laws(
        int_ac=True, commutative=True, identity=-1, absorbing=0, idempotent=True)),
    OpSemantics("or", 2, **_BITWISE, laws=Laws(
        int_ac=True, commutative=True, identity=0, absorbing=-1, idempotent=True)),
    OpSemantics("xor", 2, **_BITWISE, laws=Laws(
        int_ac=True, commutative=True, identity=0, self_inverse=True)),
    OpSemantics("not", 1, **_BITWISE, laws=Laws(involution=True)),
    OpSemantics("shl", 2, **_BITWISE),
    OpSemantics("shr", 2, **_BITWISE),
    # logical (bool operands, bool result)
    OpSemantics("land", 2, **_LOGICAL, laws=Laws(
        int_ac=True, commutative=True, identity=1, absorbing=0, idempotent=True)),
    OpSemantics("lor", 2, **_LOGICAL, laws=Laws(
        int_ac=True, commutative=True, identity=0, absorbing=1, idempotent=True)),
    OpSemantics("lnot", 1, **_LOGICAL, laws=Laws(involution=True)),
    # comparisons (operands share a type, bool result)
    OpSemantics("eq", 2, **_COMPARE, laws=Laws(commutative=True)),
    OpSemantics("ne", 2, **_COMPARE, laws=Laws(commutative=True)),
    OpSemantics("lt", 2, **_COMPARE),
    OpSemantics("le", 2, **_COMPARE),
    OpSemantics("gt", 2, **_COMPARE),
    OpSemantics("ge", 2, **_COMPARE),
    # selection and conversion
    OpSemantics("select", 3, "select", _NUM, rules.select_rule),
    OpSemantics("cast", 1, "cast", _NUM, rules.cast_rule),
    # the same bits read as another type of the width (ints, fixed point's raw bits, floats;
    # a NaN's bits are the
    # canonical quiet NaN's, semantics/casts.CANONICAL_NAN)
    OpSemantics("bitcast", 1, "bitcast", _NUM, rules.bitcast_rule),
    # math intrinsics (floats): libm in double, then one rounding; floor/ceil are exact
    *[OpSemantics(name, 1, **_MATH, libm=True)
      for name in ("exp", "log", "log2", "log10", "sqrt", "sin", "cos", "tan", "tanh", "erf")],
    OpSemantics("floor", 1, **_MATH),
    OpSemantics("ceil", 1, **_MATH),
    OpSemantics("pow", 2, **_MATH, libm=True),
    # bit operations on integers: get_bit(x, i) -> bool; set_bit(x, i, b) -> type(x);
    # get_slice(x, lo, hi) -> UInt(hi - lo) (bits lo .. hi-1, lo/hi constants);
    # set_slice(x, lo, hi, v) -> type(x)
    OpSemantics("get_bit", 2, "bits", _INT, rules.bit_rule),
    OpSemantics("set_bit", 3, "bits", _INT, rules.bit_rule),
    OpSemantics("get_slice", 3, "bits", _INT, rules.slice_rule),
    OpSemantics("set_slice", 4, "bits", _INT, rules.slice_rule),
]

REGISTRY: Dict[str, OpSemantics] = {d.name: d for d in _DEFINITIONS}


def ops(group: Optional[str] = None, arity: Optional[int] = None, libm: Optional[bool] = None,
        family: Optional[str] = None) -> Tuple[str, ...]:
    """Op names (in definition order) matching every given filter.

    Example: ``ops(group="logical", arity=2) == ("land", "lor")``.
    """
    return tuple(d.name for d in _DEFINITIONS
                 if (group is None or d.group == group) and (arity is None or d.arity == arity)
                 and (libm is None or d.libm == libm)
                 and (family is None or family in d.type_families))


def _entry(op: str) -> OpSemantics:
    try:
        return REGISTRY[op]
    except KeyError:
        raise UnknownOpError(f"unknown op {op!r}; the IR's ops are listed in "
                             "allo.semantics.registry.REGISTRY") from None


# ------------------------------------------------------------------ concrete meaning
_FAMILY_TABLES = {"int": INT_OPS, "fixed": FIXED_OPS, "float": FLOAT_OPS}


def _make_select(arg_types, rt):
    return lambda c, a, b: a if c else b


def _make_cast(arg_types, rt):
    return make_cast(arg_types[0], rt)


_GENERIC = {"select": _make_select, "cast": _make_cast}


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


# The symbolic and z3 meanings' modules import this one, so it cannot import them; the
# registry installs the function that attaches them on first use.
_meaning_loaders: List[Callable[[str], None]] = []


def _load(kind: str) -> None:
    for load in _meaning_loaders:
        load(kind)
