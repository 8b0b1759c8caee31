"""Templates (3.11 decorator, 3.12 PEP 695, nested instances) and name resolution."""

import inspect
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import allo.builtins as allo
from allo.frontend import parse
from allo.ir.nodes import Call, Const, Load, Op, Store, walk_stmts
from allo.ir.types import float32, index, int8, int16, int32
from allo.backends.interp import Interpreter

ALPHA = 3
SIZE = 4


@allo.template("T", "L")
def scale(A: "T[L]") -> "T[L]":
    B: "T[L]" = 0
    for i in range(L):
        B[i] = A[i] * ALPHA
    return B


def uses_instances(A: int32[4], X: float32[8]) -> int32[4]:
    B = scale[int32, 4](A)
    Y = scale[float32, 8](X)
    C = scale[int32, 4](B)
    D = scale[int32, 4, "scale_named"](C)
    return D


def test_top_instantiation():
    m = parse(scale, instantiate=[int16, 6])
    f = m.top_func
    assert m.top == "scale"
    assert f.params[0].type == int16[6] and f.results == [int16[6]]
    assert f.attrs == {"template": "scale", "instance_args": [int16, 6]}
    assert f.loops()[0].hi == Const(6, index)


def test_nested_instances_named_deterministically():
    m = parse(uses_instances)
    calls = [s for s in walk_stmts(m.top_func.body) if isinstance(s, Call)]
    assert [c.callee for c in calls] == ["scale_0", "scale_1", "scale_0", "scale_scale_named"]
    assert m.funcs["scale_1"].params[0].type == float32[8]
    assert m.funcs["scale_scale_named"].attrs["instance_args"] == [int32, 4]
    A = np.arange(4, dtype=np.int32)
    out = Interpreter(m)(A, np.zeros(8, np.float32))
    assert list(out) == list(A * 27)
    assert list(parse(uses_instances).funcs) == list(m.funcs)  # deterministic


def test_pep695_on_python312(tmp_path):
    py312 = shutil.which("python3.12")
    if py312 is None:
        pytest.skip("python3.12 is not installed (.ci/run installs numpy for it where it is)")
    probe = subprocess.run([py312, "-c", "import numpy"], capture_output=True,
                           env={"PYENV_VERSION": "3.12.1", "PATH": "/usr/bin:/bin:" +
                                str(Path(py312).parent)})
    if probe.returncode != 0:
        pytest.skip("python3.12 has no numpy (.ci/run installs it)")
    src = textwrap.dedent('''
        import allo.builtins as allo
        from allo.frontend import parse
        from allo.ir.types import int32, int8, float32

        def kernel[T, M: int32](A: "T[M]") -> "T[M]":
            B: "T[M]" = 0
            for i in range(M):
                B[i] = A[i] + 1
            return B

        def top(A: int8[4]) -> int8[4]:
            return kernel[int8, 4](A)

        m = parse(kernel, instantiate=[float32, 8])
        f = m.top_func
        assert f.params[0].type == float32[8], f.params
        assert f.attrs["template"] == "kernel"
        m2 = parse(top)
        assert list(m2.funcs) == ["top", "kernel_0"], list(m2.funcs)
        try:
            parse(kernel, instantiate=[float32, int8])
        except Exception as e:
            assert "value parameter" in str(e), e
        else:
            raise AssertionError("type given for a value parameter")
        try:
            import llvmlite, z3  # noqa: F401  (.ci/run installs them for python3.12)
        except ImportError:
            print("ok")
            raise SystemExit(0)
        import numpy as np
        import allo

        def square[N: int32](A: float32[N, N]) -> float32[N, N]:  # shape deferred at def
            B: float32[N, N] = 0.0
            for i, j in allo.grid(N, N):
                B[i, j] = A[i, j] * A[i, j]
            return B

        s = allo.customize(square, instantiate=[4])
        s.split("i", 2)
        assert s.verify()
        a = np.arange(16, dtype=np.float32).reshape(4, 4)
        assert (s.build()(a) == a * a).all()
        print("ok")
    ''')
    path = tmp_path / "pep695_kernel.py"
    path.write_text(src)
    root = Path(__file__).resolve().parents[2]
    res = subprocess.run([py312, str(path)], capture_output=True, text=True, timeout=120,
                         env={"PYENV_VERSION": "3.12.1", "PYTHONPATH": str(root),
                              "PATH": "/usr/bin:/bin:" + str(Path(py312).parent)})
    assert res.returncode == 0 and "ok" in res.stdout, res.stderr


# ------------------------------------------------------------------ name resolution
def uses_global(A: int32[SIZE]):
    for i in range(SIZE):
        A[i] = A[i] * ALPHA


def test_globals():
    f = parse(uses_global).top_func
    assert f.params[0].type == int32[4]
    (store,) = [s for s in walk_stmts(f.body) if isinstance(s, Store)]
    mul = store.value.args[0]  # cast(mul(cast(A[i]), 3) : int64) -> int32
    assert mul.op == "mul" and mul.args[1].value == ALPHA


def make_closure(factor: int, n: int):
    def closed(A: int32[n]):
        for i in range(n):
            A[i] = A[i] * factor
    return closed


def test_closure_variables():
    k = make_closure(5, 3)
    m = parse(k)
    assert m.top_func.params[0].type == int32[3]
    A = np.array([1, 2, 3], np.int32)
    Interpreter(m)(A)
    assert list(A) == [5, 10, 15]


def test_caller_frame_resolution():
    rows, beta = 2, 7

    def local_kernel(A: int32[rows]):
        B: int32[rows] = 0   # 'rows' in a local annotation: only the caller frame has it
        for i in range(rows):
            B[i] = A[i] + hidden
            A[i] = B[i]

    hidden = beta  # noqa: F841 - resolved from this frame
    m = parse(local_kernel, caller_frame=inspect.currentframe())
    A = np.array([1, 2], np.int32)
    Interpreter(m)(A)
    assert list(A) == [8, 9]
    m2 = parse(local_kernel)  # default: the frame calling parse
    assert m2.top_func.params[0].type == int32[2]


def helper_kernel(A: int32[4]):
    for i in range(4):
        A[i] += 1


def test_kernel_found_in_caller_frame():
    def outer(A: int32[4]):
        inner_k(A)

    inner_k = helper_kernel
    m = parse(outer)
    assert set(m.funcs) == {"outer", "helper_kernel"}


def test_compile_time_if_on_template_param():
    @allo.template("L")
    def pick(A: "int32[L]"):
        if L > 2:
            A[0] = 1
        else:
            A[0] = 2

    body = parse(pick, [4]).top_func.body
    assert len(body) == 1 and isinstance(body[0], Store) and body[0].value == Const(1, int32)
