"""allo.dataflow designs on every target: simulator, LLVM, HLS C++, and verification
against the plain kernel (a broken variant is refused)."""

import numpy as np
import pytest

import allo
import allo.dataflow as df
from allo.ir.types import Stream, float32, int32

M, N, K = 4, 4, 4
P0, P1 = M + 2, N + 2


# ---------------------------------------------------------------- producer / consumer
@df.region()
def pc_top(A: int32[M, N], B: int32[M, N]):
    pipe: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def producer(src: int32[M, N]):
        for i, j in allo.grid(M, N):
            pipe.put(src[i, j] * 3)

    @df.kernel(mapping=[1], args=[B])
    def consumer(dst: int32[M, N]):
        for i, j in allo.grid(M, N):
            dst[i, j] = pipe.get() + 1


def pc_plain(A: int32[M, N], B: int32[M, N]):
    for i, j in allo.grid(M, N):
        B[i, j] = A[i, j] * 3 + 1


def pc_wrong(A: int32[M, N], B: int32[M, N]):
    for i, j in allo.grid(M, N):
        B[i, j] = A[i, j] * 3 + 2


def test_producer_consumer_simulator_llvm_and_verify():
    A = np.random.randint(-50, 50, (M, N)).astype(np.int32)
    for target in ("simulator", "llvm"):
        B = np.zeros((M, N), np.int32)
        df.build(pc_top, target=target)(A, B)
        np.testing.assert_array_equal(B, A * 3 + 1)
    assert allo.verify(pc_top, pc_plain)
    verdict = allo.verify(pc_top, pc_wrong)
    assert verdict.status == "not equivalent"


def test_lowering_names_instances_and_marks_the_region():
    s = df.customize(pc_top)
    assert sorted(s.ir.funcs) == ["consumer_0", "pc_top", "producer_0"]
    top = s.ir.top_func
    assert top.attrs["dataflow"] and top.attrs["df_region"]
    assert [c.callee for c in top.body if type(c).__name__ == "Call"] == ["producer_0",
                                                                          "consumer_0"]


def test_hls_code_has_dataflow_and_streams():
    code = df.build(pc_top, target="vhls").hls_code
    assert "#pragma HLS dataflow" in code
    assert "hls::stream< int32_t >" in code
    assert "producer_0(A, pipe);" in code and "consumer_0(B, pipe);" in code


# ---------------------------------------------------------------- 2-D systolic GEMM
def make_systolic(broken: bool = False):
    @df.region()
    def systolic(A: float32[M, K], B: float32[K, N], C: float32[M, N]):
        fa: Stream[float32, 2][P0, P1]
        fb: Stream[float32, 2][P0, P1]

        @df.kernel(mapping=[P0, P1], args=[A, B, C])
        def pe(a: float32[M, K], b: float32[K, N], c: float32[M, N]):
            i, j = df.get_pid()
            with allo.meta_if(i in {0, M + 1} and j in {0, N + 1}):
                pass
            with allo.meta_elif(j == 0):  # west border: feed rows of A
                for k in range(K):
                    fa[i, j + 1].put(a[i - 1, k])
            with allo.meta_elif(i == 0):  # north border: feed columns of B
                for k in range(K):
                    fb[i + 1, j].put(b[k, j - 1])
            with allo.meta_elif(i == M + 1):  # south border: drain
                for k in range(K):
                    fb[i, j].get()
            with allo.meta_elif(j == N + 1):  # east border: drain
                for k in range(K):
                    fa[i, j].get()
            with allo.meta_else():
                acc: float32 = 0.0
                for k in range(K):
                    x: float32 = fa[i, j].get()
                    y: float32 = fb[i, j].get()
                    with allo.meta_if(broken and i == 2 and j == 3):
                        acc += x * x
                    with allo.meta_else():
                        acc += x * y
                    fa[i, j + 1].put(x)
                    fb[i + 1, j].put(y)
                c[i - 1, j - 1] = acc

    return systolic


def gemm(A: float32[M, K], B: float32[K, N], C: float32[M, N]):
    for i, j in allo.grid(M, N):
        acc: float32 = 0.0
        for k in range(K):
            acc += A[i, k] * B[k, j]
        C[i, j] = acc


