"""Hand-built IR modules shared by the printer, verifier and MLIR round-trip tests.

They are written directly against :mod:`allo.ir.nodes` (no frontend), following the
frontend's conventions: homogeneous ops (operands cast to the result type first), loop
variables of type ``index``, scalars as 0-d buffers.
"""

from __future__ import annotations

from typing import Dict, List

import numpy as np

from allo.ir.nodes import (Alloc, BufRef, Call, Const, Expr, For, Func, If, Load, Module, Op, Param,
                           Return, Store, StreamGet, StreamPut, Var, While)
from allo.ir.types import (AlloType, Fixed, Int, Stream, UFixed, UInt, bfloat16, bool_, float16,
                           float32, float64, index, int8, int16, int32, int64, uint8)
from allo.semantics.registry import REGISTRY, ops, type_family

I = index


def c(v, t=I) -> Const:
    return Const(v, t)


def v(name: str, t: AlloType = I) -> Var:
    return Var(name, t)


def op(name: str, *args: Expr, t: AlloType = None) -> Op:
    return Op(name, tuple(args), t if t is not None else args[0].type)


def cast(e: Expr, t: AlloType) -> Op:
    return Op("cast", (e,), t)


def loop(var: str, hi, body, lo=0, step=1, band="", **attrs) -> For:
    lo_e = lo if isinstance(lo, Expr) else c(lo)
    hi_e = hi if isinstance(hi, Expr) else c(hi)
    return For(var, lo_e, hi_e, step, body, name=var, band=band, attrs=dict(attrs))


def module(*funcs: Func, top: str = None) -> Module:
    return Module({f.name: f for f in funcs}, top or funcs[-1].name)


# ------------------------------------------------------------------ kernels
def gemm(n: int = 32) -> Module:
    """The seed's float32 GEMM: one grid band ``S_i_j_k_0``, C returned."""
    i, j, k = v("i"), v("j"), v("k")
    prod = op("mul", Load("A", (i, k), float32), Load("B", (k, j), float32))
    body = [Store("C", (i, j), op("add", Load("C", (i, j), float32), prod))]
    band = "S_i_j_k_0"
    nest = loop("i", n, [loop("j", n, [loop("k", n, body, band=band)], band=band)], band=band)
    f = Func("gemm", [Param("A", float32[n, n]), Param("B", float32[n, n])], [float32[n, n]],
             [Alloc("C", float32[n, n], Const(0.0, float32)), nest, Return([BufRef("C")])])
    return module(f)


def int8_matmul(m: int = 4, n: int = 4, k: int = 4) -> Module:
    """The seed's systolic-array source: int8 x int8 accumulated in int16, band ``PE``."""
    i, j, kk = v("i"), v("j"), v("k")
    prod = op("mul", cast(Load("A", (i, kk), int8), int16), cast(Load("B", (kk, j), int8), int16))
    acc = op("add", cast(Load("C", (i, j), int16), Int(17)), cast(prod, Int(17)))
    body = [Store("C", (i, j), cast(acc, int16))]
    nest = loop("i", m, [loop("j", n, [loop("k", k, body)], band="PE")], band="PE")
    f = Func("matmul", [Param("A", int8[m, k]), Param("B", int8[k, n]), Param("C", int16[m, n])], [], [nest])
    return module(f)


ALL_TYPES: List[AlloType] = [int8, uint8, int32, UInt(3), Int(17), int64, Int(128), I,
                             Fixed(16, 8), UFixed(12, 4), float16, bfloat16, float32, float64]

def ops_for(t: AlloType) -> Dict[str, int]:
    """Value-typed ops (arithmetic, bitwise, math) the op registry defines on type ``t``,
    with their arity."""
    return {name: REGISTRY[name].arity for name in ops(family=type_family(t))
            if REGISTRY[name].group in ("arith", "bitwise", "math")}


