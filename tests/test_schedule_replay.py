"""Replay round trip for every primitive (the idea of TVM's trace round-trip tests):
apply it, replay the recorded steps on a fresh schedule of the same kernel, and get the
identical IR (statements, attributes, types and layouts)."""

from __future__ import annotations

import numpy as np
import pytest

import allo
from allo.compose import Step
from allo.errors import ScheduleError
from allo.ir.types import index, int8, int16, int32
from allo.primitives import PRIMITIVES


def gemm(A: int32[4, 4], B: int32[4, 4]) -> int32[4, 4]:
    C: int32[4, 4] = 0
    for i, j, k in allo.grid(4, 4, 4, "S"):
        C[i, j] += A[i, k] * B[k, j]
    return C


def blur(A: int32[10]) -> int32[8]:
    B: int32[8] = 0
    for x in range(8):
        B[x] = A[x] + A[x + 1] + A[x + 2]
    return B


def stages(A: int32[3, 4], C: int32[3, 4]):
    B: int32[3, 4] = 0
    for i, j in allo.grid(3, 4, "S0"):
        B[i, j] = A[i, j] * 3
    for i1, j1 in allo.grid(3, 4, "S1"):
        C[i1, j1] = B[i1, j1] + 1


def systolic(A: int8[3, 2], B: int8[2, 2], C: int16[3, 2]):
    for i, j in allo.grid(3, 2, "PE"):
        for k in range(2):
            C[i, j] += A[i, k] * B[k, j]


def flat(A: int32[16], B: int32[16]):
    T: int32[16] = 0
    for i in range(16):
        T[i] = A[i] + 1
    for i2 in range(16):
        B[i2] = T[i2] * 2


def helper(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i] + 1
    return B


def calls(A: int32[4]) -> int32[4]:
    return helper(A)


def fill4(X: int32[4], Y: int32[4]):
    for i in range(4):
        Y[i] = X[i] + 1


def read4_reversed(Y: int32[4], Z: int32[4]):
    for i in range(4):
        Z[i] = Y[3 - i]


def two_calls(X: int32[4]) -> int32[4]:
    Y: int32[4] = 0
    Z: int32[4] = 0
    fill4(X, Y)
    read4_reversed(Y, Z)
    return Z


def pass_on(x_in: int8[2], x_out: int8[2], acc: int16[2, 2], r: index, c: index):
    for t in range(2):
        v: int8 = x_in[t]
        acc[r, c] += v
        x_out[t] = v


def channels(X: int8[2, 2], acc: int16[2, 2]):
    ch: int8[2, 3, 2]
    for t in range(2, name="fill"):
        for r in range(2):
            ch[r, 0, t] = X[r, t]
    for r, c in allo.grid(2, 2, "PE"):
        pass_on(ch[r, c], ch[r, c + 1], acc, r, c)
    sink: int8[2]
    for t in range(2, name="drain"):
        for r in range(2):
            sink[r] = ch[r, 2, t]


def _channels(s):
    pe = s.unfold("PE", axis=[0, 1])
    s.to(s.ch, pe, axis=1, depth=2)


def _relay(s):
    b = s.buffer_at(s.B, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[3, 2])
    s.relay(b, pe, axis=1, depth=3)


# one schedule per primitive (each applies it, maybe after what it needs first)
CASES = {
    "split": (gemm, lambda s: s.split("i", 3)),
    "reorder": (gemm, lambda s: s.reorder("k", "j")),
    "fuse": (gemm, lambda s: s.fuse("i", "j")),
    "tile": (gemm, lambda s: s.tile("i", "j", 2, 2)),
    "unroll": (gemm, lambda s: s.unroll("k", 2)),
    "pipeline": (gemm, lambda s: s.pipeline("j", initiation_interval=2, rewind=True)),
    "parallel": (gemm, lambda s: s.parallel("i")),
    "compute_at": (stages, lambda s: s.compute_at("S0", "j1")),
    "inline": (calls, lambda s: s.inline("helper")),
    "dataflow": (stages, lambda s: s.dataflow("stages")),
    "buffer_at": (gemm, lambda s: (s.reorder("k", "j"), s.buffer_at(s.C, "i"))),
    "reuse_at": (blur, lambda s: s.reuse_at(s.A, "x")),
    "partition": (gemm, lambda s: s.partition(s.A, partition_type="cyclic", dim=2, factor=2)),
    "reshape": (flat, lambda s: s.reshape(s.T, (4, 4))),
    "to": (stages, lambda s: s.to(s.B, "i1")),
    "unfold": (systolic, lambda s: s.unfold("PE", axis=[0, 1], factor=[3, 2])),
    "relay": (systolic, _relay),
    "stream_channels": (channels, _channels),
    "pingpong": (two_calls, lambda s: s.pingpong(s.Y)),
}


def ir_snapshot(module) -> str:
    """Everything of a module that a primitive may change, as text."""
    from allo.ir.printer import to_mlir

    return to_mlir(module) + "\n" + repr(module.funcs)


def test_every_primitive_has_a_round_trip_case():
    public = {name for name in PRIMITIVES if not name.startswith("_")}
    assert public == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_replay_on_a_fresh_schedule_gives_the_identical_ir(name):
    kernel, schedule = CASES[name]
    s = allo.customize(kernel)
    schedule(s)
    assert name in [step.primitive for step in s.steps]
    fresh = allo.customize(kernel)
    fresh.replay(s.steps)
    assert ir_snapshot(fresh.ir) == ir_snapshot(s.ir)
    assert [c.rule for c in fresh.history] == [c.rule for c in s.history]
    assert ir_snapshot(fresh.ir) != ir_snapshot(allo.customize(kernel).ir)  # it did something


def test_a_refused_replay_leaves_the_schedule_unchanged():
    s = allo.customize(gemm)
    before = ir_snapshot(s.ir)
    with pytest.raises(ScheduleError):
        s.replay([Step("split", {"axis": "i", "factor": 2}), Step("split", {"axis": "nope", "factor": 2})])
    assert ir_snapshot(s.ir) == before and s.history == [] and s.steps == ()


def test_numpy_integers_are_recorded_as_python_integers():
    s = allo.customize(gemm)
    s.split("i", np.int64(2))
    assert s.steps[0].arguments == {"axis": "i", "factor": 2}
    assert type(s.steps[0].arguments["factor"]) is int
