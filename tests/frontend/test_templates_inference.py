"""Template bounds (constrained, bounded, value, bare) and instantiation from the argument
types at a call (``stage(A, B)``), in both spellings; misuse gives a located error."""

import numpy as np
import pytest

import allo
from allo.errors import AlloTypeError
from allo.ir.types import int8, int32
from py312 import run_py312


@allo.template("T", "N")
def double(A: "T[N]", B: "T[N]"):
    for i in range(N):
        B[i] = A[i] * 2


def calls_double(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    double(A, B)  # instantiated as double[int32, 4] from the argument types
    return B


def test_call_without_arguments_instantiates_from_types():
    s = allo.customize(calls_double)
    assert list(s.ir.funcs) == ["calls_double", "double_0"]
    assert s.ir.funcs["double_0"].attrs["instance_args"] == [int32, 4]
    a = np.arange(4, dtype=np.int32)
    assert (s.build()(a) == 2 * a).all()
    s.compose(allo.customize(double, instantiate=[int32, 4]))
    assert s.verify()


def disagreeing_sizes(A: int32[4]) -> int32[4]:
    B: int32[5] = 0
    double(A, B)
    return A


def test_disagreeing_arguments_are_a_located_error():
    with pytest.raises(AlloTypeError) as err:
        allo.customize(disagreeing_sizes)
    msg = str(err.value)
    assert "'N' of 'double' is 4 by one argument but 5 by argument 2" in msg
    assert "test_templates_inference.py" in msg and "double(A, B)" in msg


@allo.template("T", "N")
def from_size(A: "T[N + 1]"):
    pass


def calls_from_size(A: int8[5]):
    from_size(A)


def test_parameter_only_in_an_expression_is_not_inferred():
    with pytest.raises(AlloTypeError, match="cannot infer template parameter.* N of 'from_size'"):
        allo.customize(calls_from_size)


def test_pep695_bounds_and_inference(tmp_path):
    run_py312(tmp_path, '''
        import numpy as np
        import allo
        from allo.errors import AlloTypeError
        from allo.ir.types import Int, float32, int8, int32

        def stage[T: (float32, int32), N: int32](A: "T[N]", B: "T[N]"):
            for i in range(N):
                B[i] = A[i] + 1

        def top(A: float32[4]) -> float32[4]:
            B: float32[4] = 0.0
            stage(A, B)
            return B

        s = allo.customize(top)
        a = np.arange(4, dtype=np.float32)
        assert (s.build()(a) == a + 1).all()
        assert s.verify()

        def bad_top(A: int8[4]) -> int8[4]:
            B: int8[4] = 0
            stage(A, B)
            return B

        try:
            allo.customize(bad_top)
        except AlloTypeError as e:
            assert "must be one of (float32, int32), but int8" in str(e), e
            assert "stage(A, B)" in str(e), e  # located at the call
        else:
            raise AssertionError("int8 is not one of the constraints")

        def widen[T: Int, U: Int, N](A: "T[N]") -> "U[N]":
            B: U[N] = 0
            for i in range(N):
                B[i] = A[i]
            return B

        w = allo.customize(widen, instantiate=[int8, int32, 3])
        assert (w.build()(np.array([-1, 2, 3], np.int8)) == [-1, 2, 3]).all()
        try:
            allo.customize(widen, instantiate=[float32, int32, 3])
        except AlloTypeError as e:
            assert "must be a type of kind Int, but float32" in str(e), e
        else:
            raise AssertionError("float32 is not an Int")

        # annotations are evaluated at customize(), so a size changed after the def counts
        SIZE = 2
        def sized(A: int32[SIZE]) -> int32[SIZE]:
            return A
        SIZE = 3
        assert allo.customize(sized).ir.top_func.params[0].type == int32[3]
        print("ok")
    ''')


def test_pep695_kind_constraints_and_attribute_only_parameters(tmp_path):
    run_py312(tmp_path, '''
        import numpy as np
        import allo
        from allo.errors import AlloTypeError
        from allo.ir.types import Fixed, Float, Int, UInt, float32, int32

        def add[T0, T1: Int, T2: (Float, Int), M: int32](A: "T0[M]", B: "T1[M]") -> "T2[M]":
            C: T2[M] = 0
            for i in range(M):
                C[i] = A[i] + B[i]
            return C

        s = allo.customize(add, instantiate=[float32, int32, float32, 4])
        a, b = np.arange(4, dtype=np.float32) / 2, np.arange(4, dtype=np.int32)
        np.testing.assert_allclose(s.build()(a, b), a + b)
        s.split("i", 2)
        assert s.verify()
        allo.customize(add, instantiate=[float32, int32, Int(9), 4])  # an Int is a kind member
        try:
            allo.customize(add, instantiate=[float32, int32, Fixed(8, 2), 4])
        except AlloTypeError as e:
            assert "must be one of (Float, Int), but Fixed(8, 2)" in str(e), e
        else:
            raise AssertionError("Fixed is neither a Float nor an Int")

        def widths[Ty]() -> int32:
            A: int32 = Ty.bits
            B: UInt(Ty.bits + 2) = 0
            C: UInt(Ty.fracs + 3) = 1
            return A + B + C

        assert allo.customize(widths, instantiate=[Int(7)]).build()() == 8
        assert allo.customize(widths, instantiate=[Fixed(12, 4)]).build()() == 13
        print("ok")
    ''')