def all_ops(t: AlloType, n: int = 4) -> Func:
    """Every op of OPS that ``t`` supports, on loads of ``X``/``Y``, stored into ``Z``;
    plus comparisons, logical ops, select and (on ints) the bit operations."""
    i = v("i")
    x, y = Load("X", (i,), t), Load("Y", (i,), t)
    body = []
    slot = 0

    def put(e: Expr) -> None:
        nonlocal slot
        body.append(Store("Z", (c(slot),), e))
        slot += 1

    for name, arity in ops_for(t).items():
        put(op(name, *(x, y)[:arity], t=t))
    conds = [op(cmp, x, y, t=bool_) for cmp in ops(group="compare")]
    both = op("land", conds[0], op("lor", conds[1], op("lnot", conds[2])))
    for cond in [*conds, both]:
        put(op("select", cond, x, y, t=t))
    if t.is_int and not t.is_index:
        bit = op("get_bit", x, cast(c(1), t), t=bool_)
        put(op("set_bit", x, cast(c(0), t), bit, t=t))
        hi = min(t.bits, 3)
        sl = op("get_slice", x, c(0), c(hi), t=UInt(hi))
        put(cast(sl, t))
        put(op("set_slice", x, c(0), c(hi), y, t=t))
    name = f"ops_{repr(t).replace('(', '_').replace(', ', '_').replace(')', '')}"
    return Func(name, [Param("X", t[n]), Param("Y", t[n]), Param("Z", t[slot])], [],
                [loop("i", n, body)])


def all_ops_module() -> Module:
    return module(*(all_ops(t) for t in ALL_TYPES))


def casts_module() -> Module:
    """Every (source, destination) cast among ALL_TYPES and bool."""
    types = [*ALL_TYPES, bool_]
    funcs = []
    for k, src in enumerate(types):
        params = [Param("X", src[1])] + [Param(f"Z{m}", dst[1]) for m, dst in enumerate(types)]
        body = [Store(f"Z{m}", (c(0),), cast(Load("X", (c(0),), src), dst)) for m, dst in enumerate(types)]
        funcs.append(Func(f"cast_{k}", params, [], body))
    return module(*funcs)


def scalars() -> Module:
    """0-d buffers: a scalar accumulator, a scalar parameter and a scalar result."""
    i = v("i")
    acc = Load("acc", (), int32)
    body = [Store("acc", (), op("add", acc, op("mul", Load("A", (i,), int32), v("alpha", int32))))]
    f = Func("dot", [Param("A", int32[8]), Param("alpha", int32)], [int32],
             [Alloc("acc", int32[()]), loop("i", 8, body), Return([acc])])
    return module(f)


def calls_with_views() -> Module:
    """A callee taking a row (sub-view), one taking a scalar and returning a buffer."""
    j = v("j")
    row_sum = Func("row_sum", [Param("r", float32[8])], [float32],
                   [Alloc("s", float32[()]),
                    loop("j", 8, [Store("s", (), op("add", Load("s", (), float32), Load("r", (j,), float32)))]),
                    Return([BufRef("s")])])
    fill = Func("fill", [Param("x", float32)], [float32[8]],
                [Alloc("out", float32[8], v("x", float32)), Return([BufRef("out")])])
    i = v("i")
    top = Func("top", [Param("A", float32[4, 8]), Param("S", float32[4])], [float32[8]],
               [loop("i", 4, [Alloc("tmp", float32[()]),
                              Call("row_sum", [BufRef("A", (i,))], ["tmp"]),
                              Store("S", (i,), Load("tmp", (), float32))]),
                Alloc("whole", float32[8]),
                Alloc("ws", float32[()]),
                Call("row_sum", [BufRef("whole")], ["ws"]),
                Alloc("res", float32[8]),
                Call("fill", [Load("ws", (), float32)], ["res"]),
                Return([BufRef("A", (c(1),))])])
    return module(row_sum, fill, top)


def while_loop() -> Module:
    """``while n < 100: n = n * 2`` on a 0-d buffer, then store it."""
    n = Load("n", (), int32)
    f = Func("grow", [Param("out", int32[1])], [],
             [Alloc("n", int32[()], c(1, int32)),
              While(op("lt", n, c(100, int32), t=bool_), [Store("n", (), op("mul", n, c(2, int32)))]),
              Store("out", (c(0),), n)])
    return module(f)


def branches() -> Module:
    """An affine guard (``i >= 1 and i + j < 6``) and a data-dependent if/else."""
    i, j = v("i"), v("j")
    guard = op("land", op("ge", i, c(1), t=bool_), op("lt", op("add", i, j), c(6), t=bool_))
    data = op("gt", Load("A", (i, j), float32), Const(0.5, float32), t=bool_)
    inner = [If(guard, [Store("B", (i, j), Load("A", (i, j), float32))]),
             If(data, [Store("B", (i, j), Const(1.0, float32))], [Store("B", (i, j), Const(-1.0, float32))]),
             If(op("ne", i, j, t=bool_), [Store("B", (j, i), Const(0.0, float32))])]
    f = Func("branchy", [Param("A", float32[4, 4]), Param("B", float32[4, 4])], [],
             [loop("i", 4, [loop("j", 4, inner)])])
    return module(f)


