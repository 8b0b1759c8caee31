"""Hand-built IR designs with knobs, for the equivalence and mutation tests.

Each builder returns a fresh ``Module``; a knob changes one thing (a legal rewrite or a
corruption). Example: ``gemm_int(order="ikj")`` is the i-k-j reordered int8 GEMM.
"""

from __future__ import annotations

from irb import (Alloc, BufRef, Call, If, Return, StreamGet, StreamPut, V, bool_, c, cast,
                 func, iadd, imul, ld, loop, module, op, st)

from allo.ir.types import (BufferType, Int, StreamType, float32, index, int8, int16, int32,
                           uint8)

M = N = K = 4


def gemm_int(order="ijk", k_lo=0, k_hi=K, a_idx="ik", b_idx="kj", c_idx="ij", acc_t=int16,
             acc_op="add", mul_op="mul", a_cast=None, plus=0, b_buf="B", k_step=1,
             local_acc=False, init_acc=True, init_value=0, swap_mul=False, k_reverse=False,
             split_k=None, i_hi=M, j_hi=N, store_cast=None):
    """``C[i, j] += A[i, k] * B[k, j]`` (int8 inputs, int16 accumulation, C in place)."""
    i, j, k = V("i"), V("j"), V("k")
    kk = op("sub", index, c(K - 1), k) if k_reverse else k
    pick = {"i": i, "j": j, "k": kk}
    a = cast(acc_t, ld("A", int8, *[pick[x] for x in a_idx]))
    if a_cast is not None:
        a = cast(acc_t, cast(a_cast, ld("A", int8, *[pick[x] for x in a_idx])))
    b = cast(acc_t, ld(b_buf, int8, *[pick[x] for x in b_idx]))
    prod = op(mul_op, acc_t, b, a) if swap_mul else op(mul_op, acc_t, a, b)
    if plus:
        prod = op("add", acc_t, prod, c(plus, acc_t))
    cidx = [pick[x] for x in c_idx]
    params = [("A", int8[M, K]), ("B", int8[K, N]), ("C", int16[M, N])]
    ext = {"i": i_hi, "j": j_hi}
    if local_acc:  # acc: int16 = C[i, j] (or 0 / stale); for k: acc += ..; C[i, j] = acc
        acc = ld("acc", acc_t)
        kloop = loop("k", k_hi, [st("acc", [], op(acc_op, acc_t, acc, prod))], lo=k_lo, step=k_step)
        init = [st("acc", [], cast(acc_t, ld("C", int16, *cidx)))] if init_acc else []
        inner = [*init, kloop, st("C", cidx, cast(int16, acc))]
        body = [loop("i", i_hi, [loop("j", j_hi, inner)])]
        return module(func("gemm", params, [Alloc("acc", BufferType(acc_t, ())), *body]))
    cur = cast(acc_t, ld("C", int16, *cidx))
    val = op(acc_op, acc_t, cur, prod)
    val = cast(store_cast, val) if store_cast else val
    stmt = st("C", cidx, cast(int16, val))
    if split_k is not None:  # k in [0, s) then [s, K): two loops
        ks = [loop("k", split_k, [stmt]), loop("k", k_hi, [stmt], lo=split_k)]
        return module(func("gemm", params, [loop("i", i_hi, [loop("j", j_hi, ks)])]))
    ext["k"] = k_hi
    body = [stmt]
    for v in reversed(order):
        lo = k_lo if v == "k" else 0
        st_ = k_step if v == "k" else 1
        body = [loop(v, ext[v], body, lo=lo, step=st_)]
    return module(func("gemm", params, body))


def gemm_float(order="ijk", k_reverse=False, init=0.0, n_k=K):
    """``C = A @ B`` in float32, C a returned local buffer."""
    i, j, k = V("i"), V("j"), V("k")
    kk = op("sub", index, c(K - 1), k) if k_reverse else k
    val = op("add", float32, ld("C", float32, i, j),
             op("mul", float32, ld("A", float32, i, kk), ld("B", float32, kk, j)))
    body = [st("C", [i, j], val)]
    ext = {"i": M, "j": N, "k": n_k}
    for v in reversed(order):
        body = [loop(v, ext[v], body)]
    params = [("A", float32[M, K]), ("B", float32[K, N])]
    alloc = Alloc("C", float32[M, N], None if init == 0.0 else c(init, float32))
    return module(func("gemm", params, [alloc, *body, Return([BufRef("C")])],
                       results=[float32[M, N]]))


