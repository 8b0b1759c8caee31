"""Theorems of the dataflow family: unfold, relay, to (stream), channels, compute_at, dataflow, inline.

FIFOs are modelled as z3 queues ``(data: Array Int -> BV32, head, tail)``: ``put`` stores at
``tail`` and increments it, ``get`` reads at ``head`` and increments it. What is proved by
z3 for symbolic lengths, indices and values is stated in each docstring; the inductive
arguments (over the number of elements, the PEs of a chain, the instances of a fusion) are
argued in words from the z3-checked base and step lemmas.
"""

from __future__ import annotations

import z3

from .core import definition, theorem
from .loops import _commute_lemmas, split

VAL = z3.BitVecSort(32)


def _queue(name: str):
    return z3.Array(f"{name}_data", z3.IntSort(), VAL), z3.Int(f"{name}_head"), z3.Int(f"{name}_tail")


def _put(q, v):
    data, head, tail = q
    return z3.Store(data, tail, v), head, tail + 1


def _get(q):
    data, head, tail = q
    return z3.Select(data, head), (data, head + 1, tail)


def _queue_lemmas():
    """A FIFO delivers the put sequence in order, under any interleaving of puts and gets.

    Invariant I(q, X): head <= tail and data[t] == X[t] for every 0 <= t < tail, where X is
    the sequence put so far (an array). Base: the empty queue (head = tail = 0) satisfies
    I. Steps: put(X[tail]) preserves I; a get on a non-empty queue preserves I and returns
    X[head]. By induction over the interleaving, the m-th get returns X[m] (m = head)."""
    data, head, tail = q = _queue("q")
    X = z3.Array("X", z3.IntSort(), VAL)
    t = z3.Int("t")
    inv = lambda q2: z3.And(q2[1] <= q2[2], z3.ForAll([t], z3.Implies(  # noqa: E731
        z3.And(0 <= t, t < q2[2]), z3.Select(q2[0], t) == z3.Select(X, t))))
    empty = (z3.K(z3.IntSort(), z3.BitVecVal(0, 32)), z3.IntVal(0), z3.IntVal(0))
    yield "empty queue satisfies the invariant", inv(empty)
    yield "put of the next element keeps the invariant", z3.Implies(
        z3.And(inv(q), head >= 0), inv(_put(q, z3.Select(X, tail))))
    value, after = _get(q)
    yield "get on a non-empty queue returns the next element in order", z3.Implies(
        z3.And(inv(q), head >= 0, head < tail), value == z3.Select(X, head))
    yield "get keeps the invariant", z3.Implies(z3.And(inv(q), head >= 0, head < tail), inv(after))
    v = z3.BitVec("v", 32)
    yield "put then get on an empty queue returns the value", \
        _get(_put((data, tail, tail), v))[0] == v


@theorem("dataflow.unfold", index_widths=(
    "as loop.split when a loop is split (checked there); marking loops spatial adds no index arithmetic"))
def unfold():
    """Unfolding keeps every loop of the band and only marks spatial loops (or splits a loop
    first and marks the inner one), so the PE copies partition the band's iterations: the
    identity when factor = extent, the split bijection of loop.split otherwise (its
    lemmas, for all N and F, are re-checked here). Dependences between PEs keep their
    sequential order because the loops still run in order.
    """
    N, t = z3.Ints("N t")
    yield "identity: PE index = iteration, each iteration in one PE", z3.Implies(
        z3.And(N >= 1, 0 <= t, t < N), z3.And(0 <= t, t < N))
    yield from split()


@theorem("dataflow.relay", index_widths=(
    "the only new index is p - 1 for a PE index p >= 1, below the PE count"))
