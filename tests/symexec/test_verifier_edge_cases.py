"""Regressions from the verifier review: float64 search, NaN/inf witnesses, special-value
trials, IR validation at every entry, option checking, identical programs, issue labels."""

import numpy as np
import pytest
import z3
from irb import V, c, func, ld, loop, module, op, st

import allo
from allo.backends.llvm import build as llvm_build
from allo.errors import AlloError, VerificationError
from allo.ir.nodes import Alloc, Op
from allo.ir.types import Fixed, float16, float32, float64, index, int8, int32
from allo.ir.verifier import IRError
from allo.backends.interp import Interpreter
from allo.symexec import check_equivalence, verify
from allo.symexec.dag import Dag
from allo.symexec.equiv import structural_key
from allo.symexec.replay import SPECIAL_TRIALS, random_value, special_value
from allo.symexec.z3_encode import Encoder


def _not_equivalent(v):
    assert v.status == "not equivalent", v.report()
    cex = v.counterexample
    assert cex is not None and cex.output
    return cex


# ------------------------------------------------------------------ 1. float64
def exp_f64(A: float64[2]) -> float64[2]:
    B: float64[2] = 0.0
    for i in range(2):
        B[i] = allo.exp(A[i])
    return B


def exp_f64_plus_zero(A: float64[2]) -> float64[2]:
    B: float64[2] = 0.0
    for i in range(2):
        B[i] = allo.exp(A[i] + 0.0)
    return B


def twice_f64(A: float64[2]) -> float64[2]:
    B: float64[2] = 0.0
    for i in range(2):
        B[i] = A[i] * 2.0
    return B


def doubled_f64(A: float64[2]) -> float64[2]:
    B: float64[2] = 0.0
    for i in range(2):
        B[i] = A[i] + A[i]
    return B


def plus_zero_f64(A: float64[2]) -> float64[2]:
    B: float64[2] = 0.0
    for i in range(2):
        B[i] = A[i] + 0.0
    return B


def ident_f64(A: float64[2]) -> float64[2]:
    B: float64[2] = 0.0
    for i in range(2):
        B[i] = A[i]
    return B


def test_random_float64_raw_patterns_do_not_overflow_int64():
    rng = np.random.default_rng(0)
    values = [random_value(float64, rng, 3) for _ in range(50)]  # trial 3: raw bit patterns
    assert all(isinstance(v, np.float64) for v in values)
    assert len({float(v) for v in values if v == v}) > 40


def test_float64_verify_runs_the_full_random_search():
    # exp(x) == exp(x + 0.0) for every x (-0.0 + 0.0 is +0.0 and exp(+-0) = 1): no trial
    # finds a difference, so every random trial (raw 64-bit patterns included) runs
    v = allo.verify(exp_f64, exp_f64_plus_zero)
    assert v.status in ("equivalent", "unknown"), v.report()
    assert v.status != "not equivalent"


def test_float64_verdicts():
    assert allo.verify(twice_f64, doubled_f64)  # x * 2 == x + x, bit-exactly, in IEEE
    cex = _not_equivalent(allo.verify(plus_zero_f64, ident_f64))
    assert np.signbit(cex.value_b) and cex.value_a == 0.0  # only -0.0 separates them


# ------------------------------------------------------------------ 2. NaN / inf witnesses
def self_minus(A: float32[2]) -> float32[2]:
    B: float32[2] = 0.0
    for i in range(2):
        B[i] = A[i] - A[i]
    return B


def zeros(A: float32[2]) -> float32[2]:
    B: float32[2] = 0.0
    return B


def self_equal(A: float32[2]) -> int32[2]:
    B: int32[2] = 0
    for i in range(2):
        B[i] = 1 if A[i] == A[i] else 0
    return B


def ones(A: float32[2]) -> int32[2]:
    B: int32[2] = 1
    return B


def sum_from_pos_zero(A: float32[4]) -> float32:
    acc: float32 = 0.0
    for i in range(4):
        acc += A[i]
    return acc


def sum_from_neg_zero(A: float32[4]) -> float32:
    acc: float32 = -0.0
    for i in range(4):
        acc += A[i]
    return acc


def fixed_via_half(A: Fixed(32, 4)[2]) -> float32[2]:
    B: float32[2] = 0.0
    for i in range(2):
        t: float16 = A[i]
        B[i] = t
    return B


