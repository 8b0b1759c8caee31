"""``.bitcast()``, dynamic bit slices (read and write) and ``.reverse()``: the same results
on the interpreter, LLVM and C simulation, equal to numpy references, verified schedules,
and located errors for misuse."""

import ml_dtypes
import numpy as np
import pytest

import allo
from allo.errors import AlloError
from allo.ir.types import (Fixed, bfloat16, float16, float32, float64, int16, int32, int64, uint8,
                           uint16, uint32)


def u32_to_f32(A: uint32[6]) -> float32[6]:
    B: float32[6]
    for i in range(6):
        B[i] = A[i].bitcast()
    return B


def f32_to_i32(A: float32[6]) -> int32[6]:
    B: int32[6]
    for i in range(6):
        B[i] = A[i].bitcast()
    return B


def low_half_to_f16(A: int32[6]) -> float16[6]:
    B: float16[6]
    for i in range(6):
        B[i] = A[i][0:16].bitcast()
    return B


def f64_to_u64_explicit(A: float64[6]) -> uint32[6]:
    B: uint32[6]
    for i in range(6):
        w: uint32 = A[i].bitcast(int64)[32:64]
        B[i] = w
    return B


def bf16_bits(A: bfloat16[6]) -> uint16[6]:
    B: uint16[6]
    for i in range(6):
        B[i] = A[i].bitcast(uint16)
    return B


def dyn_bits(A: int32, B: int32[11]):
    for i in range(1, 12):
        B[i - 1] = A[i - 1 : i]


def dyn_field(A: uint32[6], lo: int32, hi: int32) -> uint32[6]:
    B: uint32[6]
    for i in range(6):
        B[i] = A[i][lo:hi]
    return B


def dyn_set(A: int32[6], lo: int32, hi: int32, v: int32) -> int32[6]:
    B: int32[6]
    for i in range(6):
        b: int32 = A[i]
        b[lo:hi] = v
        B[i] = b
    return B


def rev8(A: uint8[6]) -> uint8[6]:
    B: uint8[6]
    for i in range(6):
        B[i] = A[i].reverse()
    return B


NAN_PAYLOAD = np.array([0x7FC00001], np.uint32).view(np.float32)[0]
F32 = np.array([1.0, -0.0, np.inf, np.nan, NAN_PAYLOAD, 3.5e-42], np.float32)
U32 = np.array([0x3F800000, 0x7FC00001, 0xFFFFFFFF, 0x80000000, 1, 0x12345678], np.uint32)
I32 = np.array([0x3C00, 0x12347E01, -1, 100, -32768, 0x7FFF], np.int32)


def _canon32(a):
    bits = a.view(np.uint32).copy()
    bits[np.isnan(a)] = 0x7FC00000  # every NaN reads as the canonical quiet NaN
    return bits


def _field(a, lo, hi):
    return (a.astype(np.uint64) >> lo) & ((1 << (hi - lo)) - 1)


CASES = [
    (u32_to_f32, (U32,), lambda A: A.view(np.float32)),
    (f32_to_i32, (F32,), lambda A: _canon32(A).view(np.int32)),
    (low_half_to_f16, (I32,), lambda A: A.astype(np.int16).view(np.float16)),
    (f64_to_u64_explicit, (F32.astype(np.float64),),
     lambda A: np.where(np.isnan(A), 0x7FF80000, A.view(np.uint64) >> 32).astype(np.uint32)),
    (bf16_bits, (np.array([1, -2, 0.5, np.inf, np.nan, -0.0], ml_dtypes.bfloat16),),
     lambda A: np.where(np.isnan(A.astype(np.float32)), 0x7FC0, A.view(np.uint16)).astype(np.uint16)),
    (dyn_field, (U32, 4, 20), lambda A, lo, hi: _field(A, lo, hi).astype(np.uint32)),
    (dyn_field, (U32, 0, 32), lambda A, lo, hi: A),
    (dyn_set, (I32, 4, 12, 0x5A5), lambda A, lo, hi, v: ((A.view(np.uint32) & ~np.uint32(0xFF0))
                                                        | np.uint32((v << 4) & 0xFF0)).view(np.int32)),
    (rev8, (np.array([1, 2, 128, 255, 0, 0x0F], np.uint8),),
     lambda A: np.array([int(f"{x:08b}"[::-1], 2) for x in A], np.uint8)),
]


def _bits(a):
    a = np.asarray(a)
    return a.view(f"u{a.dtype.itemsize}").tolist()


