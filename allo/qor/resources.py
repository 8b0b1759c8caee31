"""Resource tallies (DSP, BRAM_18K, URAM, FF, LUT) and the rule for DSP packing.

Example::

    >>> r = Resources(dsp=2, lut=10) + Resources(dsp=1, packable=3)
    >>> r.total_dsp        # 3 + ceil(3 / 2) packed int8 multiplies
    5
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields


@dataclass
class Resources:
    """What a piece of hardware uses. ``packable`` counts narrow int multiplies not yet
    assigned to DSPs: two of them share one DSP48E2 (WP486), see :attr:`total_dsp`."""

    dsp: int = 0
    bram: int = 0
    uram: int = 0
    ff: int = 0
    lut: int = 0
    packable: int = 0

    def __add__(self, other: "Resources") -> "Resources":
        return Resources(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def scaled(self, k: int) -> "Resources":
        """``k`` copies. Example: ``Resources(dsp=1).scaled(4).dsp == 4``."""
        return Resources(*(getattr(self, f.name) * k for f in fields(self)))

    def maximum(self, other: "Resources") -> "Resources":
        """Shared hardware of two regions that never run at once (per-field maximum)."""
        return Resources(*(max(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)))

    @property
    def total_dsp(self) -> int:
        """DSPs with packable multiplies paired two per DSP48E2."""
        return self.dsp + math.ceil(self.packable / 2)


__all__ = ["Resources"]