def fixed_direct(A: Fixed(32, 4)[2]) -> float32[2]:
    B: float32[2] = 0.0
    for i in range(2):
        B[i] = A[i]
    return B


def test_z3_nan_model_becomes_a_nan_input():
    # no concrete search at all: only a NaN/inf from the z3 model separates these
    for a, b in ((self_minus, zeros), (self_equal, ones)):
        v = allo.verify(a, b, random_trials=0)
        cex = _not_equivalent(v)
        assert "z3" in v.method
        x = float(cex.inputs["A"][cex.index])
        assert np.isnan(x) or np.isinf(x)


def test_encoder_model_value_of_nan_and_infinity():
    dag = Dag("exact")
    leaves = [dag.input("A", k, t) for k, t in enumerate((float32, float64, float16, float32))]
    enc = Encoder(dag)
    xs = [enc.term(n) for n in leaves]
    solver = z3.Solver()
    solver.add(z3.fpIsNaN(xs[0]), z3.fpIsNaN(xs[1]), z3.fpIsInf(xs[2]), z3.fpIsNegative(xs[2]),
               z3.fpIsInf(xs[3]), z3.fpIsPositive(xs[3]))
    assert solver.check() == z3.sat
    got = [enc.model_value(solver.model(), n) for n in leaves]
    assert np.isnan(got[0]) and np.isnan(got[1])  # fpToIEEEBV alone would give 0.0 here
    assert got[2] == -np.inf and got[3] == np.inf
    assert [type(g) for g in got[:3]] == [np.float32, np.float64, np.float16]


def test_special_value_trials_find_nan_inf_and_signed_zero_differences():
    pairs = ((self_minus, zeros), (self_equal, ones), (sum_from_pos_zero, sum_from_neg_zero),
             (fixed_via_half, fixed_direct))
    for a, b in pairs:
        v = allo.verify(a, b, timeout_ms=2000)
        _not_equivalent(v)
        assert "random concrete search" in v.method, v.report()
    v = allo.verify(sum_from_pos_zero, sum_from_neg_zero)
    assert all(np.signbit(x) for x in v.counterexample.inputs["A"])  # all -0.0


def test_special_values_cover_the_ieee_corner_cases():
    vals = [special_value(float32, k) for k in range(SPECIAL_TRIALS)]
    assert any(np.isnan(v) for v in vals)
    assert {float(v) for v in vals if np.isinf(v)} == {np.inf, -np.inf}
    zeros_ = [v for v in vals if v == 0]
    assert sorted(bool(np.signbit(v)) for v in zeros_) == [False, True]
    assert np.finfo(np.float32).max in vals
    ints = [special_value(int8, k) for k in range(SPECIAL_TRIALS)]
    assert {0, 1, -1, 127, -128} <= set(ints)


# ------------------------------------------------------------------ 3. IR validation
def _add_one(const_type=int32):
    i = V("i")
    body = [loop("i", 2, [st("B", [i], Op("add", (ld("A", int32, i), c(1, const_type)), int32))])]
    return module(func("f", [("A", int32[2]), ("B", int32[2])], body))


def test_ill_typed_ir_is_never_equivalent():
    bad, good = _add_one(int8), _add_one()  # int32 + int8 const: operand types differ
    for a, b, label in ((bad, bad, "A"), (bad, bad.copy(), "A"), (good, bad, "B")):
        v = verify(a, b)
        assert v.status == "unknown" and v.method == "IR verification", v.report()
        assert f"program {label} is ill-formed IR" in v.reason and "add" in v.reason
    assert verify(good, good.copy())


def test_interpreter_and_llvm_refuse_ill_typed_ir():
    bad = _add_one(int8)
    with pytest.raises(IRError, match="add"):
        Interpreter(bad)
    with pytest.raises(IRError, match="add"):
        llvm_build(bad)
    A, B = np.array([1, 2], np.int32), np.zeros(2, np.int32)
    Interpreter(_add_one())(A, B)
    assert list(B) == [2, 3]
    assert issubclass(IRError, AlloError)