def streams() -> Module:
    """Producer/consumer through a FIFO array; a PE reads its FIFO through a sub-view."""
    i = v("i")
    pe = Func("pe", [Param("fin", Stream[int8, 4]), Param("out", int8[()])], [],
              [Store("out", (), StreamGet("fin", (), int8))])
    top = Func("top", [Param("A", int8[4]), Param("B", int8[4])], [],
               [Alloc("fifo", Stream[int8, 4][4]),
                loop("i", 4, [StreamPut("fifo", (i,), Load("A", (i,), int8))], dataflow=True),
                loop("i2", 4, [Call("pe", [BufRef("fifo", (v("i2"),)), BufRef("B", (v("i2"),))])])],
               attrs={"dataflow": True})
    return module(pe, top)


def non_affine() -> Module:
    """Gathers ``A[idx[i]]``, products of loop variables, narrow-int indices and
    loop bounds read from memory (``scf.for``)."""
    i, j = v("i"), v("j")
    idx32 = Load("idx", (i,), int32)
    body = [Store("B", (i,), Load("A", (cast(idx32, I),), float32)),
            Store("B", (op("mod", op("mul", i, i), c(8)),), Const(2.0, float32)),
            Store("B", (cast(op("add", cast(i, int8), c(0, int8)), I),), Const(3.0, float32)),  # in bounds: 0..7
            Store("B", (idx32,), Const(4.0, float32))]
    dyn = loop("j", cast(Load("idx", (c(0),), int32), I), [Store("B", (j,), Const(5.0, float32))])
    f = Func("gather", [Param("A", float32[8]), Param("idx", int32[8]), Param("B", float32[8])], [],
             [loop("i", 8, body), dyn])
    return module(f)


def tiled_bounds() -> Module:
    """Split-like bounds: ``for io in range(0, 10, 4): for ii in range(io, min(io+4, 10))``,
    a triangular loop and an index parameter as bound."""
    io, ii, k = v("io"), v("ii"), v("k")
    inner = loop("ii", op("min", op("add", io, c(4)), c(10)), [Store("A", (ii,), c(1, int32))], lo=io)
    tri = loop("k", v("n"), [Store("A", (k,), c(2, int32))], lo=op("add", v("i2"), c(1)))
    f = Func("tiled", [Param("A", int32[10]), Param("n", I)], [],
             [loop("io", 10, [inner], step=4, band="S_i_0", unroll=4),
              loop("i2", 10, [tri], pipeline_ii=1, parallel=True)])
    return module(f)


def widths() -> Module:
    """i1..i128: a chain of casts and adds through many widths, unsigned ones too."""
    body, prev = [], Load("X", (c(0),), Int(1))
    for bits in [1, 2, 3, 5, 7, 8, 9, 13, 16, 24, 31, 32, 33, 48, 63, 64, 65, 100, 127, 128]:
        for t in (Int(bits), UInt(bits)):
            cur = cast(prev, t)
            prev = op("add", cur, Const(1, t))
    body.append(Store("Y", (c(0),), cast(prev, Int(128))))
    f = Func("widths", [Param("X", Int(1)[1]), Param("Y", Int(128)[1])], [], body)
    return module(f)


def tables() -> Module:
    """Local buffers: zero-filled, broadcast-initialised and numpy constant tables."""
    f = Func("tables", [Param("out", Fixed(8, 4)[2, 2])], [bfloat16[3]],
             [Alloc("t", int16[2, 2], np.array([[1, -2], [300, 4]])),
              Alloc("q", Fixed(8, 4)[2, 2], np.array([[0.5, -1.25], [2.0, 7.9375]])),
              Alloc("b", bfloat16[3], Const(1.5, bfloat16)),
              Alloc("z", UInt(5)[2]),
              loop("i", 2, [loop("j", 2, [Store("out", (v("i"), v("j")), Load("q", (v("i"), v("j")), Fixed(8, 4)))])]),
              Return([BufRef("b")])])
    return module(f)


def every_sample() -> Dict[str, Module]:
    return {"gemm": gemm(), "int8_matmul": int8_matmul(), "all_ops": all_ops_module(),
            "casts": casts_module(), "scalars": scalars(), "calls": calls_with_views(),
            "while": while_loop(), "branches": branches(), "streams": streams(),
            "non_affine": non_affine(), "tiled": tiled_bounds(), "widths": widths(),
            "tables": tables()}
