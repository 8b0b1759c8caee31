"""Theorems of the memory primitives (buffer_at, reuse_at, reshape, partition).

Memory is a z3 array from (linearized) indices to 32-bit values; sizes, offsets and box
bounds are symbolic integers. A loop over a box is modelled by the element relation it
establishes (a quantified statement about every cell), and each loop's effect is proved
from its single-step lemma (loop invariant), so the lemmas stay small.
"""

from __future__ import annotations

import z3

from .core import theorem

_VAL = z3.BitVecSort(32)


def _mem(name: str) -> z3.ArrayRef:
    return z3.Array(name, z3.IntSort(), _VAL)


def _mem2(name: str) -> z3.ArrayRef:
    return z3.Array(name, z3.IntSort(), z3.IntSort(), _VAL)


@theorem("memory.buffer_at", index_widths=(
    "buffer indices are an access's index minus the box's lower bound, in [0, extent) for every access proved inside the box, and copy-nest indices are the box's lower bound plus a cell below the box size: no value exceeds the buffer's extents (which fit the 64-bit index)"))
def buffer_at():
    """For all box bounds lo and sizes n >= 1 and every body whose accesses of the target
    lie in [lo, lo + n): let Inv(A, B) say B[w] = A[lo + w] for every cell w of the box.
    The init copy establishes Inv; while Inv holds, a read of B[a - lo] returns A[a]; a
    store to B[a - lo] and the same store to A[a] preserve Inv; and with Inv the write-back
    of B into A leaves A unchanged. So running the body on the buffer between init and
    write-back reads the same values and leaves the target equal to running it in place
    (by induction over the body's accesses). The same holds for a 2-D box (dimensions
    address the box independently), and a dropped dimension is a box of size 1 whose index
    equals its lower bound.
    """
    A, B = _mem("A"), _mem("B")
    lo, n, w, a, j = z3.Ints("lo n w a j")
    v = z3.BitVec("v", 32)
    pre = n >= 1
    in_box = lambda x: z3.And(lo <= x, x < lo + n)  # noqa: E731
    inv = lambda A_, B_: z3.ForAll([w], z3.Implies(z3.And(0 <= w, w < n),  # noqa: E731
                                                   B_[w] == A_[lo + w]))
    init = z3.Lambda([w], z3.If(z3.And(0 <= w, w < n), A[lo + w], B[w]))
    yield "init establishes the invariant", z3.Implies(pre, inv(A, init))
    yield "reads through the buffer equal reads of the target", z3.Implies(
        z3.And(pre, inv(A, B), in_box(a)), B[a - lo] == A[a])
    yield "a store keeps the invariant", z3.Implies(
        z3.And(pre, inv(A, B), in_box(a)), inv(z3.Store(A, a, v), z3.Store(B, a - lo, v)))
    write_back = z3.Lambda([j], z3.If(in_box(j), B[j - lo], A[j]))
    yield "write-back under the invariant restores the in-place memory", z3.Implies(
        z3.And(pre, inv(A, B)), write_back == A)
    # the 2-D box: B2[p, q] = A2[lo + p, lo2 + q]
    A2, B2 = _mem2("A2"), _mem2("B2")
    lo2, n2, p, q, a2 = z3.Ints("lo2 n2 p q a2")
    inv2 = lambda A_, B_: z3.ForAll([p, q], z3.Implies(  # noqa: E731
        z3.And(0 <= p, p < n, 0 <= q, q < n2), B_[p, q] == A_[lo + p, lo2 + q]))
    in_box2 = z3.And(in_box(a), lo2 <= a2, a2 < lo2 + n2)
    yield "2-D: a store keeps the invariant", z3.Implies(
        z3.And(pre, n2 >= 1, inv2(A2, B2), in_box2),
        inv2(z3.Store(A2, a, a2, v), z3.Store(B2, a - lo, a2 - lo2, v)))
    yield "2-D: reads through the buffer equal reads of the target", z3.Implies(
        z3.And(pre, n2 >= 1, inv2(A2, B2), in_box2), B2[a - lo, a2 - lo2] == A2[a, a2])
    yield "a dropped (size-1) dimension's index is its lower bound", z3.Implies(
        z3.And(lo <= a, a < lo + 1), a == lo)


@theorem("memory.reuse_at", index_widths=(
    "window indices are an access's index minus the window's start, in [0, width) for every read proved inside the window; shift and load add at most width - 1 to a cell (or stride + cell) or to the window's start, an element the original reads: no value exceeds the target's extents"))
