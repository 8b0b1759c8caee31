"""FPGA parts the summary line reports utilization against (resources from AMD's
product tables: Alveo U280 = xcu280, U250 = xcu250, VU9P, Zynq-7020).

Example: ``part_info("xcu280").dsp == 9024``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import AlloError


@dataclass(frozen=True)
class Part:
    name: str
    dsp: int
    bram: int   # BRAM_18K
    uram: int
    ff: int
    lut: int


PARTS = {
    "xcu280": Part("xcu280", 9024, 4032, 960, 2607360, 1303680),
    "xcu250": Part("xcu250", 12288, 5376, 1280, 3456000, 1728000),
    "xcvu9p": Part("xcvu9p", 6840, 4320, 960, 2364480, 1182240),
    "xc7z020": Part("xc7z020", 220, 280, 0, 106400, 53200),
}


def part_info(name: str) -> Part:
    """The part named ``name`` (a prefix such as ``xcu280-fsvh2892-2L-e`` works)."""
    key = str(name).lower()
    for k, p in PARTS.items():
        if key.startswith(k):
            return p
    raise AlloError(f"unknown FPGA part {name!r}", where="report(part=...)",
                    hint=f"known parts: {', '.join(PARTS)}")
