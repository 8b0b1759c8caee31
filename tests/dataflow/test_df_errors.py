"""User mistakes in allo.dataflow designs: located AlloErrors with hints."""

import numpy as np
import pytest

import allo
import allo.dataflow as df
from allo.ir.types import Stream, int32


def build_error(region) -> allo.AlloError:
    with pytest.raises(allo.AlloError) as e:
        df.build(region, target="simulator")
    return e.value


def test_get_on_an_undeclared_stream():
    @df.region()
    def top(A: int32[4]):
        @df.kernel(mapping=[1], args=[A])
        def k(a: int32[4]):
            for i in range(4):
                a[i] = missing.get()  # noqa: F821

    e = build_error(top)
    assert "'missing' is not defined" in str(e)
    assert e.loc is not None and "missing.get()" in e.loc.text and e.hint


def test_mapping_and_pid_unpacking_disagree():
    @df.region()
    def top(A: int32[4]):
        @df.kernel(mapping=[4], args=[A])
        def k(a: int32[4]):
            i, j = df.get_pid()
            a[i] = j

    e = build_error(top)
    assert "mapping [4] (1 dimension(s)) but unpacks 2 pid(s)" in str(e)
    assert "df.get_pid()" in e.loc.text and "mapping=" in e.hint


def test_scalar_in_args_is_refused():
    @df.region()
    def top(n: int32, out: int32[1]):
        @df.kernel(mapping=[1], args=[n, out])
        def k(s: int32, o: int32[1]):
            o[0] = s

    e = build_error(top)
    assert "scalar 'n' cannot be passed to a df.kernel" in str(e)
    assert "args=[n, out]" in e.loc.text and "one-element array" in e.hint


def test_args_length_mismatch():
    @df.region()
    def top(A: int32[4], B: int32[4]):
        @df.kernel(mapping=[1], args=[A, B])
        def k(a: int32[4]):
            a[0] = 1

    assert "takes 1 parameter(s) but args= lists 2" in str(build_error(top))


def test_kernel_parameter_type_must_match_its_argument():
    @df.region()
    def top(A: int32[4]):
        @df.kernel(mapping=[1], args=[A])
        def k(a: int32[8]):
            a[0] = 1

    e = build_error(top)
    assert "'a: int32[8]' is bound to region argument 'A: int32[4]'" in str(e)


def test_statements_other_than_streams_and_kernels_are_refused():
    @df.region()
    def top(A: int32[4]):
        A[0] = 1

        @df.kernel(mapping=[1], args=[A])
        def k(a: int32[4]):
            a[0] = 1

    e = build_error(top)
    assert "may contain only stream declarations" in str(e) and "A[0] = 1" in e.loc.text


def test_a_non_stream_declaration_in_the_region():
    @df.region()
    def top(A: int32[4]):
        buf: int32[4]

        @df.kernel(mapping=[1], args=[A])
        def k(a: int32[4]):
            a[0] = 1

    assert "must be a stream" in str(build_error(top))


def test_an_unknown_target_and_a_plain_function():
    @df.region()
    def top(A: int32[4]):
        @df.kernel(mapping=[1], args=[A])
        def k(a: int32[4]):
            a[0] = 1

    with pytest.raises(allo.AlloError, match="unknown dataflow build target 'gpu'"):
        df.build(top, target="gpu")

    def plain(A: int32[4]):
        A[0] = 1

    with pytest.raises(allo.AlloError, match="decorated with @df.region"):
        df.build(plain, target="simulator")
    with pytest.raises(allo.AlloError, match="only inside a @df.kernel"):
        df.get_pid()


def test_block_stream_read_into_a_scalar_is_refused():
    @df.region()
    def top(A: int32[4], B: int32[4]):
        pipe: Stream[int32[4], 2]

        @df.kernel(mapping=[1], args=[A])
        def p(a: int32[4]):
            pipe.put(a)

        @df.kernel(mapping=[1], args=[B])
        def c(b: int32[4]):
            x: int32 = pipe.get()
            b[0] = x

    e = build_error(top)
    assert "'pipe' carries blocks of shape [4], not a scalar" in str(e)
    assert "pipe.get()" in e.loc.text and "int32[4]" in e.hint


def test_streams_of_blocks_move_whole_blocks():
    @df.region()
    def top(A: int32[2, 4], B: int32[2, 4]):
        pipe: Stream[int32[4], 1]

        @df.kernel(mapping=[1], args=[A])
        def p(a: int32[2, 4]):
            for r in range(2):
                blk: int32[4] = 0
                for x in range(4):
                    blk[x] = a[r, x]
                pipe.put(blk)

        @df.kernel(mapping=[1], args=[B])
        def c(b: int32[2, 4]):
            for r in range(2):
                blk: int32[4] = pipe.get()
                for x in range(4):
                    b[r, x] = blk[3 - x]

    A = np.arange(8, dtype=np.int32).reshape(2, 4)
    for target in ("simulator", "llvm"):
        B = np.zeros((2, 4), np.int32)
        df.build(top, target=target)(A, B)
        np.testing.assert_array_equal(B, A[:, ::-1])
    pipe = df.customize(top).ir.top_func.body[0]
    assert pipe.type.dtype.depth == 4 and pipe.type.dtype.block == (4,)
    assert repr(pipe.type.dtype) == "Stream[int32[4], 1]"


def test_stream_get_in_a_conditional_expression_is_refused():
    # regression: `s.get() if c else t.get()` became a select, which popped both FIFOs
    @df.region()
    def top(A: int32[4], B: int32[4]):
        s: Stream[int32, 4]
        t: Stream[int32, 4]

        @df.kernel(mapping=[1], args=[A])
        def p(a: int32[4]):
            for i in range(4):
                s.put(a[i])
                t.put(-a[i])

        @df.kernel(mapping=[1], args=[B])
        def c(b: int32[4]):
            for i in range(4):
                b[i] = s.get() if i % 2 == 0 else t.get()

    e = build_error(top)
    assert "would be read whichever way the condition goes" in str(e)
    assert "s.get()" in e.loc.text and "if statement" in e.hint


def test_a_kernel_that_returns_a_value_is_refused():
    @df.region()
    def top(A: int32[4]):
        @df.kernel(mapping=[1], args=[A])
        def k(a: int32[4]) -> int32:
            return a[0]

    e = build_error(top)
    assert "returns a value" in str(e) and "args=" in e.hint
