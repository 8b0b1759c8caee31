"""Systolic GEMM templates: ``systolic_tile`` (one Mt x Nt PE array) and ``systolic``
(the full M x K x N matrix product, tiled over the array).

The PE array is the seed's: a ``PE`` band whose body accumulates ``A[i, k] * B[k, j]``;
:func:`schedule_systolic_tile` turns it into a real array with ``buffer_at``, ``unfold``,
``partition`` and ``relay`` (every step a checked primitive), and :func:`schedule_systolic`
composes that onto every tile of the full product.

Example::

    >>> import allo
    >>> from allo.ir.types import int8, int16
    >>> from allo.library.systolic import systolic, schedule_systolic
    >>> s = schedule_systolic(allo.customize(systolic, instantiate=[int8, int8, int16, 4, 4, 4, 2, 2]))
    >>> bool(s.verify())
    True
"""

from __future__ import annotations

from typing import Any

from ..builtins import grid, template
from ..ir.types import Int


@template("TyA", "TyB", "TyC", "K", "Mt", "Nt")
def systolic_tile(A: "TyA[Mt, K]", B: "TyB[K, Nt]", C: "TyC[Mt, Nt]"):
    """``C = A @ B`` on an ``Mt x Nt`` array of processing elements (K is temporal)."""
    for i, j in grid(Mt, Nt, name="PE"):
        acc: TyC = 0
        for k in range(K):
            acc += A[i, k] * B[k, j]
        C[i, j] = acc


@template("TyA", "TyB", "TyC", "M", "K", "N", "Mt", "Nt")
def systolic(A: "TyA[M, K]", B: "TyB[K, N]", C: "TyC[M, N]"):
    """``C = A @ B`` (accumulated in ``TyC``) by ``(M/Mt) x (N/Nt)`` passes of an
    ``Mt x Nt`` systolic tile; ``Mt`` must divide ``M`` and ``Nt`` divide ``N``."""
    tile_A: TyA[Mt, K]
    tile_B: TyB[K, Nt]
    tile_C: TyC[Mt, Nt]
    for mi, ni in grid(M // Mt, N // Nt, name="tiles"):
        for ai, ak in grid(Mt, K, name="load_A"):
            tile_A[ai, ak] = A[mi * Mt + ai, ak]
        for bk, bj in grid(K, Nt, name="load_B"):
            tile_B[bk, bj] = B[bk, ni * Nt + bj]
        systolic_tile[TyA, TyB, TyC, K, Mt, Nt](tile_A, tile_B, tile_C)
        for ci, cj in grid(Mt, Nt, name="store_C"):
            C[mi * Mt + ci, ni * Nt + cj] = tile_C[ci, cj]


def schedule_systolic_tile(s: Any) -> Any:
    """The seed's systolic array on a ``systolic_tile`` instance: operand FIFOs per PE row
    and column (``buffer_at`` at ``j``), the ``PE`` band unfolded, operands relayed between
    neighbouring PEs.

    Example: ``schedule_systolic_tile(allo.customize(systolic_tile, instantiate=[int8, int8, int16, 4, 2, 2]))``.
    """
    args = _instance_args(s)
    K, Mt, Nt = args[3], args[4], args[5]
    buf_A = s.buffer_at(s.A, "j")
    buf_B = s.buffer_at(s.B, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[Mt, Nt])
    s.partition(s.A, dim=1)
    s.partition(s.B, dim=2)
    s.partition(s.C, dim=0)
    s.relay(buf_A, pe, axis=0, depth=K + 1)
    s.relay(buf_B, pe, axis=1, depth=K + 1)
    return s


def schedule_systolic(s: Any) -> Any:
    """Default schedule of a ``systolic`` instance: the tile loads and stores pipelined,
    the tile buffers banked for the PE array, and :func:`schedule_systolic_tile` composed
    onto the tile.

    Example: ``schedule_systolic(allo.customize(systolic, instantiate=[int8, int8, int16, 8, 8, 8, 4, 4]))``.
    """
    import allo

    ty_a, ty_b, ty_c, _M, K, _N, Mt, Nt = _instance_args(s)[:8]
    tile = allo.customize(systolic_tile, instantiate=[ty_a, ty_b, ty_c, K, Mt, Nt])
    s.compose(schedule_systolic_tile(tile))
    s.pipeline("load_A:ak")
    s.pipeline("load_B:bj")
    s.pipeline("store_C:cj")
    return s


@template("TyA", "TyB", "TyC", "M", "K", "N", "Mt", "Nt", "P")
def packed_systolic(A: "Int(TyA.bits * P)[M // P, K]", B: "Int(TyB.bits * P)[K, N // P]",
                    C: "Int(TyC.bits * P)[M // P, N]"):
    """``C = A @ B`` on operands packed ``P`` to a word: ``A``'s word ``[m, k]`` holds rows
    ``m*P .. m*P+P-1`` of column ``k`` (lowest bits first), ``B``'s word ``[k, n]`` holds
    columns ``n*P ..``, and ``C`` is packed like ``A``; products accumulate in ``TyC``.
    ``Mt``/``Nt`` (the PE array of public Allo's version) do not change the result; here the
    kernel is a plain loop nest with band ``PE``.

    Example: ``packed_systolic[int8, int8, int8, 16, 16, 64, 4, 4, 2](X, W, Z)`` on ``int16``
    words.
    """
    for mo, j in grid(M // P, N, name="PE"):
        word: Int(TyC.bits * P) = 0
        for p in range(P):
            acc: TyC = 0
            for k in range(K):
                a: TyA = A[mo, k][p * TyA.bits: (p + 1) * TyA.bits]
                b: TyB = B[k, j // P][(j % P) * TyB.bits: (j % P + 1) * TyB.bits]
                acc += a * b
            word[p * TyC.bits: (p + 1) * TyC.bits] = acc
        C[mo, j] = word


def schedule_packed_systolic(s: Any) -> Any:
    """Default schedule of a ``packed_systolic`` instance: the reduction loop pipelined.

    Example: ``schedule_packed_systolic(allo.customize(packed_systolic, instantiate=[int8, int8, int8, 4, 4, 4, 2, 2, 2]))``.
    """
    s.pipeline("k")
    return s


def _instance_args(s: Any) -> list:
    """The template arguments a schedule's top kernel was instantiated with."""
    args = s.ir.funcs[s.top_func_name].attrs.get("instance_args")
    if args is None:
        from ..errors import AlloError

        raise AlloError(f"schedule of '{s.top_func_name}' is not a template instance",
                        hint="customize the library kernel with instantiate=[...]")
    return list(args)
