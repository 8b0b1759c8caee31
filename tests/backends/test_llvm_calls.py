"""Build options and keyword arguments of LLVM-built modules."""

import allo
import numpy as np
import pytest

from allo.errors import AlloError, CallError
from allo.ir.types import float32, int8, int32


def k(A: int32[4], B: float32[2, 2], c: int8) -> int32[4]:
    C: int32[4] = 0
    for i in range(4):
        C[i] = A[i] + c + int(B[0, 0])
    return C


A, B = np.arange(4, dtype=np.int32), np.ones((2, 2), np.float32)


def test_unknown_build_option_is_an_allo_error_naming_the_valid_ones():
    s = allo.customize(k)
    with pytest.raises(AlloError) as err:
        s.build(target="llvm", foo=1)
    assert "'foo'" in str(err.value) and "fma" in str(err.value) and "fast_math" in str(err.value)
    assert s.build(target="llvm", fma=True)(A, B, 1).tolist() == [2, 3, 4, 5]


def test_keyword_arguments_match_parameter_names():
    mod = allo.customize(k).build()
    expect = mod(A, B, 3).tolist()
    assert mod(A=A, B=B, c=3).tolist() == expect
    assert mod(A, c=3, B=B).tolist() == expect


@pytest.mark.parametrize("args, kwargs, words", [
    ((), {"A": A, "B": B, "x": 3}, ["'x'", "(A, B, c)"]),
    ((A,), {"A": A, "B": B, "c": 3}, ["'A'", "several values"]),
    ((), {"A": A, "c": 3}, ["missing", "'B'"]),
])
def test_bad_keyword_arguments_are_call_errors_naming_the_parameters(args, kwargs, words):
    mod = allo.customize(k).build()
    with pytest.raises(CallError) as err:
        mod(*args, **kwargs)
    for w in words:
        assert w in str(err.value)
