"""Memory mapping rules of docs/qor.md ("Memories")."""

from dataclasses import dataclass
from types import SimpleNamespace

from allo.ir.types import float32, int8
from allo.qor.storage import bram18k, fifo_cost, memory_kind, storage_cost, uram


def test_bram18k_aspect_ratios():
    assert bram18k(512, 36) == 1      # 512 x 36
    assert bram18k(1024, 32) == 2     # 2 x (512 x 36) or 2 x (1K x 18)
    assert bram18k(2048, 8) == 1      # 2K x 9
    assert bram18k(16384, 1) == 1
    assert bram18k(4096, 32) == 8
    assert uram(4096, 72) == 1 and uram(8192, 64) == 2


def test_default_mapping_by_size_and_partition():
    assert memory_kind(float32[1024], 1, is_argument=True) == "external"
    assert memory_kind(float32[32], 1, is_argument=False) == "LUTRAM"      # 1 Kbit
    assert memory_kind(float32[33], 1, is_argument=False) == "BRAM"
    assert memory_kind(int8[16], 16, is_argument=False) == "registers"    # complete
    assert storage_cost(float32[1024], "BRAM", 2) == (2, 0, 0, 0)          # 2 banks x 512x32
    assert storage_cost(int8[16], "registers", 16) == (0, 0, 128, 0)


@dataclass(frozen=True)
class _Hinted:
    """A buffer type carrying a Memory(resource=...) hint, as the compatibility layer
    attaches it (the estimator reads ``memory.resource``)."""

    dtype: object
    shape: tuple
    memory: object
    layout: object = None

    @property
    def size(self):
        n = 1
        for d in self.shape:
            n *= d
        return n


def test_memory_resource_hint_wins():
    uram_buf = _Hinted(float32, (64,), SimpleNamespace(resource="URAM"))
    assert memory_kind(uram_buf, 1, is_argument=False) == "URAM"
    assert storage_cost(uram_buf, "URAM", 1) == (0, 1, 0, 0)
    lut_buf = _Hinted(float32, (4096,), SimpleNamespace(resource="LUTRAM"))
    assert memory_kind(lut_buf, 1, is_argument=False) == "LUTRAM"


def test_fifo_costs():
    assert fifo_cost(2, 32) == (0, 6, 38)
    bram, ff, lut = fifo_cost(4096, 32)
    assert bram == bram18k(4096, 32) and ff > 0