def test_systolic_gemm_targets_and_verification():
    systolic = make_systolic()
    A = np.random.rand(M, K).astype(np.float32)
    B = np.random.rand(K, N).astype(np.float32)
    for target in ("simulator", "llvm"):
        C = np.zeros((M, N), np.float32)
        df.build(systolic, target=target)(A, B, C)
        np.testing.assert_allclose(C, A @ B, rtol=1e-5)
    assert allo.verify(systolic, gemm)
    assert allo.verify(make_systolic(broken=True), gemm).status == "not equivalent"


def test_systolic_border_pes_are_dropped_and_fifos_split_per_element():
    s = df.customize(make_systolic())
    assert "pe_0_0" not in s.ir.funcs and "pe_5_5" not in s.ir.funcs  # corner `pass` PEs
    inner = s.ir.funcs["pe_1_1"]
    streams = [p.name for p in inner.params if p.type.is_stream]
    assert streams == ["fa_1_1", "fa_1_2", "fb_1_1", "fb_2_1"]
    code = df.build(make_systolic(), target="vhls").hls_code
    assert "pe_1_1(A, B, C, fa[1][1], fa[1][2], fb[1][1], fb[2][1]);" in code


def test_systolic_customize_partitions_top_arrays():
    s = df.customize(make_systolic())
    s.partition("systolic:A", dim=1)
    code = s.build(target="vhls").hls_code
    assert "array_partition variable=A" in code


# ---------------------------------------------------------------- 1-D systolic array
L = 4  # PEs in the chain


@df.region()
def chain(A: int32[M, K], B: int32[K, L], C: int32[M, L]):
    link: Stream[int32, 2][L + 1]

    @df.kernel(mapping=[L + 1], args=[A, B, C])
    def cell(a: int32[M, K], b: int32[K, L], c: int32[M, L]):
        p = df.get_pid()
        with allo.meta_if(p == 0):  # the loader
            for m in range(M):
                for k in range(K):
                    link[0].put(a[m, k])
        with allo.meta_else():  # PE p - 1 holds column p - 1 of B
            for m in range(M):
                acc: int32 = 0
                for k in range(K):
                    x: int32 = link[p - 1].get()
                    acc += x * b[k, p - 1]
                    with allo.meta_if(p < L):
                        link[p].put(x)
                c[m, p - 1] = acc


def chain_plain(A: int32[M, K], B: int32[K, L], C: int32[M, L]):
    for m, n in allo.grid(M, L):
        acc: int32 = 0
        for k in range(K):
            acc += A[m, k] * B[k, n]
        C[m, n] = acc


def chain_wrong(A: int32[M, K], B: int32[K, L], C: int32[M, L]):
    for m, n in allo.grid(M, L):
        acc: int32 = 0
        for k in range(K):
            acc += A[m, k] * B[k, L - 1 - n]
        C[m, n] = acc


def test_one_dimensional_systolic_array():
    A = np.random.randint(-9, 9, (M, K)).astype(np.int32)
    B = np.random.randint(-9, 9, (K, L)).astype(np.int32)
    for target in ("simulator", "llvm"):
        C = np.zeros((M, L), np.int32)
        df.build(chain, target=target)(A, B, C)
        np.testing.assert_array_equal(C, A @ B)
    assert allo.verify(chain, chain_plain)
    assert allo.verify(chain, chain_wrong).status == "not equivalent"


