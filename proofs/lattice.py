"""Theorems about partition types (``allo/typesys/lattice.py``), machine-checked.

Each theorem is a callable returning ``(rule, statement, ok, seconds)``. The z3 theorems
are proved for symbolic extents and factors: each is a set of queries whose negation z3
shows unsatisfiable. Where a direction is "there is a conflicting pair of indices", the
proof names the witness pair explicitly (an instance of the universally quantified
hypothesis), which keeps the query quantifier-free. The set view of a layout on extent
``n``: ``cyclic(f)`` puts ``i`` in bank ``i % f``; blocks of size ``s`` put ``i`` in bank
``i / s``; ``L1 <: L2`` iff indices in one L1 bank are always in one L2 bank.

The lattice laws themselves are checked by exhaustive enumeration of every
representable layout on every extent up to a bound (``lattice_laws_exhaustive``); this is
a bounded check of the implementation, and together with the general theorems
(divisibility orders, divisor closure of block sizes) it covers every extent.

Example::

    >>> rule, statement, ok, seconds = cyclic_refinement_iff_divides()
    >>> ok
    True
"""

from __future__ import annotations

import time
from typing import Callable, List, Sequence, Tuple

import z3

Result = Tuple[str, str, bool, float]
TIMEOUT_MS = 20000


def _unsat(*formulas: z3.BoolRef) -> bool:
    solver = z3.Solver()
    solver.set("timeout", TIMEOUT_MS)
    solver.add(*formulas)
    return solver.check() == z3.unsat


def _theorem(rule: str, statement: str, queries: Callable[[], Sequence[Sequence[z3.BoolRef]]]
             ) -> Callable[[], Result]:
    """Wrap a list of queries (each must be unsat) as a theorem callable."""
    def check() -> Result:
        start = time.perf_counter()
        ok = all(_unsat(*q) for q in queries())
        return rule, statement, ok, time.perf_counter() - start
    check.__name__ = rule
    check.__doc__ = statement
    return check


def _ints(names: str):
    return z3.Ints(names)


def _in(x, n):
    return z3.And(0 <= x, x < n)


# ---------------------------------------------------------------- cyclic
def _mod_lemmas():
    """Lemma queries (each unsat) for: x - y == g*c  ==>  x % g == y % g  (g >= 1)."""
    g, c, x, y, z, rx, ry = _ints("g c x y z rx ry")
    bounds = [g >= 1, z3.Not(z3.And(0 <= x % g, x % g < g))]
    # x % g - y % g == g*(c - x/g + y/g), an identity given x = g*(x/g) + x%g
    identity = [g >= 1, x - y == g * c, z == c - x / g + y / g, (x % g) - (y % g) != g * z]
    # two remainders in [0, g) that differ by a multiple of g are equal
    remainders = [g >= 1, 0 <= rx, rx < g, 0 <= ry, ry < g, rx - ry == g * z, rx != ry]
    return [bounds, identity, remainders]


def _cyclic_refinement():
    n, f, g, i, j, k, c, d = _ints("n f g i j k c d")
    ctx = [2 <= f, f < n, g >= 1]
    same_f = lambda a, b: a % f == b % f  # noqa: E731
    same_g = lambda a, b: a % g == b % g  # noqa: E731
    # (<=) g | f (f = g*k): two indices in one f-bank are in one g-bank. Lemmas:
    diff = [f >= 1, same_f(i, j), i - j != f * (i / f - j / f)]   # i - j = f*d
    regroup = [f == g * k, f * d != g * (k * d)]                    # f*d = g*(k*d)
    # assembly from instances of the lemmas (each proved valid by its own query)
    back = [*ctx, k >= 1, f == g * k, _in(i, n), _in(j, n), same_f(i, j),
            d == i / f - j / f, c == k * d,
            i - j == f * d, f * d == g * c,
            z3.Implies(i - j == g * c, same_g(i, j)),
            z3.Not(same_g(i, j))]
    # (=>) the pair (0, f) is in one f-bank; if it is in one g-bank then g | f.
    forth = [*ctx, z3.Implies(same_f(0, f), same_g(0, f)), f % g != 0]
    return [*_mod_lemmas(), diff, regroup, back, forth]


