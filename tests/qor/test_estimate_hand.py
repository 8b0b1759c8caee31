"""The estimator on small designs, each against a hand computation written out below.

Rules used by the hand computations (docs/qor.md): a RAM/external array read takes 1
cycle, a register read 0; fadd 4 cycles / 2 DSP, fmul 3 cycles / 3 DSP, int add 0 cycles
and one LUT per bit, int8 x int8 multiply 1 cycle and half a DSP (two per DSP48E2); a
store ends its iteration one cycle later; a value stored earlier in the same iteration is
forwarded; pipelined latency = (trip - 1) * II + depth; a non-pipelined loop costs
trip * (body + 1); a pipelined loop next to other statements costs 4 more cycles (its
own module); innermost nests of >= 64 iterations are pipelined automatically.
"""

import allo
from allo.ir.types import float32, int8, int16, int32

N = 128


def test_pipelined_vector_add():
    def vadd(A: int32[N], B: int32[N], C: int32[N]):
        for i in range(N):
            C[i] = A[i] + B[i]

    s = allo.customize(vadd)
    s.pipeline("i")
    r = s.report()
    # loads of A[i], B[i] issue at 0, data at 1; the add is combinational; the store at 1
    # ends the iteration at 2.  One access per array and iteration: II = 1.
    row = r.loop("i")
    assert (row.trip, row.depth, row.ii, row.pipelined) == (N, 2, 1, True)
    assert row.latency == (N - 1) * 1 + 2
    # the loop is the function's only statement: no module wrapper
    assert r.latency == N + 1
    assert r.dsp == 0 and r.bram == 0
    # int32 + int32 is typed int33 (Allo's width growth): a 33-LUT adder; the 8-bit loop
    # counter (trip 128) costs 8 FF and 2 x 8 LUT; 2 stages add a valid bit each; the two
    # RAM reads are registered (2 x 32 FF)
    assert r.lut == 33 + 16
    assert r.ff == 8 + 2 + 64
    assert r.explanations() == []
    # the HLS module reports the same estimate, and so does the model's loop timing
    mod = s.build(target="vhls")
    assert mod.report().latency == r.latency
    from allo.qor import loop_timing

    t = loop_timing(s, "i")
    assert (t.trip, t.ii, t.depth, t.pipelined) == (N, 1, 2, True)
    assert t.time_of_iteration(N - 1) == row.latency


def test_float_reduction_is_recurrence_limited():
    def total(A: float32[64], out: float32[1]):
        acc: float32 = 0.0
        for i in range(64):
            acc += A[i]
        out[0] = acc

    s = allo.customize(total)
    s.pipeline("i")
    r = s.report()
    row = r.loop("i")
    # A[i] arrives at 1; fadd 1..5; acc (a register) is written at 5, so the next
    # iteration's fadd cannot start before 5: the recurrence spans 5 - 1 = 4 cycles over
    # a distance of 1 iteration -> II = 4.  Depth = 5 + 1.
    assert row.depth == 6
    assert row.ii == 4
    assert row.latency == (64 - 1) * 4 + 6
    [why] = r.explanations()
    assert "II=4 limited by dependence on acc" in why
    assert r.dsp == 2  # one fadd


M = K = 32


def gemm(A: float32[M, K], B: float32[K, M]) -> float32[M, M]:
    C: float32[M, M] = 0.0
    for i, j in allo.grid(M, M):
        for k in allo.reduction(K):
            C[i, j] += A[i, k] * B[k, j]
    return C


