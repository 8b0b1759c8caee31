"""``s.to(channels, pe, axis=)`` on a local array of channels passed to PE calls as
sub-views (primitive ``stream_channels``, rule ``dataflow.channels``): converted when every
channel is read once, after its write, in write order; refused otherwise, with the pair
of accesses that breaks it."""

from __future__ import annotations

import numpy as np
import pytest

import allo
from allo.errors import ScheduleError
from allo.ir.types import index, int8, int16

R, C, L = 2, 3, 4  # PE rows, PE columns, elements per channel


def pe_forward(x_in: int8[L], x_out: int8[L], acc: int16[R, C], r: index, c: index):
    for t in range(L):
        v: int8 = x_in[t]
        acc[r, c] += v * (r + c + 1)
        x_out[t] = v


def pe_reverse(x_in: int8[L], x_out: int8[L], acc: int16[R, C], r: index, c: index):
    for t in range(L):
        v: int8 = x_in[t]
        acc[r, c] += v * (t + 1)
        x_out[L - 1 - t] = v  # passes the row on reversed: a FIFO would not


def row_chain(X: int8[R, L], acc: int16[R, C]):
    ch: int8[R, C + 1, L]
    for t in range(L, name="fill"):
        for r in range(R):
            ch[r, 0, t] = X[r, t]
    for r, c in allo.grid(R, C, name="PE"):
        pe_forward(ch[r, c], ch[r, c + 1], acc, r, c)
    sink: int8[R]
    for t in range(L, name="drain"):
        for r in range(R):
            sink[r] = ch[r, C, t]


def reversed_chain(X: int8[R, L], acc: int16[R, C]):
    ch: int8[R, C + 1, L]
    for t in range(L, name="fill"):
        for r in range(R):
            ch[r, 0, t] = X[r, t]
    for r, c in allo.grid(R, C, name="PE"):
        pe_reverse(ch[r, c], ch[r, c + 1], acc, r, c)
    sink: int8[R]
    for t in range(L, name="drain"):
        for r in range(R):
            sink[r] = ch[r, C, L - 1 - t]


def undrained_chain(X: int8[R, L], acc: int16[R, C]):
    ch: int8[R, C + 1, L]
    for t in range(L, name="fill"):
        for r in range(R):
            ch[r, 0, t] = X[r, t]
    for r, c in allo.grid(R, C, name="PE"):
        pe_forward(ch[r, c], ch[r, c + 1], acc, r, c)


def _expected(X: np.ndarray) -> np.ndarray:
    out = np.zeros((R, C), dtype=np.int64)
    for r in range(R):
        for c in range(C):
            out[r, c] = X[r].astype(np.int64).sum() * (r + c + 1)
    return out.astype(np.int16)


def test_channel_array_becomes_fifos_and_verifies():
    s = allo.customize(row_chain)
    pe = s.unfold("PE", [0, 1])
    s.to(s.ch, pe, axis=1, depth=2)
    cert = s.history[-1]
    assert cert.primitive == "stream_channels" and cert.rule == "dataflow.channels"
    assert all(c.status in ("proved", "trivial") for c in cert.conditions)
    assert s.ir.funcs["row_chain"].attrs.get("dataflow")  # one producer and consumer task per channel
    callee = next(f for n, f in s.ir.funcs.items() if n.startswith("pe_forward"))
    assert callee.param("x_in").type.is_stream and callee.param("x_out").type.is_stream
    v = s.verify()
    assert v, v.report()
    X = np.random.default_rng(0).integers(-8, 8, (R, L)).astype(np.int8)
    acc = np.zeros((R, C), dtype=np.int16)
    s.build()(X, acc)
    np.testing.assert_array_equal(acc, _expected(X))
    code = str(s.build("vhls"))
    assert "#pragma HLS dataflow" in code and "hls::stream" in code


def test_a_pe_that_reorders_its_channel_is_refused():
    """PE (r, c) writes its output channel back to front while PE (r, c + 1) reads it front
    to back: as arrays the successor sees the reversed row, a FIFO would hand it the row in
    put order. The conversion must refuse, naming the order condition."""
    s = allo.customize(reversed_chain)
    pe = s.unfold("PE", [0, 1])
    before = s.ir
    with pytest.raises(ScheduleError, match="each channel is read in the order it is written"):
        s.to(s.ch, pe, axis=1, depth=2)
    assert s.ir is before  # nothing applied
    # the refusal protects a real difference: the array program is what numpy computes
    X = np.arange(R * L, dtype=np.int8).reshape(R, L)
    acc = np.zeros((R, C), dtype=np.int16)
    s.build()(X, acc)
    rows = [X[:, ::-1] if c % 2 else X for c in range(C)]
    weights = np.arange(1, L + 1)
    want = np.stack([(rows[c].astype(np.int64) * weights).sum(axis=1) for c in range(C)], axis=1)
    np.testing.assert_array_equal(acc, want.astype(np.int16))


def test_a_channel_left_full_is_refused():
    s = allo.customize(undrained_chain)
    pe = s.unfold("PE", [0, 1])
    with pytest.raises(ScheduleError, match="written 32 times but read 24 times"):
        s.to(s.ch, pe, axis=1, depth=2)


def test_a_buffer_made_by_buffer_at_still_relays():
    """``to(buf, pe, axis=)`` keeps meaning ``relay`` for a buffer no call receives as a
    sub-view."""
    def gemm(A: int8[2, 2], B: int8[2, 2], Cm: int16[2, 2]):
        for i, j in allo.grid(2, 2, name="PE"):
            for k in range(2):
                Cm[i, j] += A[i, k] * B[k, j]

    s = allo.customize(gemm)
    buf = s.buffer_at(s.A, "j")
    pe = s.unfold("PE", [0, 1])
    s.to(buf, pe, axis=1, depth=3)
    assert s.history[-1].primitive == "relay"
    assert s.verify()