def relay():
    """A FIFO chain delivers to PE p+1 exactly the sequence PE p copied into its buffer, in
    order (queue lemmas, any interleaving). With the side condition checked per design --
    PE p+1 would load, at each step, the source element PE p loaded (or wrote back) -- PE
    p+1's buffer equals what it would have loaded from the source; by induction along the
    chain (PE 0 still loads from the source) every PE's buffer is unchanged, so the program
    computes the same values. For written-back buffers, only the last PE writes the
    source, with the value the sequential chain of write-back / reload would leave. A
    read-only buffer declared around the chain loop (``buffer_at`` at the outer spatial
    loop) first moves into the chain loop's body: re-running its init copy there gives the
    same contents when the chain loop writes neither the source nor the buffer.
    """
    yield from _queue_lemmas()
    # chain step: buf_p[x] = src[f_p(x)] and f_p = f_{p+1}  ==>  received = src[f_{p+1}(x)]
    src = z3.Array("src", z3.IntSort(), VAL)
    f_p = z3.Function("f_p", z3.IntSort(), z3.IntSort())
    f_n = z3.Function("f_next", z3.IntSort(), z3.IntSort())
    x = z3.Int("x")
    sent = z3.Select(src, f_p(x))
    yield "chain step: the forwarded element is the one the successor would load", z3.Implies(
        f_p(x) == f_n(x), sent == z3.Select(src, f_n(x)))
    # sinking (a buffer declared around the chain loop moves into its body first): the
    # init copy re-run at the start of every chain iteration gives the buffer the contents
    # it had, when no iteration writes the source or the buffer (memory after an
    # iteration agrees with the memory before it on both)
    buf0, mem_k, copied = z3.Array("buf0", z3.IntSort(), VAL), z3.Array("src_k", z3.IntSort(), VAL), \
        z3.Array("copied", z3.IntSort(), VAL)
    g = z3.Function("g", z3.IntSort(), z3.IntSort())  # the copy's index map
    c = z3.Int("c")
    yield "sinking: re-running the init copy in every iteration gives the same buffer", z3.Implies(
        z3.And(z3.ForAll([c], z3.Select(buf0, c) == z3.Select(src, g(c))),  # the copy before the loop
               mem_k == src,  # no iteration wrote the source
               z3.ForAll([c], z3.Select(copied, c) == z3.Select(mem_k, g(c)))),  # the copy re-run
        copied == buf0)


@theorem("dataflow.stream", index_widths=(
    "no index arithmetic: a FIFO has no index; the side conditions reason over exact ranks in the solver"))
def stream():
    """Replacing a buffer written exactly once per element (injective write map W) and read
    in the same order (R(n) = W(n)) by a single-producer single-consumer FIFO keeps every
    read value: after the producer, mem[W(n)] = V(n) (a later write never overwrites an
    earlier element, step lemma below, by induction over n), so the n-th read returns
    V(n); the FIFO's n-th get returns V(n) too (queue lemmas). A producer that reads the
    buffer (an in-place accumulation, privatised) streams when each of its reads runs
    before any write of that element: it reads the caller's constant fill, which is
    forwarded into it as a constant (fill lemmas), so it only writes.
    """
    yield from _queue_lemmas()
    mem = z3.Array("mem", z3.IntSort(), VAL)
    w_k, w_m = z3.Ints("w_k w_m")
    v_k = z3.BitVec("v_k", 32)
    after = z3.Store(mem, w_k, v_k)
    yield "an injective write keeps earlier elements", z3.Implies(
        w_k != w_m, z3.Select(after, w_m) == z3.Select(mem, w_m))
    yield "the written element holds its value", z3.Select(after, w_k) == v_k
    yield from _fill_lemmas()


def _fill_lemmas():
    """Forwarding a caller's constant fill into the first task that uses the buffer.

    The buffer starts as the constant array K(c) (its fill; nothing touches it before the
    task: checked). Side condition (z3 per design): no write of an element runs before a
    read of that element. Step lemma: a write to another element keeps the read element's
    value; by induction over the writes before a read (all to other elements), the read
    returns c, so replacing it by the constant keeps every value the task computes. Dead
    fill: an element the task writes holds the written value whatever the buffer held
    before (lemma below); when every element is written (checked: one unconditional site,
    as many executions as elements, pairwise different, in bounds) before any read, the
    fill is never observed, so the HLS code may omit it. A fill moved into the task (it
    first writes the constant everywhere) rewrites what the buffer holds at the call."""
    c, v = z3.BitVecs("c v", 32)
    w, e = z3.Ints("w e")
    filled = z3.K(z3.IntSort(), c)
    yield "a fresh fill reads as its constant", z3.Select(filled, e) == c
    mem = z3.Array("mem_before_read", z3.IntSort(), VAL)
    yield "a write to another element keeps the fill a later read sees", z3.Implies(
        z3.And(w != e, z3.Select(mem, e) == c), z3.Select(z3.Store(mem, w, v), e) == c)
    yield "re-filling a buffer that holds its fill changes nothing (a fill moved into the task)", \
        z3.Store(filled, e, c) == filled
    other = z3.Array("other_initial", z3.IntSort(), VAL)
    yield "a written element does not depend on the initial contents", \
        z3.Select(z3.Store(mem, e, v), e) == z3.Select(z3.Store(other, e, v), e)


@theorem("dataflow.channels", index_widths=(
    "no new index arithmetic: a get or put drops the element indices; the channel indices are the ones the program computes"))
