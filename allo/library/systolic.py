"""Systolic GEMM templates: ``systolic_tile`` (one Mt x Nt PE array) and ``systolic``
(the full M x K x N matrix product, tiled over the array).

The names inside are API, as in public Allo, because schedules address them:

* ``systolic_tile`` passes operands through two arrays of channels, ``A_fifo[Mt, Nt + 1,
  K]`` (row ``i`` of ``A`` enters at ``A_fifo[i, 0]`` and flows along ``j``) and
  ``B_fifo[Nt, Mt + 1, K]`` (column ``j`` of ``B`` flows along ``i``); the band ``PE``
  calls ``PE_kernel`` on PE ``(i, j)`` with its input channels ``A_fifo[i, j]``,
  ``B_fifo[j, i]`` and output channels ``A_fifo[i, j + 1]``, ``B_fifo[j, i + 1]``; the
  loops ``data_load`` and ``data_drain`` fill and empty the channel ends.
* ``systolic`` keeps one tile of each operand in ``local_A`` / ``local_B`` / ``local_C``;
  the band ``outer_tile`` (loop ``mi``) loads the row block of ``A`` once (loops ``ak``,
  ``ai``), then for each column tile (loop ``ni``) loads ``B`` (``bk``, ``bj``), runs the
  tile and stores ``C`` column by column (``sj``, ``si``). ``A`` is read once, column by
  column, in the order ``C`` is written: two cascaded instances can stream between them.

:func:`schedule_systolic_tile` turns the tile into a real array (``unfold`` the PE band,
``to`` each channel array along its flow axis, ``partition`` the operands), every step a
checked primitive; :func:`schedule_systolic` composes it onto the tile of the full product.

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
from ..ir.types import Int, index, int8


@template("TyA", "TyB", "TyC", "K", "Mt", "Nt")
def PE_kernel(A_in: "TyA[K]", B_in: "TyB[K]", A_out: "TyA[K]", B_out: "TyB[K]", C: "TyC[Mt, Nt]",
              i: index, j: index):
    """One processing element: accumulates ``A_in . B_in`` into ``C[i, j]`` (in ``TyC``)
    while forwarding every operand it receives to its neighbours."""
    acc: TyC = 0
    for k in range(K):
        a: TyA = A_in[k]
        b: TyB = B_in[k]
        acc += a * b
        A_out[k] = a
        B_out[k] = b
    C[i, j] = acc


@template("TyA", "TyB", "TyC", "K", "Mt", "Nt")
def systolic_tile(A: "TyA[Mt, K]", B: "TyB[K, Nt]", C: "TyC[Mt, Nt]"):
    """``C = A @ B`` on an ``Mt x Nt`` array of processing elements (K is temporal)."""
    A_fifo: TyA[Mt, Nt + 1, K]
    B_fifo: TyB[Nt, Mt + 1, K]
    A_drain: TyA[Mt]
    B_drain: TyB[Nt]
    for k in range(K, name="data_load"):
        for m in range(Mt):
            A_fifo[m, 0, k] = A[m, k]
        for n in range(Nt):
            B_fifo[n, 0, k] = B[k, n]
    for i, j in grid(Mt, Nt, name="PE"):
        PE_kernel[TyA, TyB, TyC, K, Mt, Nt](A_fifo[i, j], B_fifo[j, i], A_fifo[i, j + 1],
                                            B_fifo[j, i + 1], C, i, j)
    for k in range(K, name="data_drain"):
        for m in range(Mt):
            A_drain[m] = A_fifo[m, Nt, k]
        for n in range(Nt):
            B_drain[n] = B_fifo[n, Mt, k]


@template("TyA", "TyB", "TyC", "M", "K", "N", "Mt", "Nt")
def systolic(A: "TyA[M, K]", B: "TyB[K, N]", C: "TyC[M, N]"):
    """``C = A @ B`` (accumulated in ``TyC``) by ``(M/Mt) x (N/Nt)`` passes of an
    ``Mt x Nt`` systolic tile; ``Mt`` must divide ``M`` and ``Nt`` divide ``N``."""
    local_A: TyA[Mt, K]
    local_B: TyB[K, Nt]
    local_C: TyC[Mt, Nt]
    for mi in range(M // Mt, name="outer_tile"):
        # the row block of A serves every column tile: loaded once, column by column
        # (the order in which a preceding instance stores its C)
        for ak, ai in grid(K, Mt, name="load_A_tile"):
            local_A[ai, ak] = A[mi * Mt + ai, ak]
        for ni in range(N // Nt):
            for bk, bj in grid(K, Nt, name="load_B_tile"):
                local_B[bk, bj] = B[bk, ni * Nt + bj]
            systolic_tile[TyA, TyB, TyC, K, Mt, Nt](local_A, local_B, local_C)
            for sj, si in grid(Nt, Mt, name="store_C_tile"):
                C[mi * Mt + si, ni * Nt + sj] = local_C[si, sj]


def schedule_systolic_tile(s: Any) -> Any:
    """The seed's systolic array on a ``systolic_tile`` instance: the ``PE`` band
    unfolded, ``A_fifo`` streamed along ``j`` and ``B_fifo`` along ``i`` (one FIFO per
    link between neighbouring PEs), the operands partitioned for the array.

    Example: ``schedule_systolic_tile(allo.customize(systolic_tile, instantiate=[int8, int8, int16, 4, 2, 2]))``.
    """
    Mt, Nt = _instance_args(s)[4:6]
    s.partition(s.C, dim=0)
    s.partition(s.A, dim=1)
    s.partition(s.B, dim=2)
    pe = s.unfold("PE", axis=[0, 1])
    # the two conversions make the tile a dataflow region: the load loop, the PEs and the
    # drain loop run concurrently, so a FIFO needs room for a few elements only
    s.to(s.A_fifo, pe, axis=1, depth=Nt + 1)
    s.to(s.B_fifo, pe, axis=0, depth=Mt + 1)
    return s


def schedule_systolic(s: Any) -> Any:
    """Default schedule of a ``systolic`` instance: the tile buffers partitioned for the PE
    array, their loads and stores pipelined, and :func:`schedule_systolic_tile` composed
    onto the tile, and the column-tile loop ``ni`` made a dataflow region: loading a tile
    of ``B``, the systolic tile and storing a tile of ``C`` overlap across column tiles
    (each is one process running its iterations in order; the tile buffers are ping-pong
    buffers between them).

    Example: ``schedule_systolic(allo.customize(systolic, instantiate=[int8, int8, int16, 8, 8, 8, 4, 4]))``.
    """
    import allo

    ty_a, ty_b, ty_c, _M, K, _N, Mt, Nt = _instance_args(s)[:8]
    tile = allo.customize(systolic_tile, instantiate=[ty_a, ty_b, ty_c, K, Mt, Nt])
    s.compose(schedule_systolic_tile(tile))
    s.partition(s.local_C, dim=0)
    s.partition(s.local_A, dim=1)
    s.partition(s.local_B, dim=2)
    loops = s.get_loops(s.top_func_name)["outer_tile"]
    s.pipeline(loops["ai"])
    s.pipeline(loops["bj"])
    s.pipeline(loops["si"])
    s.dataflow(loops["ni"])
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


@template("M", "K", "N", "Mt", "Nt", "P")
def packed_int8xint8_systolic(A: "Int(8 * P)[M // P, K]", B: "Int(8 * P)[K, N // P]",
                              C: "Int(8 * P)[M // P, N]"):
    """:func:`packed_systolic` on ``int8`` operands and results (public Allo packs two
    products per DSP; the result is the same).

    Example: ``packed_int8xint8_systolic[16, 16, 64, 16, 16, 16](X, W, Z)`` on ``int128``
    words.
    """
    packed_systolic[int8, int8, int8, M, K, N, Mt, Nt, P](A, B, C)


def schedule_packed_int8xint8_systolic(s: Any) -> Any:
    """Default schedule: :func:`schedule_packed_systolic` on the ``packed_systolic`` it calls.

    Example: ``schedule_packed_int8xint8_systolic(allo.customize(packed_int8xint8_systolic, instantiate=[4, 4, 4, 2, 2, 2]))``.
    """
    import allo

    M, K, N, Mt, Nt, P = _instance_args(s)[:6]
    inner = allo.customize(packed_systolic, instantiate=[int8, int8, int8, M, K, N, Mt, Nt, P])
    s.compose(schedule_packed_systolic(inner))
    return s


def _instance_args(s: Any) -> list:
    """The template arguments a schedule's top kernel was instantiated with."""
    args = s.ir.funcs[s.top_func_name].attrs.get("instance_args")
    if args is None:
        from ..errors import AlloError

        raise AlloError(f"schedule of '{s.top_func_name}' is not a template instance",
                        hint="customize the library kernel with instantiate=[...]")
    return list(args)
