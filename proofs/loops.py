"""Theorems of the loop primitives (split, fuse, tile, reorder, parallel, annotations).

Sizes and factors are symbolic integers; each theorem is a chain of small lemmas.
"""

from __future__ import annotations

import z3

from .core import definition, theorem


def _ceil_div(n, f):
    return (n + f - 1) / f


@theorem("loop.split", index_widths=(
    "the rewrite computes o*F + i (at most ceil(N/F)*F - 1), the inner bound N - o*F (at least N - ceil(N/F)*F + F > 0 over the outer range) and lo + t*step only for original iterations t; F is clamped to N first (so ceil(N/F)*F < 2N) and the side condition checks both bounds fit in the 64-bit index"))
def split():
    """For all trip counts N >= 0 and factors F >= 1, the map t -> (t / F, t % F) is an
    order-preserving bijection from [0, N) onto {(o, i) | 0 <= o < ceil(N / F),
    0 <= i < min(F, N - o*F)}, whose inverse is (o, i) -> o*F + i; so the split nest (the
    inner loop bounded by ``min``, perfectly nested) runs exactly the original iterations,
    each once, in the original order.

    Lemmas: the min bound is the guard i < F and o*F + i < N; the image lies in the split
    space; the inverse undoes the map; the inverse is injective on the split space;
    lexicographic order of (o, i) equals the order of o*F + i.
    """
    N, F, t, o, i, o2, i2 = z3.Ints("N F t o i o2 i2")
    pre = z3.And(N >= 0, F >= 1)
    min_bound = lambda a: z3.If(F < N - a * F, F, N - a * F)  # noqa: E731
    in_space = lambda a, b: z3.And(0 <= a, a < _ceil_div(N, F), 0 <= b, b < min_bound(a))  # noqa: E731
    yield "min bound is the guard", z3.Implies(
        pre, (i < min_bound(o)) == z3.And(i < F, o * F + i < N))
    yield "image in guarded space", z3.Implies(z3.And(pre, 0 <= t, t < N), in_space(t / F, t % F))
    yield "inverse undoes the map", z3.Implies(z3.And(pre, 0 <= t, t < N), (t / F) * F + t % F == t)
    yield "guarded space maps into [0, N)", z3.Implies(z3.And(pre, in_space(o, i)),
                                                       z3.And(0 <= o * F + i, o * F + i < N))
    yield "inverse is injective", z3.Implies(
        z3.And(pre, in_space(o, i), in_space(o2, i2), o * F + i == o2 * F + i2),
        z3.And(o == o2, i == i2))
    yield "order preserved", z3.Implies(
        z3.And(pre, in_space(o, i), in_space(o2, i2)),
        (z3.Or(o < o2, z3.And(o == o2, i < i2))) == (o * F + i < o2 * F + i2))


@theorem("loop.fuse", index_widths=(
    "the fused variable runs to the product of the trip counts and its digits are floordiv/mod of it; the side condition checks the product fits in the 64-bit index"))
def fuse():
    """For all extents N, M >= 1, the map (a, b) -> a*M + b is an order-preserving bijection
    from [0, N) x [0, M) (lexicographic order) onto [0, N*M), with inverse
    f -> (f / M, f % M); so the fused loop runs the original iterations in order.
    """
    N, M, a, b, a2, b2, f = z3.Ints("N M a b a2 b2 f")
    pre = z3.And(N >= 1, M >= 1)
    box = lambda x, y: z3.And(0 <= x, x < N, 0 <= y, y < M)  # noqa: E731
    yield "image in range", z3.Implies(z3.And(pre, box(a, b)), z3.And(0 <= a * M + b, a * M + b < N * M))
    yield "inverse in box", z3.Implies(z3.And(pre, 0 <= f, f < N * M), box(f / M, f % M))
    yield "inverse undoes the map", z3.Implies(z3.And(pre, box(a, b)),
                                               z3.And((a * M + b) / M == a, (a * M + b) % M == b))
    yield "order preserved", z3.Implies(
        z3.And(pre, box(a, b), box(a2, b2)),
        z3.Or(a < a2, z3.And(a == a2, b < b2)) == (a * M + b < a2 * M + b2))


def _commute_lemmas():
    """Two adjacent statement instances that do not conflict commute: the memory after
    running them in either order is the same (z3 array theory, 32-bit values)."""
    mem = z3.Array("mem", z3.IntSort(), z3.BitVecSort(32))
    w1, r1, w2, r2 = z3.Ints("w1 r1 w2 r2")
    f1 = z3.Function("f1", z3.BitVecSort(32), z3.BitVecSort(32))
    f2 = z3.Function("f2", z3.BitVecSort(32), z3.BitVecSort(32))

    def run1(m):  # instance 1: mem[w1] = f1(mem[r1])
        return z3.Store(m, w1, f1(z3.Select(m, r1)))

    def run2(m):
        return z3.Store(m, w2, f2(z3.Select(m, r2)))

    independent = z3.And(w1 != w2, w1 != r2, w2 != r1)
    yield "independent instances commute", z3.Implies(independent, run2(run1(mem)) == run1(run2(mem)))


@theorem("loop.reorder", index_widths=(
    "no new index arithmetic: loop headers move; every index value is one the original program computes"))
def reorder():
    """A permutation of the loops of a perfect nest preserves the final memory whenever no
    pair of conflicting statement instances (same element, at least one write) changes its
    relative order: the new execution order is then reachable from the old one by swapping
    adjacent non-conflicting instances (bubble sort over the instances, which never swaps a
    conflicting pair because their order is the same in both sequences), and each such swap
    preserves memory (the z3 lemma below). The side condition checked by ``reorder`` is
    exactly "no conflicting pair is reversed", decided per design by dependence analysis.
    """
    yield from _commute_lemmas()


@theorem("loop.tile", index_widths=(
    "as loop.split for each split loop (the side conditions of split are checked for both); the reorder adds no index arithmetic"))
def tile():
    """Tiling is split on two loops followed by a reorder of the resulting perfect nest; it
    is sound by loop.split (twice) and loop.reorder under reorder's side condition, which
    ``tile`` checks for the concrete design.
    """
    yield from split()
    yield from _commute_lemmas()


@theorem("annotation.parallel", index_widths=(
    "no new index arithmetic: an attribute only; every index value is one the original program computes"))
def parallel():
    """Iterations of a loop without loop-carried dependence may run in any order or
    concurrently: all of their instances are pairwise non-conflicting, so every
    interleaving reaches the same memory (instances commute, lemma below).
    """
    yield from _commute_lemmas()


@definition("annotation.unroll", index_widths=(
    "no new index arithmetic: an attribute only; every index value is one the original program computes"))
def unroll():
    """Unrolling is an annotation: the loop's ``unroll`` attribute tells the HLS backend to
    replicate the body, in order; the IR loop, and so the program's meaning, is unchanged.
    """


@definition("annotation.pipeline", index_widths=(
    "no new index arithmetic: an attribute only; every index value is one the original program computes"))
def pipeline():
    """Pipelining is an annotation: the loop's ``pipeline_ii`` attribute asks HLS for an
    initiation interval; HLS pipelining preserves the sequential semantics, and the IR loop
    is unchanged.
    """
