"""Process instances of a df kernel that differ only in a pid constant stay distinct in
verification (fingerprints encoded once per proof, the proof cache)."""

import allo
import allo.dataflow as df
from allo.ir.types import Stream, int32

M = N = K = 4
P0, P1 = M + 2, N + 2


def make_systolic(wrong_pe: bool):
    # the PE at (4, 4) stores one column to the left when wrong_pe: its function differs
    # from the others only in a constant index
    @df.region()
    def top(A: int32[M, K], B: int32[K, N], C: int32[M, N]):
        fa: Stream[int32, 4][P0, P1]
        fb: Stream[int32, 4][P0, P1]

        @df.kernel(mapping=[P0, P1], args=[A, B, C])
        def pe(a: int32[M, K], b: int32[K, N], c: int32[M, N]):
            i, j = df.get_pid()
            with allo.meta_if(i in {0, M + 1} and j in {0, N + 1}):
                pass
            with allo.meta_elif(j == 0):
                for k in range(K):
                    fa[i, j + 1].put(a[i - 1, k])
            with allo.meta_elif(i == 0):
                for k in range(K):
                    fb[i + 1, j].put(b[k, j - 1])
            with allo.meta_elif(i == M + 1):
                for k in range(K):
                    fb[i, j].get()
            with allo.meta_elif(j == N + 1):
                for k in range(K):
                    fa[i, j].get()
            with allo.meta_else():
                acc: int32 = 0
                for k in range(K):
                    x: int32 = fa[i, j].get()
                    y: int32 = fb[i, j].get()
                    acc += x * y
                    fa[i, j + 1].put(x)
                    fb[i + 1, j].put(y)
                c[i - 1, j - 1 - (i // M) * (j // N) * wrong_pe] = acc

    return top


def gemm(A: int32[M, K], B: int32[K, N], C: int32[M, N]):
    for i, j in allo.grid(M, N):
        acc: int32 = 0
        for k in range(K):
            acc += A[i, k] * B[k, j]
        C[i, j] = acc


def test_a_wrong_pe_differing_in_one_constant_is_still_refuted(tmp_path, monkeypatch):
    # the proof's fingerprints encode each process function once (fixed_objects) and the
    # proof cache is on: the right design's stored proof must not answer for the wrong one
    monkeypatch.setenv("ALLO_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("ALLO_PROOF_CACHE", "1")
    right = allo.verify(make_systolic(False), gemm)
    assert right.status == "equivalent" and right.cache == "stored", right.report()
    verdict = allo.verify(make_systolic(True), gemm)
    assert verdict.status == "not equivalent", verdict.report()
    assert verdict.counterexample is not None