# ------------------------------------------------------------------ 4. options
def test_bad_options_raise_verification_error():
    m = _add_one()
    with pytest.raises(VerificationError, match="'foo'") as err:
        verify(m, m, foo=1)
    assert "fp" in str(err.value) and "max_ops" in str(err.value)
    with pytest.raises(VerificationError, match="fp='fast'"):
        check_equivalence(m, m, fp="fast")
    for bad in ({"random_trials": -1}, {"max_ops": 0}, {"seed": 1.5}, {"progress": "yes"}):
        with pytest.raises(VerificationError, match=next(iter(bad))):
            verify(m, m, **bad)
    with pytest.raises(VerificationError, match="fp='fast'"):
        allo.customize(ident_f64).verify(fp="fast")
    assert isinstance(VerificationError("x"), AlloError)


# ------------------------------------------------------------------ 5. identical programs
def _data_dependent_bound(pipeline=None):
    i = V("i")
    n = ld("N", index, c(0))  # the trip count is an input: not SICF
    attrs = {} if pipeline is None else {"pipeline": pipeline}
    body = [loop("i", n, [st("B", [i], ld("A", int32, i))], **attrs)]
    return module(func("f", [("N", index[1]), ("A", int32[4]), ("B", int32[4])], body))


def test_identical_programs_are_equivalent_without_symbolic_execution():
    m = _data_dependent_bound()
    for other in (m, m.copy(), _data_dependent_bound()):
        v = verify(m, other)
        assert v.status == "equivalent" and v.method == "identical programs", v.report()
    v = verify(m, _data_dependent_bound(pipeline=1))  # differs in a loop attribute only
    assert v.status == "unknown" and "not SICF" in v.reason


def copy_first_n(N: int32[1], A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    i: int32 = 0
    while i < N[0]:
        B[i] = A[i]
        i += 1
    return B


def test_hls_gate_accepts_an_unscheduled_data_dependent_design():
    from allo.backends.hls.gate import require_equivalent

    s = allo.customize(copy_first_n)
    assert s.verify().method == "identical programs"
    assert require_equivalent(s)  # used to refuse: the while loop is not SICF ("unknown")


def test_structural_key_sees_constant_tables_and_ignores_locations():
    from allo.errors import SourceLoc

    def table(values):
        i = V("i")
        body = [Alloc("T", int32[2048], np.asarray(values, np.int32)),
                loop("i", 4, [st("B", [i], ld("T", int32, i))])]
        return module(func("f", [("B", int32[4])], body))

    base = np.arange(2048)
    tweaked = base.copy()
    tweaked[1000] = -1  # numpy's repr abbreviates this element away
    assert repr(table(base)) == repr(table(tweaked))
    assert structural_key(table(base)) != structural_key(table(tweaked))
    assert structural_key(table(base)) == structural_key(table(base.copy()))
    moved = table(base)
    moved.top_func.body[1].loc = SourceLoc("k.py", 7)
    assert structural_key(moved) == structural_key(table(base))
    assert verify(table(base), table(tweaked)).status == "equivalent"  # row 1000 is never read
    assert verify(table(base), table(tweaked)).method != "identical programs"


# ------------------------------------------------------------------ 6. issue labels
def _copy_through(index_expr):
    i = V("i")
    body = [loop("i", 4, [st("B", [i], ld("A", int32, index_expr(i)))])]
    return module(func("f", [("A", int32[4]), ("B", int32[4])], body))


def test_out_of_bounds_issue_is_labelled_by_kind():
    # i * i is not affine, so the IR verifier leaves it to the run; i = 2 reads A[4]
    good = _copy_through(lambda i: i)
    bad = _copy_through(lambda i: op("mul", index, i, i))
    v = verify(good, bad)
    assert v.status == "not equivalent", v.report()
    assert v.issues == ["out-of-bounds: program B: the address of a load from 'A' is 4, "
                        "outside [0, 4)"]
    report = v.report()
    assert "\nout-of-bounds: program B:" in report and "stream:" not in report


def test_deadlock_and_fifo_issues_are_labelled_by_kind():
    from designs import fifo_pipeline

    v = verify(fifo_pipeline(direct=True), fifo_pipeline(put_count=5))
    assert v.issues == ["deadlock: program B: read of empty FIFO 'S' (sequential order)"]
    assert "\ndeadlock: program B: read of empty FIFO" in v.report()
    v = verify(fifo_pipeline(direct=True), fifo_pipeline(put_count=6, get_count=5))
    assert v.issues[0] == "leftover: program B: 1 element(s) left in FIFO 'S' at the end"
    assert v.issues[1].startswith("note: overflow: program B: FIFO 'S' holds up to 6")
    assert "stream:" not in v.report()
