"""Where arrays live (registers, LUTRAM, BRAM, URAM), how many banks and ports they have,
and what they cost. Rules and sources: ``docs/qor.md`` ("Memories").

* A buffer's banks come from its partition type (:mod:`allo.typesys`): the product of the
  per-dimension bank counts. A completely partitioned buffer is registers.
* A top-function array argument is an external memory port (``ap_memory``: the caller's
  RAM, two ports), so it costs no BRAM inside the kernel (UG1399, interfaces).
* Otherwise a bank of at most ``LUTRAM_MAX_BITS`` bits is LUTRAM, else BRAM
  (Vitis' ``bind_storage`` auto choice), unless ``Memory(resource=...)`` says otherwise;
  ``URAM`` is used only when asked for.
* RAMs have two ports (``RAM_2P``/``RAM_T2P`` true dual port, UG573): the resource MII of
  a pipelined loop is ``ceil(accesses to one bank per iteration / 2)``.
* BRAM_18K per bank: RAMB18E2 aspect ratios 16Kx1, 8Kx2, 4Kx4, 2Kx9, 1Kx18, 512x36
  (UG573 table 1-3).

Example::

    >>> from allo.ir.types import float32
    >>> bram18k(1024, 32)
    2
    >>> memory_kind(float32[1024], banks=1, is_argument=False)
    'BRAM'
"""

from __future__ import annotations

import math
from typing import Any, Optional, Tuple

#: a bank of at most this many bits goes to LUTRAM (distributed RAM) by default
LUTRAM_MAX_BITS = 1024
#: bits of one LUT6 used as distributed RAM (64 x 1, UG574)
LUTRAM_BITS_PER_LUT = 64
#: ports of a RAM bank (true dual port)
RAM_PORTS = 2
#: read latency of a RAM in cycles (UG1399 ``bind_storage`` default latency 1)
RAM_READ_LATENCY = 1
#: RAMB18E2 configurations (depth, width) from UG573
_BRAM18_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
#: URAM288: 4K x 72 (UG573)
URAM_DEPTH, URAM_WIDTH = 4096, 72

KINDS = ("registers", "LUTRAM", "BRAM", "URAM", "external")


def element_bits(dtype: Any) -> int:
    """Bits of one element (a stream's element type for streams)."""
    inner = getattr(dtype, "dtype", None)
    if inner is not None and not hasattr(dtype, "is_int"):
        dtype = inner
    return 32 if getattr(dtype, "is_index", False) else max(1, int(dtype.bits))


def bram18k(depth: int, width: int) -> int:
    """RAMB18E2 blocks for one bank of ``depth`` words of ``width`` bits.

    Example: ``bram18k(512, 32) == 1``, ``bram18k(2048, 32) == 4``.
    """
    if depth <= 0:
        return 0
    best = None
    for cap, w in _BRAM18_SHAPES:
        n = math.ceil(depth / cap) * math.ceil(width / w)
        best = n if best is None else min(best, n)
    return int(best)


def uram(depth: int, width: int) -> int:
    """URAM288 blocks for one bank. Example: ``uram(4096, 72) == 1``."""
    return math.ceil(depth / URAM_DEPTH) * math.ceil(width / URAM_WIDTH)


def banks_of(btype: Any) -> Tuple[int, Tuple[int, ...]]:
    """(number of banks, per-dimension bank counts) of a buffer type from its layout."""
    layout = getattr(btype, "layout", None)
    if layout is None:
        return 1, tuple(1 for _ in btype.shape)
    per_dim = tuple(int(d.factor) for d in layout.dims)
    return int(math.prod(per_dim)), per_dim


def requested_resource(btype: Any) -> Optional[str]:
    """The storage a user asked for with ``Memory(resource=...)``, if any (normalized to
    one of ``KINDS``), read from the buffer type's memory attribute."""
    mem = getattr(btype, "memory", None)
    res = getattr(mem, "resource", None) if mem is not None else None
    if not res:
        return None
    res = str(res).upper()
    if res in ("URAM", "BRAM"):
        return res
    if res in ("LUTRAM", "LUT", "DISTRIBUTED"):
        return "LUTRAM"
    if res in ("REG", "REGISTER", "REGISTERS", "FF"):
        return "registers"
    return None


#: memory types with one port per bank (UG1399 bind_storage); the others have two
_ONE_PORT_TYPES = ("RAM_1P", "ROM_1P")


def requested_ports(btype: Any) -> int:
    """Ports of one bank: 1 for a ``Memory(storage_type="RAM_1P"/"ROM_1P")``, else
    ``RAM_PORTS``. Example: ``requested_ports(float32[8]) == 2``."""
    kind = getattr(getattr(btype, "memory", None), "storage_type", None)
    return 1 if kind in _ONE_PORT_TYPES else RAM_PORTS


def requested_latency(btype: Any) -> int:
    """Read latency of a RAM bank in cycles: ``Memory(latency=...)`` or
    ``RAM_READ_LATENCY``. Example: ``requested_latency(float32[8]) == 1``."""
    latency = getattr(getattr(btype, "memory", None), "latency", None)
    return int(latency) if latency else RAM_READ_LATENCY


def memory_kind(btype: Any, banks: int, is_argument: bool) -> str:
    """Which storage holds the buffer. Example: ``memory_kind(int8[4], 4, False) == 'registers'``."""
    if is_argument:
        return "external"
    asked = requested_resource(btype)
    if asked:
        return asked
    size = btype.size
    if banks >= size or size == 1:
        return "registers"
    bank_bits = math.ceil(size / banks) * element_bits(btype.dtype)
    return "LUTRAM" if bank_bits <= LUTRAM_MAX_BITS else "BRAM"


def storage_cost(btype: Any, kind: str, banks: int) -> Tuple[int, int, int, int]:
    """(BRAM_18K, URAM, FF, LUT) of a buffer stored as ``kind`` in ``banks`` banks."""
    width = element_bits(btype.dtype)
    depth = math.ceil(btype.size / max(1, banks))
    if kind == "registers":
        return 0, 0, btype.size * width, 0
    if kind == "LUTRAM":
        return 0, 0, 0, banks * math.ceil(depth / LUTRAM_BITS_PER_LUT) * width
    if kind == "BRAM":
        return banks * bram18k(depth, width), 0, 0, 0
    if kind == "URAM":
        return 0, banks * uram(depth, width), 0, 0
    return 0, 0, 0, 0


#: FIFOs up to this depth are shift registers in LUTs (SRL32, UG574); deeper: BRAM
SRL_MAX_DEPTH = 1024
SRL_DEPTH_PER_LUT = 32


def fifo_cost(depth: int, width: int) -> Tuple[int, int, int]:
    """(BRAM_18K, FF, LUT) of one FIFO of ``depth`` x ``width`` bits.

    Control (read/write pointers, full/empty flags) costs about ``2*log2(depth)+4`` FF and
    LUT (Vitis ``fifo_w*_d*_S`` modules). Example: ``fifo_cost(2, 8) == (0, 6, 14)``.
    """
    ctrl = 2 * max(1, math.ceil(math.log2(max(2, depth)))) + 4
    if depth <= SRL_MAX_DEPTH:
        return 0, ctrl, ctrl + width * math.ceil(depth / SRL_DEPTH_PER_LUT)
    return bram18k(depth, width), ctrl + width, ctrl


__all__ = ["bram18k", "uram", "banks_of", "memory_kind", "storage_cost", "fifo_cost",
           "element_bits", "requested_resource", "requested_ports", "requested_latency", "LUTRAM_MAX_BITS", "RAM_PORTS",
           "RAM_READ_LATENCY", "KINDS"]