@pytest.mark.parametrize("kernel,args,ref", CASES, ids=[f"{c[0].__name__}{k}" for k, c in enumerate(CASES)])
def test_backends_agree_bit_for_bit_with_numpy(kernel, args, ref):
    s = allo.customize(kernel)
    want = _bits(ref(*args))
    assert _bits(s.build(target="interp")(*args)) == want
    assert _bits(s.build(target="llvm")(*args)) == want


def test_dynamic_bit_index_and_slice():
    B = np.zeros(11, np.int32)
    allo.customize(dyn_bits).build()(1234, B)
    assert bin(1234) == "0b" + "".join(str(b) for b in B[::-1])


def test_csim_agrees(tmp_path):
    from allo.backends.hls.csim import compiler

    try:
        compiler()
    except Exception:  # noqa: BLE001
        pytest.skip("no C++ compiler for C simulation")
    for k, (kernel, args, ref) in enumerate(CASES):
        s = allo.customize(kernel)
        want = np.asarray(ref(*args))
        out = np.zeros(want.shape, want.dtype)
        s.build(target="vitis_hls", mode="csim", project=str(tmp_path / f"p{k}.prj"))(*args, out)
        assert _bits(out) == _bits(want), kernel.__name__
    code = allo.customize(u32_to_f32).build(target="vhls").hls_code
    assert "union" in code and "uint32_t" in code


def test_schedules_of_bit_kernels_verify():
    for kernel in (f32_to_i32, dyn_set, rev8):
        s = allo.customize(kernel)
        s.split("i", 2)
        assert s.verify()


def test_verify_tells_bitcast_from_cast():
    def as_cast(A: float32[6]) -> int32[6]:
        B: int32[6]
        for i in range(6):
            B[i] = A[i]
        return B

    v = allo.verify(allo.customize(f32_to_i32), allo.customize(as_cast))
    assert v.status == "not equivalent"


def _error(fn):
    with pytest.raises(AlloError) as e:
        allo.customize(fn)
    return str(e.value)


def test_width_mismatch_is_a_located_error():
    def k(a: int32) -> float64:
        return a.bitcast(float64)

    msg = _error(k)
    assert "widths differ" in msg and "a.bitcast(float64)" in msg


def test_bitcast_without_a_float_of_that_width():
    def k(a: int32) -> int32:
        b: int32 = a[0:24].bitcast()
        return b

    assert "no float type has the 24 bits" in _error(k)


def test_reverse_of_a_float_is_refused():
    def k(a: float32) -> float32:
        return a.reverse()

    assert "needs an integer" in _error(k)


def test_float_slice_bounds_are_refused():
    def k(a: int32, f: float32) -> int32:
        return a[f:8]

    assert "bounds must be integers" in _error(k)


def fixed_shifts(A: Fixed(8, 3)[2]) -> float32[2]:
    shl: Fixed(25, 10) = A[0] << 2
    shr: Fixed(25, 10) = A[1] >> 2
    res: float32[2] = 0.0
    res[0] = float(shl)
    res[1] = float(shr)
    return res


def fixed_raw(A: Fixed(12, 4)[3]) -> int16[3]:
    B: int16[3]
    for i in range(3):
        B[i] = A[i].bitcast()
    return B


def test_fixed_shift_moves_raw_bits_within_the_type(tmp_path):
    # 5.375 is raw 43 in Fixed(8, 3): << 2 wraps to raw -84 (-10.5); >> 2 is raw 10 (1.25)
    A = np.array([5.375, 5.375])
    s = allo.customize(fixed_shifts)
    for target in ("interp", "llvm"):
        assert s.build(target=target)(A).tolist() == [-10.5, 1.25]
    s2 = allo.customize(fixed_raw)
    assert s2.build()(np.array([1.5, -2.25, 100.0])).tolist() == [24, -36, 1600]
    from allo.backends.hls.csim import compiler

    try:
        compiler()
    except Exception:  # noqa: BLE001
        return
    out = np.zeros(2, np.float32)
    s.build(target="vitis_hls", mode="csim", project=str(tmp_path / "f.prj"))(A, out)
    assert out.tolist() == [-10.5, 1.25]
    raw = np.zeros(3, np.int16)
    s2.build(target="vitis_hls", mode="csim", project=str(tmp_path / "g.prj"))(
        np.array([1.5, -2.25, 100.0]), raw)
    assert raw.tolist() == [24, -36, 1600]
