"""Index analysis, in one place: affine forms, the cast rule, value ranges, trip counts.

Every consumer that reasons about index expressions (dependence analysis, the memory and
dataflow primitives' side conditions, the IR verifier's static bounds, the MLIR printer's
affine maps, the symbolic executor's and the LLVM backend's bounds-check elision, QoR
estimates) reads this module, so they agree on what an index means.

* :class:`IndexForm` — ``sum(coef * atom) + const`` where an atom is a variable or,
  beyond affine, ``floordiv``/``mod`` of a form by a positive constant or ``min``/``max``
  of two forms. :func:`index_form` extracts it from an IR expression; it is *exact*: for
  every value of the variables (within ``ranges`` when given) the form, evaluated on
  unbounded integers, equals the IR value. :func:`affine_form` keeps only affine ones.
* **The cast rule** (:func:`cast_keeps_value`): an integer cast is the identity when every
  value of its operand fits the target type (a widening cast, or an operand whose range is
  known to fit); otherwise it may wrap and the expression is not a form. Arithmetic in a
  fixed-width integer type follows the same rule (a result that may leave its type
  wraps); ``index`` arithmetic is taken as exact when no range says otherwise (64 bits:
  indices do not overflow in practice), and checked like the others when one does.
* :func:`interval` — a sound ``(min, max)`` enclosure of an expression's value under loop
  variable ranges (``None`` when unknown or when it may wrap); :func:`static_index_range`
  — the *exact* range of an affine index over a box (the IR verifier rejects on it);
  :class:`IndexRanges` — scoped loop-variable intervals for code generators.
* Trip counts: :func:`trip_count`, :func:`constant_trips`, :func:`loop_value_range`,
  :func:`loop_interval`; symbolic counts of triangular nests (sympy) are in
  :func:`allo.ir.trips_symbolic.trip_count_symbolic`.

z3 terms of forms live in :mod:`allo.primitives.index_z3` (``allo.ir`` never imports z3).

Example::

    >>> from allo.ir.nodes import Var, Const, Op
    >>> from allo.ir.types import index, uint8
    >>> i = Var("i", index)
    >>> str(index_form(Op("add", (Op("mul", (Const(2, index), i), index), Const(1, index)), index)))
    '2*i + 1'
    >>> wrapped = Op("cast", (Op("cast", (i,), uint8),), index)   # A[uint8(i)]
    >>> index_form(wrapped) is None                                   # may wrap
    True
    >>> str(index_form(wrapped, {"i": (0, 255)}))                    # provably fits
    'i'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import (Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional,
                    Sequence, Tuple)

import numpy as np

from .nodes import Const, Expr, For, Load, Op, StreamGet, Var
from .types import AlloType

Interval = Tuple[int, int]  # inclusive (min, max)
Ranges = Mapping[str, Interval]  # loop variable -> the values it takes


# ------------------------------------------------------------------ the cast rule
def type_range(t: Any) -> Optional[Interval]:
    """The values of an integer-like type (``Int``/``UInt``/``bool``/``index``); ``None``
    for floats, fixed point and non-types. Example: ``type_range(uint8) == (0, 255)``."""
    if not isinstance(t, AlloType) or not t.is_int:
        return None
    bits = t.bits
    if t.signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def _inside(inner: Optional[Interval], outer: Optional[Interval]) -> bool:
    return inner is not None and outer is not None and outer[0] <= inner[0] and inner[1] <= outer[1]


def cast_keeps_value(src: Any, dst: Any, operand: Optional[Interval] = None) -> bool:
    """The one cast rule: an integer cast from ``src`` to ``dst`` is the identity when every
    value of ``src`` fits ``dst`` (widening), or when the operand's known range
    ``operand`` does. Otherwise the cast may wrap. Casts from or to floats and fixed point
    never keep an index value.

    Example: ``cast_keeps_value(index, uint8)`` is False (it may wrap);
    ``cast_keeps_value(index, uint8, (0, 255))`` and ``cast_keeps_value(uint8, index)``
    are True.
    """
    s, d = type_range(src), type_range(dst)
    if s is None or d is None:
        return False
    return _inside(s, d) or _inside(operand, d)


# ------------------------------------------------------------------ forms
@dataclass(frozen=True)
class Atom:
    """A term of a form: a variable (``kind == "var"``, ``name``), ``floordiv``/``mod`` of
    ``args[0]`` by the positive constant ``divisor``, or ``min``/``max`` of ``args``."""

    kind: str
    name: str = ""
    args: Tuple["IndexForm", ...] = ()
    divisor: int = 0

    def render(self, name: Callable[[str], str]) -> str:
        if self.kind == "var":
            return name(self.name)
        if self.kind in ("floordiv", "mod"):
            return f"({self.args[0].render(name)} {self.kind} {self.divisor})"
        return f"{self.kind}({', '.join(a.render(name) for a in self.args)})"

    def evaluate(self, env: Mapping[str, int]) -> int:
        if self.kind == "var":
            return int(env[self.name])
        vals = [a.evaluate(env) for a in self.args]
        if self.kind == "floordiv":
            return vals[0] // self.divisor
        if self.kind == "mod":
            return vals[0] % self.divisor
        return min(vals) if self.kind == "min" else max(vals)


@dataclass(frozen=True, eq=False)
class IndexForm:
    """``sum(coef * atom) + const`` (coefficients non-zero, atoms in order of first
    appearance, so printing follows the source; equality ignores that order).

    Example: ``IndexForm.of({"i": 2, "j": 1}, 3)`` is ``2*i + j + 3``.
    """

    terms: Tuple[Tuple[Atom, int], ...]
    const: int

    # -- construction
    @staticmethod
    def of(coeffs: Mapping[str, int], const: int = 0) -> "IndexForm":
        """An affine form from ``{var: coefficient}``. Example: ``IndexForm.of({"i": 1}, -1)``."""
        return IndexForm(tuple((Atom("var", v), int(c)) for v, c in coeffs.items() if c), int(const))

    @staticmethod
    def constant(c: int) -> "IndexForm":
        return IndexForm((), int(c))

    @staticmethod
    def var(name: str) -> "IndexForm":
        return IndexForm(((Atom("var", name), 1),), 0)

    @staticmethod
    def atom(a: Atom) -> "IndexForm":
        return IndexForm(((a, 1),), 0)

    def add(self, other: "IndexForm", scale: int = 1) -> "IndexForm":
        """``self + scale * other``."""
        terms: Dict[Atom, int] = dict(self.terms)
        for a, c in other.terms:
            terms[a] = terms.get(a, 0) + scale * c
        return IndexForm(tuple((a, c) for a, c in terms.items() if c), self.const + scale * other.const)

    def scale(self, k: int) -> "IndexForm":
        return IndexForm(tuple((a, c * k) for a, c in self.terms if c * k), self.const * k)

    def __add__(self, other: "IndexForm") -> "IndexForm":
        return self.add(other)

    def __sub__(self, other: "IndexForm") -> "IndexForm":
        return self.add(other, -1)

    def shifted(self, offset: int) -> "IndexForm":
        return IndexForm(self.terms, self.const + offset)

    # -- equality: order-independent
    def _key(self) -> Tuple[frozenset, int]:
        return frozenset(self.terms), self.const

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IndexForm) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    # -- questions
    @property
    def is_const(self) -> bool:
        return not self.terms

    @property
    def is_affine(self) -> bool:
        """Only variables (no floordiv/mod/min/max atoms)."""
        return all(a.kind == "var" for a, _ in self.terms)

    def atom_kinds(self) -> set:
        """Every atom kind in the form, nested ones included."""
        out = set()
        for a, _ in self.terms:
            out.add(a.kind)
            for f in a.args:
                out |= f.atom_kinds()
        return out

    @property
    def coeffs(self) -> Tuple[Tuple[str, int], ...]:
        """``(var, coefficient)`` pairs sorted by name (variables only)."""
        return tuple(sorted((a.name, c) for a, c in self.terms if a.kind == "var"))

    def vars(self) -> List[str]:
        """Variables in order of first appearance, those inside atoms included."""
        out: List[str] = []
        for a, _ in self.terms:
            for n in ([a.name] if a.kind == "var" else [n for f in a.args for n in f.vars()]):
                if n not in out:
                    out.append(n)
        return out

    def split(self, fixed: Iterable[str]) -> Tuple["IndexForm", "IndexForm"]:
        """``(part over the variables `fixed`, the rest)`` of an affine form; the constant
        goes with the rest. Example: ``(i + k + 1).split(["i"]) == (i, k + 1)``."""
        fixed = set(fixed)
        mine = tuple((a, c) for a, c in self.terms if a.kind == "var" and a.name in fixed)
        rest = tuple((a, c) for a, c in self.terms if not (a.kind == "var" and a.name in fixed))
        return IndexForm(mine, 0), IndexForm(rest, self.const)

    def evaluate(self, env: Mapping[str, int]) -> int:
        """The value for integer variable values ``env`` (unbounded integers)."""
        return self.const + sum(c * a.evaluate(env) for a, c in self.terms)

    # -- printing
    def render(self, name: Callable[[str], str]) -> str:
        """MLIR affine-expression text; ``name`` spells a variable (``%i`` or ``d0``).
        Example: ``'%i * 2 + 1'``."""
        parts: List[str] = []
        for a, c in self.terms:
            atom = a.render(name)
            if not parts:
                parts.append(atom if c == 1 else f"{atom} * {c}")
            else:
                mag = abs(c)
                parts.append(("+ " if c > 0 else "- ") + (atom if mag == 1 else f"{atom} * {mag}"))
        if not parts:
            return str(self.const)
        if self.const:
            parts.append(("+ " if self.const > 0 else "- ") + str(abs(self.const)))
        return " ".join(parts)

    def show(self, offset: int = 0) -> str:
        """Readable text, variables sorted: ``'2*i + j - 1'``."""
        parts = [(v if c == 1 else f"{c}*{v}") for v, c in self.coeffs]
        parts += [(a.render(str) if c == 1 else f"{c}*{a.render(str)}")
                  for a, c in self.terms if a.kind != "var"]
        c = self.const + offset
        if not parts:
            return str(c)
        text = " + ".join(parts)
        return f"{text} + {c}" if c > 0 else f"{text} - {-c}" if c < 0 else text

    def __str__(self) -> str:
        return self.show()

    def __repr__(self) -> str:
        return f"IndexForm({self.show()!r})"


# ------------------------------------------------------------------ ranges of forms
def _interval_op(op: str, parts: Sequence[Interval], divisor: Optional[int] = None) -> Optional[Interval]:
    """Interval arithmetic for one op (``None`` when not covered)."""
    if op == "neg":
        return -parts[0][1], -parts[0][0]
    (a0, a1), (b0, b1) = parts[0], parts[1] if len(parts) > 1 else (divisor, divisor)
    if op == "add":
        return a0 + b0, a1 + b1
    if op == "sub":
        return a0 - b1, a1 - b0
    if op == "mul":
        products = (a0 * b0, a0 * b1, a1 * b0, a1 * b1)
        return min(products), max(products)
    if op == "min":
        return min(a0, b0), min(a1, b1)
    if op == "max":
        return max(a0, b0), max(a1, b1)
    if op in ("floordiv", "mod") and b0 == b1 and b0 > 0:
        if op == "floordiv":
            return a0 // b0, a1 // b0
        return (a0 % b0, a1 % b0) if a1 - a0 < b0 and a0 % b0 <= a1 % b0 else (0, b0 - 1)
    return None


def form_range(form: IndexForm, ranges: Ranges) -> Optional[Interval]:
    """``(min, max)`` of ``form`` when each variable ranges over ``ranges`` (``None`` if a
    variable has no range). Exact (both ends attained) for an affine form over non-empty
    ranges; a sound enclosure when the form has atoms.

    Example: ``form_range(IndexForm.of({"i": 2}, 1), {"i": (0, 3)}) == (1, 7)``.
    """
    lo = hi = form.const
    for a, c in form.terms:
        if a.kind == "var":
            rng = ranges.get(a.name)
        else:
            parts = [form_range(f, ranges) for f in a.args]
            rng = None if any(p is None for p in parts) else _interval_op(a.kind, parts, a.divisor)
        if rng is None:
            return None
        x, y = c * rng[0], c * rng[1]
        lo, hi = lo + min(x, y), hi + max(x, y)
    return lo, hi


# ------------------------------------------------------------------ expressions -> forms
_FORM_OPS = ("add", "sub", "neg", "mul", "floordiv", "mod", "min", "max")


def _const_int(e: Const) -> Optional[int]:
    v = e.value
    if isinstance(v, (float, np.floating)) or not isinstance(v, (int, np.integer, bool, np.bool_)):
        return None
    return e.type.wrap(int(v)) if hasattr(e.type, "wrap") else int(v)


class _Analysis:
    """One walk of an expression computing its form and value range together."""

    def __init__(self, ranges: Optional[Ranges]) -> None:
        self.ranges = ranges or {}
        self.var_ranges: Dict[str, Interval] = {}  # every variable seen, with a known range

    def run(self, e: Expr) -> Tuple[Optional[IndexForm], Optional[Interval]]:
        limits = type_range(getattr(e, "type", None))
        if limits is None:
            return None, None
        if isinstance(e, Const):
            v = _const_int(e)
            return (None, None) if v is None else (IndexForm.constant(v), (v, v))
        if isinstance(e, Var):
            rng = self.ranges.get(e.name)
            if rng is None and not e.type.is_index:
                rng = limits  # a scalar of a fixed-width type holds a value of that type
            if rng is not None:
                self.var_ranges[e.name] = rng
            return IndexForm.var(e.name), rng
        if not isinstance(e, Op):
            return None, None  # loads, stream reads: data
        parts = [self.run(a) for a in e.args]
        if e.op == "cast":
            form, rng = parts[0]
            if cast_keeps_value(e.args[0].type, e.type, rng):
                return form, rng
            return None, None  # the one cast rule: it may wrap
        if e.op not in _FORM_OPS or any(type_range(a.type) is None for a in e.args):
            return None, None
        forms = [f for f, _ in parts]
        form = self._combine(e.op, forms)
        rng = form_range(form, self.var_ranges) if form is not None else None
        if rng is None and all(r is not None for _, r in parts):
            divisor = forms[1].const if e.op in ("floordiv", "mod") and forms[1] is not None \
                and forms[1].is_const else None
            rng = _interval_op(e.op, [r for _, r in parts], divisor)
        if rng is not None:
            if not _inside(rng, limits):
                return None, None  # the result may wrap in its type
            return form, rng
        # unknown range: index arithmetic is exact by convention; narrower types may wrap
        return (form, None) if e.type.is_index else (None, None)

    @staticmethod
    def _combine(op: str, forms: List[Optional[IndexForm]]) -> Optional[IndexForm]:
        if any(f is None for f in forms):
            return None
        a = forms[0]
        if op == "neg":
            return a.scale(-1)
        b = forms[1]
        if op == "add":
            return a + b
        if op == "sub":
            return a - b
        if op == "mul":
            if b.is_const:
                return a.scale(b.const)
            return b.scale(a.const) if a.is_const else None  # a product of variables
        if op in ("floordiv", "mod"):
            if not (b.is_const and b.const > 0):
                return None
            if a.is_const:
                return IndexForm.constant(a.const // b.const if op == "floordiv" else a.const % b.const)
            return IndexForm.atom(Atom(op, args=(a,), divisor=b.const))
        # min / max
        if a.is_const and b.is_const:
            return IndexForm.constant(min(a.const, b.const) if op == "min" else max(a.const, b.const))
        return IndexForm.atom(Atom(op, args=(a, b)))


def index_form(e: Expr, ranges: Optional[Ranges] = None) -> Optional[IndexForm]:
    """The exact form of integer expression ``e``, or ``None`` (reads data, uses another
    op, or may wrap). ``ranges`` (loop variable -> values) lets the cast rule and the
    wrap checks use known ranges.

    Example: ``index_form(i // 2 + j)`` is ``(i floordiv 2) + j``.
    """
    return _Analysis(ranges).run(e)[0]


def affine_form(e: Expr, ranges: Optional[Ranges] = None) -> Optional[IndexForm]:
    """:func:`index_form` when it is affine (variables only), else ``None``.

    Example: ``affine_form(2 * i + j - 1)`` is ``2*i + j - 1``; ``affine_form(i % 4)`` is None.
    """
    form = index_form(e, ranges)
    return form if form is not None and form.is_affine else None


def interval(e: Expr, ranges: Optional[Ranges] = None) -> Optional[Interval]:
    """A sound ``(min, max)`` of integer expression ``e`` when the loop variables range
    over ``ranges``; ``None`` when unknown or when a sub-expression may wrap. Covers
    ``+ - * neg min max``, ``floordiv``/``mod`` by positive constants and the casts the
    cast rule keeps; scalars of fixed-width types range over their type.

    Example: ``interval(i * j, {"i": (0, 3), "j": (1, 2)}) == (0, 6)``.
    """
    return _Analysis(ranges).run(e)[1]


def static_index_range(e: Expr, ranges: Ranges) -> Optional[Interval]:
    """The exact ``(min, max)`` of an index affine in the loop variables of ``ranges``
    (each loop non-empty) when no sub-expression can wrap; ``None`` otherwise. The IR
    verifier rejects an access on it, so it must be attained, not merely enclosing.

    Example: with ``ranges={"i": (0, 3)}``, ``i + 2`` gives ``(2, 5)``.
    """
    form = affine_form(e, ranges)
    if form is None or any(v not in ranges for v in form.vars()):
        return None
    return form_range(form, ranges)


# ------------------------------------------------------------------ loops and trip counts
class ConstantLoop(NamedTuple):
    """A loop with constant bounds: ``range(lo, hi, step)`` runs ``trips`` times."""

    lo: int
    hi: int
    step: int
    trips: int

    @property
    def last(self) -> int:
        """The last value of the variable (``lo`` when the loop is empty)."""
        return self.lo + self.step * (self.trips - 1) if self.trips else self.lo


def trip_count(lo: int, hi: int, step: int) -> int:
    """Iterations of ``range(lo, hi, step)``. Example: ``trip_count(0, 10, 3) == 4``."""
    if step > 0:
        return max(0, -(-(hi - lo) // step))
    if step < 0:
        return max(0, -(-(lo - hi) // -step))
    return 0


def _bound_value(e: Any) -> Optional[int]:
    if isinstance(e, Const) and not isinstance(e.value, (float, np.floating)):
        return int(e.value)
    return None


def constant_trips(loop: For) -> Optional[ConstantLoop]:
    """``(lo, hi, step, trips)`` of a loop whose bounds are constants, else ``None``.

    Example: ``constant_trips(For("i", Const(0, index), Const(10, index), 3, []))``
    is ``ConstantLoop(lo=0, hi=10, step=3, trips=4)``.
    """
    lo, hi = _bound_value(loop.lo), _bound_value(loop.hi)
    if lo is None or hi is None or not isinstance(loop.step, (int, np.integer)):
        return None
    return ConstantLoop(lo, hi, int(loop.step), trip_count(lo, hi, int(loop.step)))


def loop_value_range(lo: Any, hi: Any, step: Any) -> Optional[Interval]:
    """``(first, last)`` value of ``for v in range(lo, hi, step)`` with constant bounds
    and a positive step; ``None`` if a bound is not a constant or the loop never runs.

    Example: ``loop_value_range(Const(0, index), Const(10, index), 3) == (0, 9)``.
    """
    if not isinstance(step, (int, np.integer)) or isinstance(step, bool) or step <= 0:
        return None
    first, stop = _bound_value(lo), _bound_value(hi)
    if first is None or stop is None or stop <= first:
        return None
    c = ConstantLoop(first, stop, int(step), trip_count(first, stop, int(step)))
    return c.lo, c.last


def loop_interval(loop: For, ranges: Optional[Ranges] = None) -> Optional[Interval]:
    """An interval holding every value of ``loop.var`` (``None`` when unknown), with the
    enclosing loops' variables in ``ranges`` (triangular and tiled bounds). An empty loop
    gets some interval: its body never runs.

    Example: ``for j in range(i, 8)`` with ``i`` in ``(0, 3)`` gives ``(0, 7)``.
    """
    c = constant_trips(loop)
    if c is not None and c.step > 0:
        return c.lo, max(c.lo, c.last)
    lo, hi = interval(loop.lo, ranges), interval(loop.hi, ranges)
    if lo is None or hi is None or not loop.step:
        return None
    if loop.step > 0:  # lo, lo+step, ... < hi: at most max(hi) - 1
        return lo[0], max(lo[0], hi[1] - 1)
    return min(hi[0] + 1, lo[1]), lo[1]  # lo, lo+step, ... > hi: at least min(hi) + 1


class IndexRanges:
    """Scoped intervals of the loop variables a code generator is inside; answers "is
    this index in range?" (:func:`interval` under the bound variables).

    Example::

        >>> from allo.ir.types import index
        >>> r = IndexRanges()
        >>> r.bind("i", (0, 3))
        >>> i = Var("i", index)
        >>> r.within(Op("add", (i, Const(1, index)), index), 4), r.within(i, 4)
        (False, True)
    """

    def __init__(self) -> None:
        self._vars: Dict[str, Interval] = {}

    def bind(self, var: str, rng: Optional[Interval]) -> Optional[Interval]:
        """Give ``var`` the interval ``rng`` (None: unknown); returns the previous one."""
        old = self._vars.pop(var, None)
        if rng is not None:
            self._vars[var] = rng
        return old

    def loop_range(self, s: For) -> Optional[Interval]:
        """The interval of ``s.var`` over the loop's iterations (None when unknown)."""
        return loop_interval(s, self._vars)

    def interval(self, e: Expr) -> Optional[Interval]:
        """``[min, max]`` of an integer expression's value, or None when not known."""
        return interval(e, self._vars)

    def within(self, e: Expr, extent: int) -> bool:
        """True when ``0 <= e < extent`` holds for every value of the loop variables."""
        return _inside(self.interval(e), (0, extent - 1))


__all__ = ["Interval", "Ranges", "type_range", "cast_keeps_value", "Atom", "IndexForm",
           "form_range", "index_form", "affine_form", "interval", "static_index_range",
           "ConstantLoop", "trip_count", "constant_trips", "loop_value_range", "loop_interval",
           "IndexRanges"]