def channels():
    """An array of channels becomes an array of FIFOs, one per channel, keeping every value
    read, when (side conditions checked per design, for every channel) each element is
    written once and read once, every read element is written, no element is read before
    its write, and no two elements are written in one order and read in the other. Then
    the read order is an order-preserving bijection onto the write order, which is the
    identity (both bound lemmas, by induction over the reads): the n-th get names the
    element of the n-th put; that put ran before the get, so the FIFO is not empty (queue
    lemmas), and it returns the value the array held there, which is the value written
    (a single write is never overwritten: stream lemmas).
    """
    yield from _queue_lemmas()
    f = z3.Function("f", z3.IntSort(), z3.IntSort())  # write rank of the k-th read
    k, n = z3.Ints("k n")
    yield "order-preserving: f(k) >= k carries to k + 1", z3.Implies(
        z3.And(f(k) >= k, f(k + 1) > f(k)), f(k + 1) >= k + 1)
    yield "order-preserving onto [0, n): f(k + 1) <= k + 1 carries down to k", z3.Implies(
        z3.And(f(k + 1) <= k + 1, f(k) < f(k + 1)), f(k) <= k)
    yield "the two bounds give the identity", z3.Implies(z3.And(f(k) >= k, f(k) <= k), f(k) == k)
    head, tail = z3.Ints("head tail")
    yield "the n-th get after the n-th put finds the FIFO non-empty", z3.Implies(
        z3.And(head == n, n >= 0, tail >= n + 1), head < tail)
    mem = z3.Array("mem", z3.IntSort(), VAL)
    w, other = z3.Ints("w other")
    v = z3.BitVec("v", 32)
    yield "a write to another element keeps this one", z3.Implies(
        other != w, z3.Select(z3.Store(z3.Store(mem, w, v), other, z3.BitVec("u", 32)), w) == v)
    yield "the read after the single write returns the written value", \
        z3.Select(z3.Store(mem, w, v), w) == v


@theorem("loop.compute_at", index_widths=(
    "no new index arithmetic: producer loop variables are renamed to the consumer's, whose bounds are equal; every index value is one the original program computes"))
def compute_at():
    """Fusing the producer nest into the consumer nest at a level whose loops have equal
    bounds runs every producer and consumer instance exactly once (the fused loops are the
    identity on the shared iteration variables) in an order that keeps the relative order
    of every conflicting pair (the side condition ``compute_at`` checks per design); such an
    order is reachable by swapping adjacent non-conflicting instances, and each swap keeps
    memory (lemma below), so the final memory is unchanged.
    """
    yield from _commute_lemmas()


@theorem("annotation.dataflow", index_widths=(
    "no new index arithmetic: an attribute only; every index value is one the original program computes"))
def dataflow():
    """A dataflow region is an annotation: the sequential program is unchanged. When every
    stream has one producer task and one consumer task (checked), any concurrent
    interleaving of the tasks delivers each FIFO's values in put order (queue lemmas), so
    the consumers compute what the sequential order computes (Kahn-style determinism;
    argued from the lemmas, per stream). A local array's fill marked dead (its first task
    writes every element before reading any, after the fill was forwarded into it where
    its reads precede its writes) is never observed: the fill lemmas.
    """
    yield from _queue_lemmas()
    yield from _fill_lemmas()


@definition("annotation.inline", index_widths=(
    "no new index arithmetic: an attribute only; every index value is one the original program computes"))
def inline():
    """Inlining is an annotation for the HLS backend: the IR keeps the call and only the
    function's ``inline`` attribute changes, which no semantics reads; the program is the
    same program.
    """


@theorem("annotation.pingpong", index_widths=(
    "no new index arithmetic: the buffer keeps its indices; the bank is chosen by the invocation count"))
def pingpong():
    """A ping-pong buffer between one writer task and one reader task keeps every value: in
    invocation t the writer fills bank t mod 2 and the reader reads bank (t - 1) mod 2,
    which the writer filled completely in invocation t - 1 (the side condition: it writes
    every element) and which nobody writes during invocation t (the two banks differ).
    Within one invocation the reader therefore sees exactly the array the sequential
    program hands it; dropping the initial value is sound because every element is
    written before it is read. A writer that reads the buffer first reads the caller's
    constant fill, forwarded into it (the fill lemmas).
    """
    t = z3.Int("t")
    bank = lambda k: k % 2  # noqa: E731  (the writer's bank in invocation k)
    reader_bank = lambda k: (k + 1) % 2  # noqa: E731  (the bank the reader reads in invocation k)
    yield "the reader's bank is the one the writer filled in the previous invocation", z3.Implies(
        t >= 1, reader_bank(t) == bank(t - 1))
    yield "writer and reader never share a bank in the same invocation", z3.Implies(
        t >= 1, bank(t) != reader_bank(t))
    yield "the writer's bank is not written again before the reader finishes with it", z3.Implies(
        t >= 0, bank(t) != bank(t + 1))
    mem = z3.Array("bank", z3.IntSort(), VAL)
    i, j = z3.Ints("i j")
    v = z3.BitVec("v", 32)
    yield "a complete fill determines every element the reader loads", z3.Implies(
        i == j, z3.Select(z3.Store(mem, i, v), j) == v)
    yield from _fill_lemmas()