def test_template_name_qualifies_its_one_instance():
    """Public Allo names a template's instance after the template: ``"systolic_tile:PE"``
    and ``MockBuffer("systolic_tile", "A_fifo")`` address ``systolic_tile_0``."""
    from allo.ir.utils import MockBuffer
    from allo.library.systolic import systolic

    s = allo.customize(systolic, instantiate=[int8, int8, int16, 4, 4, 4, 2, 2])
    pe = s.unfold("systolic_tile:PE", [0, 1])
    # B_fifo stays an array, so the tile is no dataflow region yet: the load loop fills
    # each channel with all K = 4 elements before the PEs run, and depth 4 holds them
    s.to(MockBuffer("systolic_tile", "A_fifo"), pe, axis=1, depth=4)
    tile = next(n for n in s.ir.funcs if n.startswith("systolic_tile"))
    assert s.history[-1].arguments["target"].func == tile
    assert s.verify()


def guarded_chain(X: int8[R, L], acc: int16[R, C]):
    ch: int8[R, C + 1, L]
    for t in range(L, name="fill"):
        for r in range(R):
            if t > 0:
                ch[r, 0, t] = X[r, t]
    for r, c in allo.grid(R, C, name="PE"):
        pe_forward(ch[r, c], ch[r, c + 1], acc, r, c)
    sink: int8[R]
    for t in range(L, name="drain"):
        for r in range(R):
            sink[r] = ch[r, C, t]


def test_a_conditional_channel_access_is_refused():
    s = allo.customize(guarded_chain)
    pe = s.unfold("PE", [0, 1])
    with pytest.raises(ScheduleError, match="under a condition"):
        s.to(s.ch, pe, axis=1, depth=2)


def test_direct_use_of_stream_channels_checks_its_arguments():
    s = allo.customize(row_chain)
    pe = s.unfold("PE", [0, 1])
    with pytest.raises(ScheduleError, match="not a spatial position"):
        s.stream_channels(s.ch, pe, axis=2, depth=2)
    with pytest.raises(ScheduleError, match="depth=0 must be a positive integer"):
        s.stream_channels(s.ch, pe, axis=1, depth=0)
    with pytest.raises(ScheduleError, match="function argument"):
        s.stream_channels(s.X, pe, axis=1, depth=2)


def pe_two_inputs(a_in: int8[L], b_in: int8[L], acc: int16[R, C], r: index, c: index):
    for t in range(L):
        acc[r, c] += a_in[t] * b_in[t]  # one statement gets from two channels


def two_input_grid(X: int8[R, L], acc: int16[R, C]):
    ch: int8[R, C, 2, L]
    for t in range(L, name="fill"):
        for r in range(R):
            for c in range(C):
                ch[r, c, 0, t] = X[r, t]
                ch[r, c, 1, t] = X[r, t] + c
    for r, c in allo.grid(R, C, name="PE"):
        pe_two_inputs(ch[r, c, 0], ch[r, c, 1], acc, r, c)


def test_a_statement_reading_two_channel_parameters_gets_from_both():
    # the rewrite once converted only the first parameter's load of such a statement, and
    # the IR check then refused the design ("'b_in' is a stream, not a buffer")
    s = allo.customize(two_input_grid)
    pe = s.unfold("PE", [0, 1])
    s.to(s.ch, pe, axis=1, depth=L)
    callee = next(f for n, f in s.ir.funcs.items() if n.startswith("pe_two_inputs"))
    assert callee.param("a_in").type.is_stream and callee.param("b_in").type.is_stream
    v = s.verify()
    assert v.status == "equivalent", v.report()
    X = np.random.default_rng(1).integers(-8, 8, (R, L)).astype(np.int8)
    acc = np.zeros((R, C), dtype=np.int16)
    s.build()(X, acc)
    want = np.stack([(X.astype(np.int64) * (X.astype(np.int64) + c)).sum(axis=1) for c in range(C)], axis=1)
    np.testing.assert_array_equal(acc, want.astype(np.int16))


def chain_early_reader(X: int8[R, L], acc: int16[R, C], out: int8[R]):
    ch: int8[R, C + 1, L]
    sink: int8[R] = 0
    early: int8[R] = sink[0]  # its fill reads sink before the drain task writes it
    for t in range(L, name="fill"):
        for r in range(R):
            ch[r, 0, t] = X[r, t]
    for r, c in allo.grid(R, C, name="PE"):
        pe_forward(ch[r, c], ch[r, c + 1], acc, r, c)
    for t in range(L, name="drain"):
        for r in range(R):
            sink[r] = ch[r, C, t]
    for r in range(R, name="copy"):
        out[r] = early[r]


def test_a_declaration_reading_a_later_tasks_buffer_keeps_the_tasks_sequential():
    # the HLS code fills `early` in a process of its own, concurrent with the drain that
    # writes sink: the region is not made a dataflow region
    s = allo.customize(chain_early_reader)
    pe = s.unfold("PE", [0, 1])
    s.to(s.ch, pe, axis=1, depth=L)  # deep enough for the sequential tasks
    assert not s.ir.funcs["chain_early_reader"].attrs.get("dataflow")
    assert any("fill of 'early'" in c.detail for c in s.history[-1].conditions if c.name == "dataflow region: not yet")
    assert s.verify().status == "equivalent"