def test_stepwise_gemm():
    s = allo.customize(gemm)
    s.reorder("k", "j")
    s.buffer_at(s.C, axis="i")
    s.pipeline("j")
    r = s.report()
    # C (32x32 f32 = 32 Kbit) is BRAM: 2 x RAMB18 (512x36); its 0.0 fill is a pipelined
    # loop of 1024 writes: (1024 - 1) + 1 + 4 = 1028 cycles.
    fill_c = 1028
    # per i: C_buf (32 x f32 = 1 Kbit, LUTRAM) has no initializer of its own (its
    # init copy loop fills it)
    # C_init_0 / C_wb_0: 32 iterations (< 64: not auto-pipelined), load (1) + store: body 2,
    # + exit test 1 -> 32 * 3 = 96 each
    copy = 32 * 3
    # k, j flattened (k's body is the j loop only): trip 1024.  Loads at 0 -> 1; fmul
    # 1 -> 4; fadd 4 -> 8; store at 8: depth 9.  C_buf[j] is read again 32 flattened
    # iterations later (same j, next k): ceil((8 + 1 - 0) / 32) = 1, so II = 1.
    kj = (1024 - 1) * 1 + 9
    assert (r.loop("j").trip, r.loop("j").depth, r.loop("j").ii) == (1024, 9, 1)
    assert r.loop("j").latency == kj
    body = copy + (kj + 4) + copy
    assert r.loop("i").latency == 32 * (body + 1)
    assert r.latency == fill_c + 32 * (body + 1)
    assert r.bram == 2
    assert r.dsp == 3 + 2  # one fmul, one fadd
    # the latency formula in the loops' trip counts evaluates to the same number
    f = r.formula()
    assert int(f.subs(r.trip_symbols())) == r.latency
    # and in the kernel's size names (M for i and j, K for k, from the loop headers):
    # 1028 + M * (96 + (M*K - 1 + 9 + 4) + 96 + 1), the copy loops keeping their symbols
    import sympy

    Ms, Ks = sympy.symbols("M K", positive=True, integer=True)
    c_init, c_wb = sympy.symbols("N_C_init_0 N_C_wb_0", positive=True, integer=True)
    expected = 1028 + Ms * (3 * c_init + (Ms * Ks - 1 + 9 + 4) + 3 * c_wb + 1)
    assert sympy.expand(r.formula_in_sizes() - expected) == 0


def test_partitioned_unrolled_gemm():
    def mm(A: float32[8, 8], B: float32[8, 8], C: float32[8, 8]):
        for i, j, k in allo.grid(8, 8, 8):
            C[i, j] += A[i, k] * B[k, j]

    s = allo.customize(mm)
    s.pipeline("j")  # k, below the pipeline, is fully unrolled; i, j flattened: trip 64
    r = s.report()
    # per iteration 8 reads of A (one bank, 2 ports) -> II 4; same for B.
    # depth: loads at 0 -> 1; 8 fmuls 1 -> 4; the 8 fadds chain through C[i, j] (forwarded
    # in a register after the first load): 4 -> 8, 12, ..., 36; store at 36 -> 37; the
    # 8 reads of one bank take 4 port cycles: 3 more -> depth 40
    row = r.loop("j")
    assert (row.trip, row.depth, row.ii) == (64, 40, 4)
    assert row.latency == 63 * 4 + 40
    why = r.explanations()
    assert any("memory ports on A" in w and "partition A dim=2" in w for w in why)
    assert any("memory ports on B" in w and "partition B dim=1" in w for w in why)
    assert r.dsp == 8 * 3 + 8 * 2
    s.partition(s.A, dim=2)
    s.partition(s.B, dim=1)
    r2 = s.report()
    # every A[i, k] / B[k, j] in its own bank: one access per bank -> II = 1
    assert r2.loop("j").ii == 1
    assert r2.loop("j").latency == 63 * 1 + 37
    assert r2.explanations() == []


def test_systolic_8x8():
    P = 8

    def matmul(A: int8[P, P], B: int8[P, P], C: int16[P, P]):
        for i, j in allo.grid(P, P, "PE"):
            for k in range(P):
                C[i, j] += A[i, k] * B[k, j]

    s = allo.customize(matmul)
    buf_A = s.buffer_at(s.A, "j")
    buf_B = s.buffer_at(s.B, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[P, P])
    s.partition(s.A, dim=0)
    s.partition(s.B, dim=1)
    s.partition(s.C, dim=[0, 1])
    s.relay(buf_A, pe, axis=0, depth=P + 1)
    s.relay(buf_B, pe, axis=1, depth=P + 1)
    r = s.report()
    # one PE: B_init (8 x: read B or the FIFO, store B_buf at 1, forward it to the next
    # FIFO at 1 -> body 2, +1) = 24; A_init likewise 24; k: C (registers) + A_buf, B_buf
    # (LUTRAM, 1) -> int8 mul 1 -> 2, add 0, store 2 -> body 3, +1 -> 32.  PE = 80.
    pe_latency = 24 + 24 + 32
    # all 64 PEs run concurrently; the last PE's data crosses 7 + 7 FIFO hops
    row = next(x for x in r.rows if x.kind == "pe")
    assert row.trip == 64 and row.depth == pe_latency
    assert r.latency == pe_latency + 14
    # 64 int8 multiplies, two per DSP48E2
    assert r.dsp == 32
    assert r.bram == 0
    # the relay FIFOs: 8 x 7 for A and 7 x 8 for B, depth 9, 8 bits: SRL FIFOs of
    # 2 * ceil(log2 9) + 4 = 12 FF and 12 + 8 * ceil(9 / 32) = 20 LUT each
    from allo.qor.storage import fifo_cost

    assert fifo_cost(9, 8) == (0, 12, 20)
    # storage: A, B, C are the top's arguments (outside the kernel); every PE has its
    # A_buf and B_buf (8 x int8 = 64 bits: LUTRAM, 8 LUT each) -> 64 x 2 x 8 LUT
    pe_array = next(x for x in r.rows if x.kind == "pe").resources
    assert r.ff == pe_array.ff + 2 * 56 * 12
    assert r.lut == pe_array.lut + 64 * 2 * 8 + 2 * 56 * 20