cyclic_refinement_iff_divides = _theorem(
    "lattice.cyclic_refines_iff_divides",
    "for all n, 2 <= f < n, g >= 1: cyclic(f) <: cyclic(g) on extent n  <=>  g | f",
    _cyclic_refinement)


def _cyclic_large_factor():
    n, f, i, j = _ints("n f i j")
    complete = [n >= 1, f >= n, _in(i, n), _in(j, n), i % f == j % f, i != j]
    one = [n >= 1, _in(i, n), _in(j, n), i % 1 != j % 1]
    return [complete, one]


cyclic_coincidences = _theorem(
    "lattice.cyclic_coincidences",
    "for all n >= 1: cyclic(f) with f >= n is complete (banks are singletons), and "
    "cyclic(1) is none (one bank)",
    _cyclic_large_factor)


# ---------------------------------------------------------------- block
def _block_refinement():
    n, s, t, i, j, k = _ints("n s t i j k")
    ctx = [2 <= s, s < n, 2 <= t, t < n]
    # (<=) t = s*k: lemma i / (s*k) == (i / s) / k for i >= 0; so one s-block lies in
    # one t-block (assembled from the lemma's instances at i and j).
    x = z3.Int("x")
    nested = [s >= 1, k >= 1, x >= 0, x / (s * k) != (x / s) / k]
    back = [*ctx, k >= 1, t == s * k, _in(i, n), _in(j, n), i / s == j / s,
            i / t == (i / s) / k, j / t == (j / s) / k, i / t != j / t]
    return [nested, back, *_forth_block(ctx, s, t)]


def _forth_block(ctx, s, t):
    # (=>) if s does not divide t, the pair (t-1, t) is in one s-block and two t-blocks.
    forth = [*ctx, z3.Implies((t - 1) / s == t / s, (t - 1) / t == t / t), t % s != 0]
    return [forth]


block_refinement_iff_divides = _theorem(
    "lattice.block_refines_iff_divides",
    "for all n and bank sizes 2 <= s, t < n: blocks of size s <: blocks of size t  <=>  s | t",
    _block_refinement)


def _block_sizes():
    n, f, s, d, k = _ints("n f s d k")
    # ceil(n/f) = s  <=>  (s-1)*f < n <= s*f
    ceil_def = [n >= 1, f >= 1, ((n + f - 1) / f == s) != z3.And((s - 1) * f < n, n <= s * f)]
    # divisor closure: if banks of size s = d*k come from f banks, size d comes from f*k banks
    closure = [n >= 1, f >= 1, d >= 1, k >= 1, s == d * k, (s - 1) * f < n, n <= s * f,
               z3.Not(z3.And((d - 1) * (f * k) < n, n <= d * (f * k)))]
    # block(f) with f >= n has size 1 (complete); block(1) has size n (none)
    complete = [n >= 1, f >= n, (n + f - 1) / f != 1]
    none = [n >= 1, (n + 1 - 1) / 1 != n]
    return [ceil_def, closure, complete, none]


block_sizes_divisor_closed = _theorem(
    "lattice.block_sizes_divisor_closed",
    "for all n, f >= 1: block(f) has banks of size s = ceil(n/f) iff (s-1)f < n <= sf; every "
    "divisor d of a representable size is representable (with f*s/d banks), so the "
    "representable sizes are gcd-closed; block(f >= n) = complete, block(1) = none",
    _block_sizes)