def scalar_fn(expr_builder, t=int8):
    """``f(x: t, y: t) -> t`` returning ``expr_builder(x, y)``."""
    from allo.ir.nodes import Var
    x, y = Var("x", t), Var("y", t)
    return module(func("f", [("x", t), ("y", t)], [Return([expr_builder(x, y)])], results=[t]))


def relu(style="if", cmp="gt", else_value=0, then_neg=False, t=int8, n=6):
    """``B[i] = A[i] if A[i] > 0 else 0`` as an ``If`` or a ``select``."""
    i = V("i")
    a = ld("A", t, i)
    cond = op(cmp, bool_, a, c(0, t))
    then = op("neg", t, a) if then_neg else a
    if style == "if":
        body = [If(cond, [st("B", [i], then)], [st("B", [i], c(else_value, t))])]
    else:
        body = [st("B", [i], op("select", t, cond, then, c(else_value, t)))]
    return module(func("relu", [("A", t[n]), ("B", t[n])], [loop("i", n, body)]))


def fifo_pipeline(n=6, put_count=None, get_count=None, depth=2, dataflow=True, direct=False,
                  scale=2):
    """Producer ``S.put(A[i] * scale)``, consumer ``B[i] = S.get()``; ``direct`` skips the FIFO."""
    i = V("i")
    val = op("mul", int32, ld("A", int32, i), c(scale, int32))
    params = [("A", int32[n]), ("B", int32[n])]
    if direct:
        return module(func("top", params, [loop("i", n, [st("B", [i], val)])]))
    prod = func("producer", [("A", int32[n]), ("S", BufferType(StreamType(int32, depth), ()))],
                [loop("i", put_count or n, [StreamPut("S", (), val)])])
    cons = func("consumer", [("S", BufferType(StreamType(int32, depth), ())), ("B", int32[n])],
                [loop("i", get_count or n, [st("B", [i], StreamGet("S", (), int32))])])
    top = func("top", params, [Alloc("S", BufferType(StreamType(int32, depth), ())),
                               Call("producer", [BufRef("A"), BufRef("S")]),
                               Call("consumer", [BufRef("S"), BufRef("B")])],
               dataflow=dataflow)
    return module(top, prod, cons)


def fifo_single_process(n=6, depth=2):
    """One loop that puts everything, then gets everything, in the same process."""
    i = V("i")
    body = [Alloc("S", BufferType(StreamType(int32, depth), ())),
            loop("i", n, [StreamPut("S", (), ld("A", int32, i))]),
            loop("j", n, [st("B", [V("j")], StreamGet("S", (), int32))])]
    return module(func("top", [("A", int32[n]), ("B", int32[n])], body))


def rowsum_call(use_subview=True, n=4, m=3):
    """``out[i] = sum(A[i, :])`` via a callee taking the row sub-view ``A[i]``."""
    i, k = V("i"), V("k")
    acc = ld("acc", int32)
    callee = func("rowsum", [("row", int32[m])],
                  [Alloc("acc", int32[()] if False else BufferType(int32, ())),
                   loop("k", m, [st("acc", [], op("add", int32, acc, ld("row", int32, k)))]),
                   Return([acc])], results=[int32])
    if use_subview:
        body = [loop("i", n, [Alloc("r", BufferType(int32, ())),
                              Call("rowsum", [BufRef("A", (i,))], ["r"]),
                              st("out", [i], ld("r", int32))])]
        return module(func("top", [("A", int32[n, m]), ("out", int32[n])], body), callee)
    inner = [Alloc("acc", BufferType(int32, ())),
             loop("k", m, [st("acc", [], op("add", int32, acc, ld("A", int32, i, k)))]),
             st("out", [i], acc)]
    return module(func("top", [("A", int32[n, m]), ("out", int32[n])], [loop("i", n, inner)]))


