"""The user-facing side of partition types: the ``Partition`` enum of ``s.partition``,
building a :class:`Layout` from ``partition(...)`` arguments, and HLS pragma rendering.

As in public Allo, ``dim`` is 1-based, ``0`` means every dimension, and a list of dims
partitions each of them (a list containing 0 means all). ``factor`` is the number of
banks for ``Block``/``Cyclic`` and is ignored for ``Complete``.

Example::

    >>> L = layout_from_partition((8, 8), Partition.Cyclic, dim=1, factor=4)
    >>> str(L)
    '[cyclic(4), none]'
    >>> hls_pragmas("A", L)
    ['#pragma HLS array_partition variable=A cyclic factor=4 dim=1']
"""

from __future__ import annotations

import enum
from typing import List, Optional, Sequence, Union

from ..errors import ScheduleError
from .lattice import BLOCK, COMPLETE, CYCLIC, NONE, DimLayout, Layout


class Partition(enum.IntEnum):
    """Partition kinds of ``s.partition(target, partition_type=..., dim=..., factor=...)``.

    Example: ``Partition.parse("cyclic") is Partition.Cyclic``.
    """

    Complete = 0
    Block = 1
    Cyclic = 2

    @staticmethod
    def parse(value: Union["Partition", str, int]) -> "Partition":
        """Accept the enum, its name (any case) or its int value."""
        if isinstance(value, Partition):
            return value
        if isinstance(value, str):
            for p in Partition:
                if p.name.lower() == value.strip().lower():
                    return p
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                return Partition(value)
            except ValueError:
                pass
        raise ScheduleError(f"unknown partition_type {value!r}",
                            where="partition(partition_type=...)",
                            hint="use Partition.Complete, Partition.Block or Partition.Cyclic")


DimSpec = Union[int, Sequence[int]]


def normalize_dims(rank: int, dim: DimSpec, where: str = "partition") -> List[int]:
    """The 0-based dims selected by a 1-based ``dim`` argument (0 = all, list allowed).

    Example: ``normalize_dims(3, [0, 1]) == [0, 1, 2]``; ``normalize_dims(2, 2) == [1]``.
    """
    items = list(dim) if isinstance(dim, (list, tuple)) else [dim]
    if not items:
        raise ScheduleError("dim=[] selects no dimension", where=where,
                            hint="pass dim=0 for all dimensions or 1-based dims")
    if rank == 0:
        raise ScheduleError("a scalar (0-d buffer) cannot be partitioned", where=where,
                            hint="partition array buffers only")
    out: List[int] = []
    for d in items:
        if isinstance(d, bool) or not isinstance(d, int):
            raise ScheduleError(f"dim must be an int or a list of ints, got {d!r}", where=where,
                                hint=f"1..{rank} (1-based), or 0 for every dimension")
        if d < 0 or d > rank:
            raise ScheduleError(f"dim={d} is out of range for a rank-{rank} buffer",
                                where=where,
                                hint=f"dims are 1-based (1..{rank}); 0 means all dimensions")
        picked = range(rank) if d == 0 else [d - 1]
        out.extend(i for i in picked if i not in out)
    return sorted(out)


def layout_from_partition(shape: Sequence[int],
                          partition_type: Union[Partition, str, int] = Partition.Complete,
                          dim: DimSpec = 0, factor: int = 0,
                          base: Optional[Layout] = None, name: str = "buffer") -> Layout:
    """The layout after ``partition(buf, partition_type, dim, factor)`` on a buffer.

    ``base`` is the buffer's previous layout (dims not selected keep it; default: none).
    Raises :class:`~allo.errors.ScheduleError` for a bad dim, or a Block/Cyclic factor
    that is not in ``1 .. extent``.

    Example: ``str(layout_from_partition((4, 6), "block", dim=2, factor=3)) == '[none, block(3)]'``.
    """
    shape = tuple(shape)
    ptype = Partition.parse(partition_type)
    where = (f"partition({name}, partition_type=Partition.{ptype.name}, dim={dim!r}, "
             f"factor={factor!r})")
    dims = normalize_dims(len(shape), dim, where)
    if base is None:
        base = Layout.none(shape)
    elif base.shape != shape:
        raise ScheduleError(f"the existing layout {base} is for shape {base.shape}, not {shape}",
                            where=where, hint="partition the buffer the layout belongs to")
    if isinstance(factor, bool) or not isinstance(factor, int):
        raise ScheduleError(f"factor must be an int, got {factor!r}", where=where,
                            hint="factor is the number of banks, a positive int")
    layout = base
    for d in dims:
        n = shape[d]
        if ptype is Partition.Complete:
            new = DimLayout.complete(n)
        else:
            if factor < 1 or factor > n:
                raise ScheduleError(
                    f"{ptype.name.lower()} factor {factor} is invalid for dim {d + 1} of "
                    f"extent {n}", where=where,
                    hint=f"use a factor in 1..{n} (the number of banks), or "
                         f"Partition.Complete for one bank per element")
            new = DimLayout(BLOCK if ptype is Partition.Block else CYCLIC, factor, n)
        layout = layout.with_dim(d, new)
    return layout


def partition_calls(target: str, layout: Layout) -> List[str]:
    """The ``s.partition(...)`` calls that produce ``layout`` (for error hints).

    Example: ``partition_calls("s.C", Layout.of((4, 8), ["none", "cyclic(4)"]))``
    is ``['s.partition(s.C, partition_type=Partition.Cyclic, dim=2, factor=4)']``.
    """
    calls = []
    for i, d in enumerate(layout.dims):
        if d.kind == NONE:
            continue
        if d.kind == COMPLETE:
            calls.append(f"s.partition({target}, partition_type=Partition.Complete, dim={i + 1})")
        else:
            calls.append(f"s.partition({target}, partition_type=Partition."
                         f"{d.kind.capitalize()}, dim={i + 1}, factor={d.factor})")
    return calls


def pragma_text(variable: str, dim_index: int, dim_layout: DimLayout) -> Optional[str]:
    """The ``array_partition`` pragma body for one dimension (1-based ``dim_index``),
    or ``None`` for an unpartitioned dimension.

    Example: ``pragma_text("A", 1, DimLayout.cyclic(4, 16))`` is
    ``'array_partition variable=A cyclic factor=4 dim=1'``.
    """
    if dim_layout.kind == NONE:
        return None
    if dim_layout.kind == COMPLETE:
        return f"array_partition variable={variable} complete dim={dim_index}"
    return (f"array_partition variable={variable} {dim_layout.kind} "
            f"factor={dim_layout.factor} dim={dim_index}")


def hls_pragmas(variable: str, layout: Layout) -> List[str]:
    """``#pragma HLS array_partition`` lines for a buffer's layout (none: no line).

    A layout that is complete in every dimension of a rank >= 2 buffer becomes one
    ``complete dim=0`` pragma. Example: ``hls_pragmas("B", Layout.complete((2, 2)))`` is
    ``['#pragma HLS array_partition variable=B complete dim=0']``.
    """
    if layout.rank >= 2 and all(d.kind == COMPLETE for d in layout.dims):
        return [f"#pragma HLS array_partition variable={variable} complete dim=0"]
    lines = []
    for i, d in enumerate(layout.dims):
        text = pragma_text(variable, i + 1, d)
        if text is not None:
            lines.append(f"#pragma HLS {text}")
    return lines


__all__ = ["Partition", "normalize_dims", "layout_from_partition", "partition_calls",
           "pragma_text", "hls_pragmas"]