def reuse_at():
    """For all window widths W >= 1, strides 1 <= S <= W, offsets c0 and first iterations
    x0: let Win(x) say cell c of the window holds A[S*x + c0 + c] for every c in [0, W).
    The shift loop (cell k <- cell k + S for k = 0 .. W-S-1, ascending) moves every kept
    cell down by S (its loop invariant is proved step by step); the fill before the loop
    puts A[S*x0 + c0 + c] in cell c + S for c in [0, W-S), so shift then load at x0 gives
    Win(x0); if Win(x) holds, shift then the load of cells W-S .. W-1 with
    A[S*(x + 1) + c0 + W - S + j] gives Win(x + 1). So at every iteration the window read
    of cell a - (S*x + c0) equals the original read A[a] for every a in
    [S*x + c0, S*x + c0 + W), provided A is not written during the loop. S = 1 is the
    sliding window, S = 2 the stride-2 convolution.
    """
    A, win, win0 = _mem("A"), _mem("win"), _mem("win0")
    W, S, c0, x, x0, c, k, a = z3.Ints("W S c0 x x0 c k a")
    pre = z3.And(W >= 1, S >= 1, S <= W)
    holds = lambda m, at: z3.ForAll([c], z3.Implies(  # noqa: E731
        z3.And(0 <= c, c < W), m[c] == A[S * at + c0 + c]))
    # the shift loop, one step at a time: after k steps, cells < k hold the old cell + S
    shifted_upto = lambda m, kk: z3.ForAll([c], z3.Implies(  # noqa: E731
        z3.And(0 <= c, c < W),
        m[c] == z3.If(c < kk, win0[c + S], win0[c])))
    step = z3.Store(win, k, win[k + S])
    yield "shift loop: one step extends its invariant", z3.Implies(
        z3.And(pre, 0 <= k, k < W - S, shifted_upto(win, k)),
        shifted_upto(step, k + 1))
    yield "shift loop: invariant holds before the loop", z3.Implies(pre, shifted_upto(win0, 0))
    # whole shift as a relation, then the load of the last S cells
    shifted = z3.Lambda([c], z3.If(z3.And(0 <= c, c < W - S), win[c + S], win[c]))
    load = lambda m, at: z3.Lambda([c], z3.If(  # noqa: E731
        z3.And(W - S <= c, c < W), A[S * at + c0 + c], m[c]))
    yield "shift then load preserves the window invariant", z3.Implies(
        z3.And(pre, holds(win, x)), holds(load(shifted, x + 1), x + 1))
    filled = z3.ForAll([c], z3.Implies(z3.And(0 <= c, c < W - S), win[c + S] == A[S * x0 + c0 + c]))
    yield "fill, shift and load establish the invariant at the first iteration", z3.Implies(
        z3.And(pre, filled), holds(load(shifted, x0), x0))
    yield "a window read equals the original read", z3.Implies(
        z3.And(pre, holds(win, x), S * x + c0 <= a, a < S * x + c0 + W), win[a - (S * x + c0)] == A[a])


@theorem("memory.reshape", index_widths=(
    "linear positions are below the element count and the delinearized indices below each new extent; the side condition checks the element count fits in the 64-bit index"))
def reshape():
    """Row-major linearize / delinearize is a bijection for every shape: for all M, N >= 1
    the map (i, j) -> i*N + j is a bijection from [0, M) x [0, N) onto [0, M*N) with inverse
    t -> (t / N, t % N) (2-D -> 1-D and 1-D -> 2-D), and for 2-D -> 2-D reshapes
    (M, N) -> (P, Q) with M*N = P*Q the composite keeps the linear position and lands in
    bounds. Rewriting every access A[idx] to A'[delinearize(linearize(idx))] therefore
    addresses the same storage cell, so loads and stores see the same values.
    """
    M, N, P, Q, i, j, t, i2, j2 = z3.Ints("M N P Q i j t i2 j2")
    pre = z3.And(M >= 1, N >= 1)
    box = lambda a, b, R, C: z3.And(0 <= a, a < R, 0 <= b, b < C)  # noqa: E731
    yield "2-D -> 1-D lands in range", z3.Implies(z3.And(pre, box(i, j, M, N)),
                                                  z3.And(0 <= i * N + j, i * N + j < M * N))
    yield "2-D -> 1-D is injective", z3.Implies(
        z3.And(pre, box(i, j, M, N), box(i2, j2, M, N), i * N + j == i2 * N + j2),
        z3.And(i == i2, j == j2))
    yield "1-D -> 2-D lands in range", z3.Implies(z3.And(pre, 0 <= t, t < M * N),
                                                  box(t / N, t % N, M, N))
    yield "1-D -> 2-D is inverted by linearize", z3.Implies(
        z3.And(pre, 0 <= t, t < M * N), (t / N) * N + t % N == t)
    lin = i * N + j
    yield "2-D -> 2-D keeps the linear position in range", z3.Implies(
        z3.And(pre, P >= 1, Q >= 1, M * N == P * Q, box(i, j, M, N)),
        z3.And(box(lin / Q, lin % Q, P, Q), (lin / Q) * Q + lin % Q == lin))


@theorem("annotation.partition", index_widths=(
    "no new index arithmetic: a layout type only; every index value is one the original program computes"))
def partition():
    """A partition type is an annotation: the semantics (interpreter, symbolic executor,
    z3 encodings) never reads ``BufferType.layout``, so the partitioned program means what
    the original means; this part is definitional, not proved. What z3 checks is that the
    layouts are realizable without changing any value: for all extents n >= 1 and factors
    f >= 1, the cyclic placement i -> (i % f, i / f) and the block placement
    i -> (i / s, i % s) with s = ceil(n / f) are injective on [0, n), so banked storage
    keeps every element in a cell of its own.
    """
    n, f, i, i2 = z3.Ints("n f i i2")
    pre = z3.And(n >= 1, f >= 1, 0 <= i, i < n, 0 <= i2, i2 < n)
    yield "cyclic placement is injective", z3.Implies(
        z3.And(pre, i % f == i2 % f, i / f == i2 / f), i == i2)
    s = (n + f - 1) / f
    yield "block placement is injective", z3.Implies(
        z3.And(pre, i / s == i2 / s, i % s == i2 % s), i == i2)