# ---------------------------------------------------------------- hierarchy, templates
@df.region()
@allo.template("T")
def tiles(A: int32[8], B: int32[8]):
    @df.kernel(mapping=[T], args=[A, B])
    def tile(a: int32[8], b: int32[8]):
        t = df.get_pid()
        for x in range(t * (8 // T), (t + 1) * (8 // T)):
            b[x] = a[x] + t


@df.region()
def outer(A: int32[8], B: int32[8]):
    @df.kernel(mapping=[1], args=[A, B])
    def run(a: int32[8], b: int32[8]):
        tiles[2](a, b)


def test_region_template_called_from_a_kernel():
    A = np.arange(8, dtype=np.int32)
    B = np.zeros(8, np.int32)
    df.build(outer, target="simulator")(A, B)
    np.testing.assert_array_equal(B, A + np.repeat([0, 1], 4))


@pytest.mark.parametrize("mode", ["hw_emu", "csyn"])
def test_vendor_modes_write_the_project_and_refuse_to_run_without_vitis(tmp_path, mode):
    import shutil

    if shutil.which("vitis_hls"):
        pytest.skip("Vitis is installed: the vendor mode would run for real")
    mod = df.build(pc_top, target="vitis_hls", mode=mode, project=str(tmp_path / "p.prj"))
    assert "#pragma HLS dataflow" in mod.hls_code
    assert (tmp_path / "p.prj" / "kernel.cpp").exists()
    with pytest.raises(allo.AlloError, match="vitis_hls, which is not on PATH"):
        mod(np.zeros((M, N), np.int32), np.zeros((M, N), np.int32))


# ---------------------------------------------------------------- streams of blocks in HLS
@df.region()
def blocks(A: int32[4, 3], B: int32[4, 3]):
    pipe: Stream[int32[2, 3], 2]

    @df.kernel(mapping=[1], args=[A])
    def producer(a: int32[4, 3]):
        for i in range(2):
            blk: int32[2, 3] = 0
            for m, n in allo.grid(2, 3):
                blk[m, n] = a[i * 2 + m, n]
            pipe.put(blk)

    @df.kernel(mapping=[1], args=[B])
    def consumer(b: int32[4, 3]):
        for i in range(2):
            blk: int32[2, 3] = pipe.get()
            for m, n in allo.grid(2, 3):
                b[i * 2 + m, n] = blk[m, n] * 2


def test_stream_of_blocks_moves_hls_vectors_and_runs_in_csim(tmp_path):
    mod = df.build(blocks, target="vitis_hls", mode="csim", project=str(tmp_path / "b.prj"))
    code = mod.hls_code
    assert "hls::stream< hls::vector< int32_t, 6 > > pipe" in code
    assert "#pragma HLS stream variable=pipe depth=2" in code  # depth counts blocks
    assert code.count("pipe.write(pipe_blk);") == 1 and "= pipe.read();" in code
    A = np.arange(12, dtype=np.int32).reshape(4, 3)
    B = np.zeros_like(A)
    mod(A, B)
    np.testing.assert_array_equal(B, 2 * A)


# ---------------------------------------------------------------- the older region style
@df.region()
def implicit():
    pipe: Stream[int32, 2]

    @df.kernel(mapping=[1])
    def producer(A: int32[8]):
        for i in range(8):
            pipe.put(A[i])

    @df.kernel(mapping=[1])
    def consumer(B: int32[8]):
        for i in range(8):
            B[i] = pipe.get() - 1


def test_region_without_parameters_takes_its_kernels_parameters():
    s = df.customize(implicit)
    assert [p.name for p in s.ir.top_func.params] == ["A", "B"]
    A = np.arange(8, dtype=np.int32)
    B = np.zeros(8, np.int32)
    df.build(implicit, target="simulator")(A, B)
    np.testing.assert_array_equal(B, A - 1)


@df.region()
def looped(A: int32[4], B: int32[4]):
    lanes: Stream[int32, 2][4]
    ends: Stream[int32, 2][2]

    @df.kernel(mapping=[1], args=[A])
    def scatter(a: int32[4]):
        for i in range(4):
            lanes[i].put(a[i])  # a loop index: the whole array is passed
        ends[0].put(a[0])

    @df.kernel(mapping=[1], args=[B])
    def gather(b: int32[4]):
        for i in range(4):
            b[i] = lanes[3 - i].get()
        b[0] += ends[1 - 1].get() * 0


def test_stream_arrays_indexed_by_loop_variables_are_passed_whole():
    s = df.customize(looped)
    scatter = s.ir.funcs["scatter_0"]
    assert [p.name for p in scatter.params] == ["a", "lanes", "ends_0"]
    assert [p.name for p in s.ir.funcs["gather_0"].params] == ["b", "lanes", "ends_0"]
    A = np.array([5, 6, 7, 8], np.int32)
    B = np.zeros(4, np.int32)
    df.build(looped, target="simulator")(A, B)
    np.testing.assert_array_equal(B, A[::-1])