# ---------------------------------------------------------------- block vs cyclic
def _incomparable():
    n, s, g, f, t = _ints("n s g f t")
    # blocks of size s >= 2 never refine cyclic(g >= 2): 0 and 1 share a block, not a bank
    block_not_cyclic = [2 <= s, s < n, g >= 2, z3.Implies(0 / s == 1 / s, 0 % g == 1 % g)]
    # cyclic(f), 2 <= f < n, never refines blocks of size 2 <= t < n: witness (0, f) when
    # f >= t, else ((n-1) % f, n-1)
    bad = lambda a, b: z3.And(a % f == b % f, a / t != b / t)  # noqa: E731
    cyclic_not_block = [2 <= f, f < n, 2 <= t, t < n,
                        z3.Not(z3.Or(bad(0, f), bad((n - 1) % f, n - 1)))]
    return [block_not_cyclic, cyclic_not_block]


block_cyclic_incomparable = _theorem(
    "lattice.block_cyclic_incomparable",
    "for all n: non-trivial block and cyclic layouts (2 <= size, factor < n) are incomparable",
    _incomparable)


def _divisibility_order():
    a, b, c, x, y = _ints("a b c x y")
    transitive = [a >= 1, b >= 1, c >= 1, b == a * x, c == b * y, c % a != 0]
    antisymmetric = [a >= 1, b >= 1, b % a == 0, a % b == 0, a != b]
    return [transitive, antisymmetric]


divisibility_partial_order = _theorem(
    "lattice.divisibility_partial_order",
    "divisibility on positive ints is transitive and antisymmetric, so the cyclic and block "
    "orders (and with complete/none as bottom/top, the whole per-dimension order) are "
    "partial orders",
    _divisibility_order)


# ---------------------------------------------------------------- bounded, on the code
def lattice_laws_exhaustive(max_extent: int = 32) -> Result:
    """For every extent up to ``max_extent`` and all representable layouts: the order is
    refinement of bank partitions, ``&``/``|`` are the exact glb/lub, and the lattice laws
    hold (checked on the implementation in ``allo.typesys.lattice``)."""
    from allo.typesys.lattice import KINDS, DimLayout

    start = time.perf_counter()
    ok = True
    for n in range(1, max_extent + 1):
        elems = sorted({DimLayout(k, f, n) for k in KINDS for f in range(1, n + 1)}, key=str)
        parts = {e: e.bank_partition() for e in elems}
        leq = {(a, b): all(any(x <= y for y in parts[b]) for x in parts[a])
               for a in elems for b in elems}
        for a in elems:
            for b in elems:
                ok &= (a <= b) == leq[a, b]
                m, j = a & b, a | b
                ok &= all(leq[c, m] == (leq[c, a] and leq[c, b]) for c in elems)
                ok &= all(leq[j, c] == (leq[a, c] and leq[b, c]) for c in elems)
                ok &= a & (a | b) == a and a | (a & b) == a
        if not ok:
            break
    return ("lattice.laws_exhaustive",
            f"for every extent n <= {max_extent}: <: is bank-partition refinement, & and | are "
            "the exact greatest lower / least upper bounds among representable layouts "
            "(hence idempotent, commutative, associative, absorptive)",
            bool(ok), time.perf_counter() - start)


THEOREMS: List[Callable[[], Result]] = [
    cyclic_refinement_iff_divides,
    cyclic_coincidences,
    block_refinement_iff_divides,
    block_sizes_divisor_closed,
    block_cyclic_incomparable,
    divisibility_partial_order,
    lattice_laws_exhaustive,
]


def check_all(verbose: bool = True) -> List[Result]:
    """Check every theorem; print a table when ``verbose``. Example: ``all(r[2] for r in check_all())``."""
    results = [thm() for thm in THEOREMS]
    if verbose:
        width = max(len(r[0]) for r in results)
        for rule, statement, ok, seconds in results:
            print(f"{rule:<{width}}  {'proved' if ok else 'FAILED':<6}  {seconds:7.3f}s  {statement}")
    return results


if __name__ == "__main__":
    import sys

    sys.exit(0 if all(r[2] for r in check_all()) else 1)
