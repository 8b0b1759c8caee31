"""The QoR model against published Vitis HLS synthesis reports.

Each ``design_*`` re-creates, with this project's primitives, a design whose Vitis HLS
report is public; ``PUBLISHED`` holds the report's numbers and where they come from.
``python examples/qor_validation.py`` prints the comparison table recorded in
``docs/qor.md``; ``allo report examples/qor_validation.py`` prints the estimates.
(The BERT design is far too large to verify symbolically: these designs are for reports.)
"""

from __future__ import annotations

import sys
from typing import Dict, List

import allo
from allo.ir.types import Int, float32, int8, int16

# --------------------------------------------------------------------------- 1. Xilinx
# Vitis-HLS-Introductory-Examples, memory_bottleneck_resolved (din_t = ap_int<7>,
# dout_t = ap_int<10>, N = 128), Vivado HLS 2019.2, xcvu9p, 4 ns clock.

din_t, dout_t = Int(7), Int(10)
NB = 128


def mem_bottleneck_resolved(mem: din_t[NB], out: dout_t[1]):
    tmp0: din_t = mem[0]
    tmp1: din_t = mem[1]
    acc: dout_t = 0
    for i in range(2, NB):
        tmp2: din_t = mem[i]
        acc += tmp2 + tmp1 + tmp0
        tmp0 = tmp1
        tmp1 = tmp2
    out[0] = acc


def design_mem_bottleneck_resolved():
    s = allo.customize(mem_bottleneck_resolved)
    s.pipeline("i")
    return s


# --------------------------------------------------------------------------- 2. Allo's
# tutorial "Vivado/Vitis HLS backend" (tutorials/tutorial_02_vhls.py): 32 x 32 x 32 float
# GEMM, reorder + buffer_at + pipeline, Vitis HLS 2023.2 for the U250/U280 (300 MHz).

MG = 32


def gemm(A: float32[MG, MG], B: float32[MG, MG]) -> float32[MG, MG]:
    C: float32[MG, MG] = 0.0
    for i, j in allo.grid(MG, MG):
        for k in allo.reduction(MG):
            C[i, j] += A[i, k] * B[k, j]
    return C


def design_tutorial_gemm():
    s = allo.customize(gemm)
    s.reorder("k", "j")
    s.buffer_at(s.C, axis="i")
    s.pipeline("j")
    return s


# --------------------------------------------------------------------------- 3. the seed
# slides (PLDI'24 talk): BERT-base FFN1, (512, 768) x (768, 3072), int8 on a 16 x 16
# systolic array, U280. Here: 16 x 16 output tiles, k pipelined, the 256 MACs of a tile
# unrolled under it (the same compute parallelism: 256 int8 MACs per cycle), the tile of C
# in registers, A and B banked 16 ways so each cycle reads a column of A and a row of B.

BM, BK, BN, T = 512, 768, 3072, 16


def ffn1(A: int8[BM, BK], B: int8[BK, BN], C: int16[BM, BN]):
    for i, j, k in allo.grid(BM, BN, BK):
        C[i, j] += A[i, k] * B[k, j]


def design_bert_ffn1():
    s = allo.customize(ffn1)
    s.split("i", T)
    s.split("j", T)
    s.reorder("i.outer", "j.outer", "k", "i.inner", "j.inner")
    tile = s.buffer_at(s.C, axis="j.outer")
    s.partition(tile, dim=0)
    s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=T)
    s.partition(s.B, allo.Partition.Cyclic, dim=2, factor=T)
    s.partition(s.C, allo.Partition.Cyclic, dim=2, factor=T)
    for loop in ("C_init_1", "C_wb_1"):
        s.unroll(loop)
    s.pipeline("k")
    return s


# --------------------------------------------------------------------------- the reports
#: name -> (clock MHz, published numbers, source). Latency in cycles of the whole top.
PUBLISHED: Dict[str, dict] = {
    "mem_bottleneck_resolved": {
        "clock": 250.0, "latency": 130, "DSP": 0, "BRAM_18K": 0, "FF": 39, "LUT": 137,
        "source": "github.com/Xilinx/Vitis-HLS-Introductory-Examples, memory_bottleneck_resolved/"
                  "proj_array_mem_perform/solution1/syn/report/array_mem_perform_csynth.rpt "
                  "(Vivado HLS 2019.2, xcvu9p, 4 ns)",
    },
    "tutorial_gemm": {
        "clock": 300.0, "latency": 39934, "DSP": 5, "BRAM_18K": 6, "FF": 19074, "LUT": 29069,
        "source": "github.com/cornell-zhang/allo, tutorials/tutorial_02_vhls.py, csynth.rpt "
                  "excerpt (Vitis HLS 2023.2, U250 hw_emu)",
    },
    "bert_ffn1": {
        "clock": 300.0, "latency": round(15.73e-3 * 300e6), "DSP": 128, "BRAM_18K": 0,
        "FF": 79969, "LUT": 244439,
        "source": "PLDI'24 Allo talk slides (seed 003): 15.73 ms, 0 BRAM, 128 DSP, 79,969 FF, "
                  "244,439 LUT on U280 (clock not stated; 300 MHz assumed: 15.73 ms x 300 MHz "
                  "= 4.72 M cycles = 512*768*3072 / 256 MACs per cycle)",
    },
}

DESIGNS = {"mem_bottleneck_resolved": design_mem_bottleneck_resolved,
           "tutorial_gemm": design_tutorial_gemm, "bert_ffn1": design_bert_ffn1}


def error(estimate: float, published: float) -> float:
    """Relative error of the estimate (``+0.1`` = 10% over the published number)."""
    if published == 0:
        return 0.0 if estimate == 0 else float("inf")
    return (estimate - published) / published


def compare() -> List[dict]:
    """One row per published report: published, estimated, and the errors."""
    rows = []
    for name, pub in PUBLISHED.items():
        r = DESIGNS[name]().report(clock_mhz=pub["clock"])
        est = {"latency": r.latency, "DSP": r.dsp, "BRAM_18K": r.bram, "FF": r.ff, "LUT": r.lut}
        rows.append({"design": name, "published": {k: pub[k] for k in est}, "estimate": est,
                     "error": {k: error(est[k], pub[k]) for k in est}, "source": pub["source"]})
    return rows


def main() -> int:
    print("| design | metric | published | estimate | error |")
    print("|---|---|---|---|---|")
    for row in compare():
        for metric in ("latency", "DSP", "BRAM_18K", "FF", "LUT"):
            e = row["error"][metric]
            shown = "exact" if e == 0 else ("n/a (0 published)" if e == float("inf") else f"{e:+.1%}")
            print(f"| {row['design']} | {metric} | {row['published'][metric]:,} | "
                  f"{row['estimate'][metric]:,} | {shown} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
