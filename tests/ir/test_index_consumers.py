"""The wrapped index ``A[uint8(i)]`` through every consumer of the index analysis.

For ``i`` in ``0 .. 511`` the index takes each value of ``0 .. 255`` twice (``i`` and
``i + 256``): no consumer may read it as the affine index ``i``. Each test below is one
consumer: dependence analysis (parallel), the IR verifier's static ranges, MLIR printing,
the symbolic executor's and the LLVM backend's bounds-check elision, and the memory
primitives' z3 side conditions.
"""

import re

import numpy as np
import pytest
import z3

import allo
from allo.errors import ScheduleError
from allo.ir.index import IndexRanges, index_form, static_index_range
from allo.ir.nodes import Const, For, Func, Load, Module, Op, Param, Store, Var
from allo.ir.printer import to_mlir
from allo.ir.types import index, int32, uint8
from allo.ir.verifier import verify_ir

i = Var("i", index)
WRAPPED = Op("cast", (Op("cast", (i,), uint8),), index)


def c(v):
    return Const(v, index)


def wrapped_gather(n=512):
    """``for i in range(n): B[i] = A[uint8(i)] + 1``."""
    value = Op("add", (Load("A", (WRAPPED,), int32), Const(1, int32)), int32)
    loop = For("i", c(0), c(n), 1, [Store("B", (i,), value)], name="i", band="S_i_0")
    f = Func("k", [Param("A", int32[256]), Param("B", int32[n])], [], [loop])
    return Module({"k": f}, "k")


def expected(a, n=512):
    return (a[np.arange(n) % 256] + 1).astype(np.int32)


def test_dependence_analysis_sees_the_wrap():
    from allo.primitives.deps import collect_accesses
    accesses = collect_accesses(wrapped_gather().top_func.body)
    assert [a.indices for a in accesses if a.buffer == "A"] == [(None,)]
    value = Op("add", (Load("A", (WRAPPED,), int32), Const(1, int32)), int32)
    loop = For("i", c(0), c(512), 1, [Store("A", (WRAPPED,), value)], name="i", band="S_i_0")
    s = allo.Schedule(Module({"k": Func("k", [Param("A", int32[256])], [], [loop])}, "k"))
    with pytest.raises(ScheduleError, match="loop-carried dependence"):
        s.parallel("i")


def test_verifier_ranges_do_not_judge_the_wrapped_index():
    assert static_index_range(WRAPPED, {"i": (0, 511)}) is None
    verify_ir(wrapped_gather())  # read as i, the index would leave A's 256 elements


def test_mlir_prints_the_wrapped_index_as_a_computed_value():
    text = to_mlir(wrapped_gather())
    load = next(line for line in text.splitlines() if "%A[" in line)
    assert "memref.load" in load and "affine.load" not in load
    assert "arith.index_cast %i : index to i8" in text


def test_symbolic_execution_checks_the_wrapped_index_and_reads_it_right():
    from allo.symexec.codegen import ModuleCompiler
    from allo.symexec.dag import Dag
    from allo.symexec.executor import SymbolicExecutor
    dag = Dag()
    unit = ModuleCompiler(wrapped_gather(), dag, SymbolicExecutor(wrapped_gather(), dag))
    unit.function("k")
    load_line = next(l for l in unit.sources["k"].splitlines() if "a load from 'A'" in l)
    assert "X.oob(" in load_line          # not elided: the index is not provably i
    store = next(l for l in unit.sources["k"].splitlines() if "if pc is None:" in l)
    assert re.match(r"\s*if pc is None: _s\d+\[_o\d+ \+ _i\d+\] = ", store)  # B[i]: no check
    s = allo.Schedule(wrapped_gather())
    assert s.verify()


def test_llvm_bounds_elision_keeps_the_check_and_runs_right():
    r = IndexRanges()
    r.bind("i", (0, 511))
    assert r.interval(WRAPPED) is None and not r.within(WRAPPED, 256)
    r.bind("i", (0, 255))
    assert r.within(WRAPPED, 256)
    mod = allo.Schedule(wrapped_gather()).build(target="llvm")
    a = np.arange(256, dtype=np.int32) * 3
    b = np.zeros(512, dtype=np.int32)
    mod(a, b)
    assert np.array_equal(b, expected(a))


def test_memory_primitive_side_conditions_do_not_read_a_wrapped_bound_as_its_operand():
    """Regression: memory_common.index_to_z3 took every integer cast as the identity, so
    the bound uint8(-1) (really 255) read as -1: the loop looked empty and buffer_at's
    "box inside A" held vacuously, although A[i] runs out of A's 16 elements."""
    from allo.primitives.index_z3 import index_term
    hi = Op("cast", (Op("cast", (c(-1),), uint8),), index)
    assert index_form(hi) is None and index_term(hi, {}) is None
    body = [Store("A", (i,), Op("add", (Load("A", (i,), int32), Const(1, int32)), int32))]
    loop = For("i", c(0), hi, 1, body, name="i", band="S_i_0")
    s = allo.Schedule(Module({"k": Func("k", [Param("A", int32[16])], [], [loop])}, "k"))
    with pytest.raises(ScheduleError, match="inside A|leaves the extent"):
        s.buffer_at(s.A, axis="i")
    x = z3.Int("i")
    assert index_term(Op("add", (i, c(1)), index), {"i": x}) is not None