def systolic_gemm(M=4, N=4, K=4, depth_a=None, depth_b=None, pe_i=None, pe_j=None,
                  relay_a=(0, 1), relay_b=(1, 0), acc_t=int16, swap_get=False, k_hi=None,
                  drop_forward_a=False, load_a_idx="ik", pe_unfold=True, c_idx="ij"):
    """An output-stationary systolic GEMM like ``unfold`` + ``relay`` produce.

    A enters PE row i from the left through FIFOs ``fa[i, j]`` (relayed to ``fa[i, j+1]``),
    B enters column j from the top through ``fb[i, j]`` (relayed to ``fb[i+1, j]``); every
    PE (i, j) is its own process: ``a = fa.get(); b = fb.get(); C[i, j] += a * b``. The PE
    loops are marked as ``unfold`` marks them (``unfold``, ``unroll=0``, ``pe``): every
    iteration is a hardware copy of its own, so the PEs run concurrently (``pe_unfold=False``
    keeps them plain loops: one PE after the other).
    Knobs corrupt one thing each (``relay_a=(1, 0)`` relays A in the wrong direction, ...).
    """
    depth_a = M + 1 if depth_a is None else depth_a
    depth_b = N + 1 if depth_b is None else depth_b
    i, j, k = V("i"), V("j"), V("k")
    fa_t = BufferType(StreamType(int8, depth_a), (M + 1, N + 1))
    fb_t = BufferType(StreamType(int8, depth_b), (M + 1, N + 1))
    pick = {"i": i, "k": k}
    load_a = loop("i", M, [loop("k", K, [StreamPut("fa", (i, c(0)), ld("A", int8, *[pick[x] for x in load_a_idx]))])])
    load_b = loop("j", N, [loop("k", K, [StreamPut("fb", (c(0), j), ld("B", int8, k, j))])])
    a, b = ld("a", int8), ld("b", int8)
    gets = [st("a", [], StreamGet("fa", (i, j), int8)), st("b", [], StreamGet("fb", (i, j), int8))]
    if swap_get:
        gets = [st("a", [], StreamGet("fb", (i, j), int8)), st("b", [], StreamGet("fa", (i, j), int8))]
    cidx = [i, j] if c_idx == "ij" else [j, i]
    mac = st("C", cidx, cast(int16, op("add", acc_t, cast(acc_t, ld("C", int16, *cidx)),
                                       op("mul", acc_t, cast(acc_t, a), cast(acc_t, b)))))
    fwd_a = StreamPut("fa", (iadd(i, relay_a[0]), iadd(j, relay_a[1])), a)
    fwd_b = StreamPut("fb", (iadd(i, relay_b[0]), iadd(j, relay_b[1])), b)
    body = [*gets, mac, *([] if drop_forward_a else [fwd_a]), fwd_b]
    spatial = ({"unfold": True, "unroll": 0, "pe": 0}, {"unfold": True, "unroll": 0, "pe": 1}) \
        if pe_unfold else ({}, {})
    pe = loop("i", pe_i or M, [loop("j", pe_j or N, [Alloc("a", BufferType(int8, ())),
                                                     Alloc("b", BufferType(int8, ())),
                                                     loop("k", k_hi or K, body)],
                                    **spatial[1])], **spatial[0])
    drain_a = loop("i", M, [loop("k", K, [st("sink", [], StreamGet("fa", (i, c(N)), int8))])])
    drain_b = loop("j", N, [loop("k", K, [st("sink", [], StreamGet("fb", (c(M), j), int8))])])
    top = func("systolic", [("A", int8[M, K]), ("B", int8[K, N]), ("C", int16[M, N])],
               [Alloc("fa", fa_t), Alloc("fb", fb_t), Alloc("sink", BufferType(int8, ())),
                load_a, load_b, pe, drain_a, drain_b], dataflow=True)
    return module(top)


def gemm_plain(M=4, N=4, K=4):
    """The seed's triple loop ``C[i, j] += A[i, k] * B[k, j]`` (int8 -> int16)."""
    i, j, k = V("i"), V("j"), V("k")
    val = op("add", int16, ld("C", int16, i, j),
             op("mul", int16, cast(int16, ld("A", int8, i, k)), cast(int16, ld("B", int8, k, j))))
    body = [loop("i", M, [loop("j", N, [loop("k", K, [st("C", [i, j], val)])])])]
    return module(func("gemm", [("A", int8[M, K]), ("B", int8[K, N]), ("C", int16[M, N])], body))
