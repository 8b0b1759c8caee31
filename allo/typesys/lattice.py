"""Partition (memory layout) types and their subtyping lattice.

A buffer dimension of extent ``n`` is stored in *banks*; two indices of that dimension can
be read/written in the same cycle only if they live in different banks. A per-dimension
layout is therefore a **bank partition** of ``{0, ..., n-1}``:

* ``none``         one bank holding every index (no parallelism);
* ``complete``     ``n`` banks of one index each (full parallelism);
* ``block(f)``     consecutive blocks of ``s = ceil(n / f)`` indices: ``bank(i) = i // s``;
* ``cyclic(f)``    round robin over ``f`` banks: ``bank(i) = i % f``.

(These are Vitis HLS ``array_partition`` semantics; ``f`` is the number of banks.)

Subtyping: ``L1 <: L2`` ("L1 supplies at least as much read/write parallelism as L2")
iff L1's bank partition **refines** L2's: every L1 bank lies inside one L2 bank, i.e. any
two indices that may be accessed in the same cycle under L2 (different L2 banks) are in
different L1 banks too. A kernel that needs L2 may be given any ``L1 <: L2``.

Equality of layouts is equality of bank partitions. Every :class:`DimLayout` is stored in
a canonical form for its extent, so ``==`` *is* partition equivalence:

* ``complete == block(n) == cyclic(n)`` (any factor ``>= n``) and
  ``none == block(1) == cyclic(1)``; on extent 1 everything is ``none``;
* ``block(f)`` has banks of size ``s = ceil(n/f)``, hence ``ceil(n/s)`` non-empty banks:
  ``block(6)`` on extent 10 (size 2) is ``block(5)``. Only sizes in
  ``S_n = {ceil(n/f) | f >= 1}`` are representable (size 6 on extent 10 is not);
* otherwise ``block(f)`` (``1 < s < n``) and ``cyclic(f)`` (``1 < f < n``) are pairwise
  distinct partitions.

The order on canonical layouts of extent ``n`` (derived from the set view, see
``proofs/lattice.py`` for the general proofs and :meth:`DimLayout.bank_partition` for the
brute-force oracle the tests compare against):

* ``complete`` is the bottom (subtype of everything), ``none`` the top;
* ``block(s1) <: block(s2)`` (by bank *size*) iff ``s1 | s2``;
* ``cyclic(f) <: cyclic(g)`` iff ``g | f``;
* a non-trivial block and a non-trivial cyclic layout are incomparable.

Meet (greatest lower bound, ``a & b``): the coarsest representable layout that refines
both, i.e. the least parallel layout that supplies what both need: ``cyclic(lcm(f, g))``
(``complete`` if ``lcm >= n``); ``block`` with the largest representable size dividing
both sizes (``complete`` if only size 1); ``complete`` for block vs cyclic. Join (least
upper bound, ``a | b``): the finest representable layout both refine: ``cyclic(gcd)``
(``none`` if 1), ``block`` with the smallest representable size ``< n`` that both sizes
divide (else ``none``), ``none`` for block vs cyclic. The true common refinement of a
block and a cyclic partition is generally not representable; ``complete`` is its best
representable (sound) approximation. With these definitions the representable layouts of
every extent form a lattice: the bounds are exact within the representable set. For
blocks this rests on ``S_n`` being closed under divisors (if ``ceil(n/f) = d*k`` then
``ceil(n/(f*k)) = d``; proved in ``proofs/lattice.py``), so the gcd of two sizes is
representable, and the smallest representable common multiple divides all others. Multi-dimensional layouts are products: ordered, met and
joined pointwise.

Example::

    >>> a, b = DimLayout.cyclic(4, 16), DimLayout.cyclic(2, 16)
    >>> a <= b, b <= a
    (True, False)
    >>> str(DimLayout.cyclic(4, 8) & DimLayout.cyclic(6, 8))  # lcm 12 >= 8 banks
    'complete'
    >>> str(DimLayout.block(6, 10))
    'block(5)'
    >>> L = Layout.parse("[cyclic(4), none]", (8, 8))
    >>> str(L & Layout.parse("[none, block(2)]", (8, 8)))
    '[cyclic(4), block(2)]'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import FrozenSet, Iterable, List, Sequence, Tuple

from ..errors import AlloTypeError

NONE, BLOCK, CYCLIC, COMPLETE = "none", "block", "cyclic", "complete"
KINDS = (NONE, BLOCK, CYCLIC, COMPLETE)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def is_block_size(size: int, extent: int) -> bool:
    """Whether banks of ``size`` consecutive indices are expressible as ``block(f)``.

    Example: ``is_block_size(5, 10)`` is True (``block(2)``), ``is_block_size(6, 10)`` False.
    """
    return 1 <= size <= extent and _ceil_div(extent, _ceil_div(extent, size)) == size


def _check_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AlloTypeError(f"{what} must be an int, got {value!r}")
    return value


@dataclass(frozen=True)
class DimLayout:
    """The layout of one dimension of extent ``extent``: canonical (see module doc).

    ``factor`` is the number of non-empty banks (1 for ``none``, ``extent`` for
    ``complete``). Compare with ``<=`` (subtype: supplies at least as much parallelism),
    combine with ``&`` (meet) and ``|`` (join).

    Example: ``DimLayout.cyclic(8, 8) == DimLayout.complete(8)``.
    """

    kind: str
    factor: int
    extent: int

    def __post_init__(self) -> None:
        n = _check_int(self.extent, "a dimension's extent")
        f = _check_int(self.factor, "a partition factor")
        if n < 1:
            raise AlloTypeError(f"a dimension's extent must be positive, got {n}")
        if self.kind not in KINDS:
            raise AlloTypeError(f"unknown partition kind {self.kind!r}",
                                hint=f"use one of {', '.join(KINDS)}")
        if self.kind in (BLOCK, CYCLIC) and f < 1:
            raise AlloTypeError(f"{self.kind} partition factor must be >= 1, got {f}")
        kind, factor = _canonical(self.kind, f, n)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "factor", factor)

    # -------------------------------------------------------------- constructors
    @staticmethod
    def none(extent: int) -> "DimLayout":
        """One bank (no parallelism). Example: ``DimLayout.none(8)``."""
        return DimLayout(NONE, 1, extent)

    @staticmethod
    def complete(extent: int) -> "DimLayout":
        """One bank per index. Example: ``DimLayout.complete(8)``."""
        return DimLayout(COMPLETE, extent, extent)

    @staticmethod
    def block(factor: int, extent: int) -> "DimLayout":
        """``factor`` banks of consecutive indices. Example: ``DimLayout.block(2, 8)``."""
        return DimLayout(BLOCK, factor, extent)

    @staticmethod
    def cyclic(factor: int, extent: int) -> "DimLayout":
        """Round robin over ``factor`` banks. Example: ``DimLayout.cyclic(4, 8)``."""
        return DimLayout(CYCLIC, factor, extent)

    @staticmethod
    def block_of_size(size: int, extent: int) -> "DimLayout":
        """The block layout with banks of ``size`` indices (must be representable).

        Example: ``DimLayout.block_of_size(3, 10) == DimLayout.block(4, 10)``.
        """
        if not is_block_size(size, extent):
            raise AlloTypeError(f"banks of {size} consecutive indices are not a block "
                                f"partition of extent {extent}")
        return DimLayout(BLOCK, _ceil_div(extent, size), extent)

    @staticmethod
    def parse(text: str, extent: int) -> "DimLayout":
        """Parse ``"none"``, ``"complete"``, ``"block(4)"`` or ``"cyclic(4)"``.

        Example: ``DimLayout.parse("cyclic(4)", 16).factor == 4``.
        """
        m = re.fullmatch(r"\s*(none|complete|block|cyclic)\s*(?:\(\s*(\d+)\s*\))?\s*",
                         text.lower())
        if m is None or (m.group(1) in (BLOCK, CYCLIC)) != (m.group(2) is not None):
            raise AlloTypeError(f"cannot parse partition type {text!r}",
                                hint="write none, complete, block(f) or cyclic(f)")
        kind = m.group(1)
        if kind == NONE:
            return DimLayout.none(extent)
        if kind == COMPLETE:
            return DimLayout.complete(extent)
        return DimLayout(kind, int(m.group(2)), extent)

    # -------------------------------------------------------------- the set view
    @property
    def block_size(self) -> int:
        """Indices per bank for ``block``/``none``/``complete`` (``ceil(n / factor)``)."""
        return _ceil_div(self.extent, self.factor)

    def bank_of(self, index: int) -> int:
        """The bank holding ``index``. Example: ``DimLayout.cyclic(4, 8).bank_of(5) == 1``."""
        if self.kind == CYCLIC:
            return index % self.factor
        return index // self.block_size  # none, complete and block are all blocked

    def bank_partition(self) -> FrozenSet[FrozenSet[int]]:
        """The banks as a set of index sets: the definition the order is derived from."""
        banks: dict = {}
        for i in range(self.extent):
            banks.setdefault(self.bank_of(i), set()).add(i)
        return frozenset(frozenset(b) for b in banks.values())

    # -------------------------------------------------------------- the order
    def _same_extent(self, other: "DimLayout") -> None:
        if not isinstance(other, DimLayout):
            raise AlloTypeError(f"cannot compare a partition type with {other!r}")
        if other.extent != self.extent:
            raise AlloTypeError(f"partition types of different extents cannot be compared: "
                                f"{self} on {self.extent} vs {other} on {other.extent}")

    def __le__(self, other: "DimLayout") -> bool:
        """``self <: other``: self's banks refine other's (supplies at least as much)."""
        self._same_extent(other)
        if self == other or self.kind == COMPLETE or other.kind == NONE:
            return True
        if self.kind == NONE or other.kind == COMPLETE or self.kind != other.kind:
            return False
        if self.kind == BLOCK:
            return other.block_size % self.block_size == 0
        return self.factor % other.factor == 0  # cyclic(f) <: cyclic(g) iff g | f

    def __lt__(self, other: "DimLayout") -> bool:
        return self <= other and self != other

    def __ge__(self, other: "DimLayout") -> bool:
        return other <= self

    def __gt__(self, other: "DimLayout") -> bool:
        return other < self

    def meet(self, other: "DimLayout") -> "DimLayout":
        """Greatest lower bound: the least parallel layout supplying both.

        Example: ``DimLayout.cyclic(2, 16).meet(DimLayout.cyclic(3, 16))`` is ``cyclic(6)``.
        """
        if self <= other:
            return self
        if other <= self:
            return other
        n = self.extent
        if self.kind == other.kind == CYCLIC:
            return DimLayout.cyclic(math.lcm(self.factor, other.factor), n)
        if self.kind == other.kind == BLOCK:
            # representable sizes are closed under divisors (proofs/lattice.py), so the
            # gcd of two sizes is representable; size 1 is ``complete``
            return DimLayout.block_of_size(math.gcd(self.block_size, other.block_size), n)
        return DimLayout.complete(n)

    def join(self, other: "DimLayout") -> "DimLayout":
        """Least upper bound: the most parallel layout that both supply.

        Example: ``DimLayout.cyclic(4, 16).join(DimLayout.cyclic(6, 16))`` is ``cyclic(2)``.
        """
        if self <= other:
            return other
        if other <= self:
            return self
        n = self.extent
        if self.kind == other.kind == CYCLIC:
            return DimLayout.cyclic(math.gcd(self.factor, other.factor), n)
        if self.kind == other.kind == BLOCK:
            # the smallest representable common multiple below n divides every other
            # one (their gcd is representable and a common multiple), so it is the lub
            step = math.lcm(self.block_size, other.block_size)
            for size in range(step, n, step):
                if is_block_size(size, n):
                    return DimLayout.block_of_size(size, n)
        return DimLayout.none(n)

    __and__ = meet
    __or__ = join

    def __str__(self) -> str:
        return self.kind if self.kind in (NONE, COMPLETE) else f"{self.kind}({self.factor})"


def _canonical(kind: str, factor: int, n: int) -> Tuple[str, int]:
    """The canonical (kind, bank count) of a layout on extent ``n`` (see module doc)."""
    if kind == NONE or n == 1:
        return NONE, 1
    if kind == COMPLETE:
        return COMPLETE, n
    if kind == CYCLIC:
        return (NONE, 1) if factor == 1 else (COMPLETE, n) if factor >= n else (CYCLIC, factor)
    size = _ceil_div(n, factor)
    if size == n:
        return NONE, 1
    if size == 1:
        return COMPLETE, n
    return BLOCK, _ceil_div(n, size)


@dataclass(frozen=True)
class Layout:
    """A buffer's layout: one :class:`DimLayout` per dimension (a product lattice).

    Example::

        >>> L = Layout.of((4, 8), ["complete", "cyclic(2)"])
        >>> str(L), L.shape, L <= Layout.none((4, 8))
        ('[complete, cyclic(2)]', (4, 8), True)
    """

    dims: Tuple[DimLayout, ...]

    def __post_init__(self) -> None:
        dims = tuple(self.dims)
        for d in dims:
            if not isinstance(d, DimLayout):
                raise AlloTypeError(f"a layout is a sequence of DimLayout, got {d!r}")
        object.__setattr__(self, "dims", dims)

    @staticmethod
    def trusted(dims: Tuple[DimLayout, ...]) -> "Layout":
        """Wrap a tuple already known to hold DimLayouts (no checks; for hot loops)."""
        layout = object.__new__(Layout)
        object.__setattr__(layout, "dims", dims)
        return layout

    @staticmethod
    def none(shape: Sequence[int]) -> "Layout":
        """No partitioning. Example: ``Layout.none((4, 4))``."""
        return Layout(tuple(DimLayout.none(n) for n in shape))

    @staticmethod
    def complete(shape: Sequence[int]) -> "Layout":
        """Every element in its own register. Example: ``Layout.complete((4,))``."""
        return Layout(tuple(DimLayout.complete(n) for n in shape))

    @staticmethod
    def of(shape: Sequence[int], dims: Iterable[object]) -> "Layout":
        """Build from per-dimension strings or DimLayouts. Example: ``Layout.of((8,), ["block(2)"])``."""
        shape = tuple(shape)
        items = list(dims)
        if len(items) != len(shape):
            raise AlloTypeError(f"a layout of a rank-{len(shape)} buffer needs {len(shape)} "
                                f"dimension types, got {len(items)}")
        out = []
        for n, d in zip(shape, items):
            if isinstance(d, DimLayout):
                if d.extent != n:
                    raise AlloTypeError(f"dimension type {d} is for extent {d.extent}, not {n}")
                out.append(d)
            else:
                out.append(DimLayout.parse(str(d), n))
        return Layout(tuple(out))

    @staticmethod
    def parse(text: str, shape: Sequence[int]) -> "Layout":
        """Parse the printed form ``"[cyclic(4), none]"``. Example: ``Layout.parse("[none]", (8,))``."""
        body = text.strip()
        if body.startswith("[") and body.endswith("]"):
            body = body[1:-1]
        parts = [p for p in re.split(r",(?![^(]*\))", body) if p.strip()]
        return Layout.of(shape, parts)

    @property
    def shape(self) -> Tuple[int, ...]:
        return tuple(d.extent for d in self.dims)

    @property
    def rank(self) -> int:
        return len(self.dims)

    @property
    def is_none(self) -> bool:
        return all(d.kind == NONE for d in self.dims)

    def with_dim(self, index: int, dim: DimLayout) -> "Layout":
        """A copy with dimension ``index`` (0-based) replaced. Example: ``L.with_dim(0, d)``."""
        dims = list(self.dims)
        dims[index] = dim
        return Layout(tuple(dims))

    def _same_shape(self, other: "Layout") -> None:
        if not isinstance(other, Layout):
            raise AlloTypeError(f"cannot combine a layout with {other!r}")
        if other.shape != self.shape:
            raise AlloTypeError(f"layouts of different shapes cannot be compared: {self} on "
                                f"{self.shape} vs {other} on {other.shape}")

    def __le__(self, other: "Layout") -> bool:
        """Pointwise subtyping. Example: ``Layout.complete((2,)) <= Layout.none((2,))``."""
        self._same_shape(other)
        return all(a <= b for a, b in zip(self.dims, other.dims))

    def __lt__(self, other: "Layout") -> bool:
        return self <= other and self != other

    def __ge__(self, other: "Layout") -> bool:
        return other <= self

    def __gt__(self, other: "Layout") -> bool:
        return other < self

    def meet(self, other: "Layout") -> "Layout":
        """Pointwise greatest lower bound. Example: ``L1 & L2``."""
        self._same_shape(other)
        return Layout(tuple(a.meet(b) for a, b in zip(self.dims, other.dims)))

    def join(self, other: "Layout") -> "Layout":
        """Pointwise least upper bound. Example: ``L1 | L2``."""
        self._same_shape(other)
        return Layout(tuple(a.join(b) for a, b in zip(self.dims, other.dims)))

    __and__ = meet
    __or__ = join

    def unsupplied_dims(self, needed: "Layout") -> List[int]:
        """0-based dims where ``self`` supplies less than ``needed`` (empty iff ``self <= needed``)."""
        self._same_shape(needed)
        return [i for i, (a, b) in enumerate(zip(self.dims, needed.dims)) if not a <= b]

    def __str__(self) -> str:
        return "[" + ", ".join(str(d) for d in self.dims) + "]"

    def __repr__(self) -> str:
        return f"Layout.parse({str(self)!r}, {self.shape!r})"


__all__ = ["DimLayout", "Layout", "KINDS", "NONE", "BLOCK", "CYCLIC", "COMPLETE",
           "is_block_size"]