def test_dataflow_region():
    def top(A: int32[256], C: int32[256]):
        B: int32[256] = 0
        for i in range(256):
            B[i] = A[i] + 1
        for j in range(256):
            C[j] = B[j] * 3

    s = allo.customize(top)
    s.pipeline("i")
    s.pipeline("j")
    seq = s.report()
    # each stage: load at 0 -> 1, combinational op, store at 1: depth 2 (the * 3 by a
    # constant is shift-and-add logic, no DSP); (256 - 1) + 2 + 4 (own module) = 261
    stage1 = 255 + 2 + 4
    stage2 = 255 + 2 + 4
    fill_b = 256 + 4  # B = 0 (8 Kbit, BRAM): one write per cycle
    assert seq.latency == fill_b + stage1 + stage2
    s.dataflow("top")
    df = s.report()
    # three processes (B's fill, the two loops) overlap: the slowest plus the others'
    # fill (depths 1 and 2)
    assert df.latency == max(fill_b, stage1, stage2) + 1 + 2
    assert df.latency < seq.latency
    assert df.dsp == 0


def test_allo_report_cli(capsys):
    import json
    import os

    from allo.cli import main

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = os.path.join(root, "examples", "qor_validation.py") + "::mem_bottleneck_resolved"
    assert main(["report", target, "--clock", "250"]) == 0
    out = capsys.readouterr().out
    assert "mem_bottleneck_resolved:" in out and "at 250 MHz" in out
    assert main(["report", target, "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["totals"]["DSP"] == 0 and row["rows"][1]["trip"] == 126
    assert main(["report", target + "_missing"]) == 2


def test_non_uniform_accesses_without_a_carried_dependence_keep_ii_1():
    def mirror(A: float32[16]):
        for i in range(8):
            A[i] = A[15 - i] + 1.0   # writes 0..7, reads 8..15: never the same element

    s = allo.customize(mirror)
    s.pipeline("i")
    r = s.report()
    # the index forms differ (i vs 15 - i): z3 shows no iteration reads what another wrote
    assert r.loop("i").ii == 1 and r.explanations() == []


def test_a_non_uniform_read_of_a_written_array_is_a_dependence():
    def shift(A: float32[16]):
        for i in range(1, 16):
            A[i] = A[16 - i] + 1.0   # reads what earlier iterations wrote (i' = 16 - i)

    s = allo.customize(shift)
    s.pipeline("i")
    r = s.report()
    # read A[16 - i] (1 cycle), fadd 4, store: 1 + 4 = 5, +1 for the RAM write -> the
    # dependence (assumed at distance 1) gives II = 6
    assert r.loop("i").ii == 6
    assert any("dependence on A" in e for e in r.explanations())


def test_bad_report_arguments_are_alloerrors():
    import pytest

    from allo.errors import AlloError

    def one(A: int32[4]):
        for i in range(4):
            A[i] = A[i] + 1

    s = allo.customize(one)
    with pytest.raises(AlloError, match="clock_mhz"):
        s.report(clock_mhz=0)
    with pytest.raises(AlloError, match="unknown FPGA part"):
        s.report(part="xc9999")
    with pytest.raises(AlloError, match="no loop 'nope'"):
        s.report().loop("nope")
