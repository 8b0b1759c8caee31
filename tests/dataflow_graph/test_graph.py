"""The dataflow graph (allo/dataflow_graph/graph.py, render.py): nodes, edges with orders
and rates, DOT text, and a PNG really drawn by Graphviz."""

import shutil

import pytest

import allo
from allo.errors import AlloError
from allo.ir.types import int32

M = N = 4


def scale(X: int32[M, N], Y: int32[M, N]):
    for i, j in allo.grid(M, N):
        Y[i, j] = X[i, j] * 3


def shift(Y: int32[M, N], Z: int32[M, N]):
    for i, j in allo.grid(M, N):
        Z[i, j] = Y[i, j] + 1


def chain(X: int32[M, N]) -> int32[M, N]:
    Y: int32[M, N] = 0
    Z: int32[M, N] = 0
    scale(X, Y)
    shift(Y, Z)
    return Z


def streamed():
    s_scale = allo.customize(scale)
    s_scale.pipeline("j")
    s = allo.customize(chain)
    s.compose(s_scale)
    s.to(s.Y, "shift")
    return s


def test_nodes_edges_orders_and_rates():
    g = streamed().dataflow_graph()
    assert g.dataflow and [n.id for n in g.nodes if n.kind == "call"] == ["scale#2", "shift#3"]
    (y,) = g.edges_of("Y")
    assert (y.src, y.dst, y.kind) == ("scale#2", "shift#3", "stream")
    assert y.produce.order == "scale: put Y over i < 4, j < 4"
    assert y.consume.order == "shift: get Y over i < 4, j < 4"
    assert y.produce.count == y.consume.count == 16 and y.produce.trips == (4, 4)
    # scale's j loop is pipelined at II 1: one put per cycle within a row
    assert y.produce.rate.strides[-1] == 1
    assert "computed" in y.depth_reason and "deadlock-free from 1" in y.depth_reason
    # hand (the II/latency model; s.report(): scale's flattened i_j pipeline has II 1 and
    # depth 2, shift's j iteration takes 2 cycles and its i iteration 9): scale puts
    # element n at cycle 2 + n (all 16 by cycle 17); shift gets element n at
    # 2 + 9 * (n // 4) + 2 * (n % 4), one cycle later than that (its first element crosses
    # the FIFO at cycle 3). Just before its 8th get (n = 7, cycle 18) every element has
    # been put and 7 were taken: 9 wait in the FIFO -- the most at any get.
    assert "stall-free at 9" in y.depth_reason and y.depth == 9  # to(depth=-1) declared it
    (x,) = g.edges_of("X")
    assert (x.src, x.dst, x.kind) == ("in:X", "scale#2", "buffer")
    assert x.consume.order == "scale: X[i, j] over i < 4, j < 4"
    assert [e.dst for e in g.edges_of("Z")] == ["out:Z"]
    text = str(g)
    assert "edge scale#2 -> shift#3: stream Y" in text and "produced as scale: put Y" in text


def test_dot_text_of_a_small_design():
    dot = streamed().dataflow_graph().to_dot()
    assert dot.startswith('digraph "chain" {')
    assert '"scale#2" [label="scale", shape=box];' in dot
    assert '"in:X" [label="X", shape=invhouse];' in dot
    assert '"scale#2" -> "shift#3" [label="Y\\nFIFO depth 9\\n16 elements", style=bold, color=blue];' in dot
    assert '"shift#3" -> "out:Z" [label="Z\\n16 elements", style=solid];' in dot
    assert dot.rstrip().endswith("}")


def test_png_is_drawn_by_graphviz(tmp_path):
    assert shutil.which("dot"), "Graphviz must be installed (.ci/run installs it)"
    path = streamed().dataflow_graph().to_png(str(tmp_path / "chain.png"))
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def test_png_without_graphviz_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(AlloError) as err:
        streamed().dataflow_graph().to_png(str(tmp_path / "x.png"))
    assert "apt-get install graphviz" in str(err.value) and "to_dot" in str(err.value)


def test_pe_array_is_a_nested_graph_of_pes():
    from seed_kernels import make_matmul

    s = allo.customize(make_matmul(2, 2, 2))
    buf_A = s.buffer_at(s.A, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[2, 2])
    s.relay(buf_A, pe, axis=0, depth=3)
    g = s.dataflow_graph()
    (array,) = [n for n in g.nodes if n.kind == "pe_array"]
    sub = array.subgraph
    assert sorted(n.id for n in sub.nodes) == ["PE[0, 0]", "PE[0, 1]", "PE[1, 0]", "PE[1, 1]"]
    links = sorted((e.src, e.dst, e.buffer) for e in sub.edges)
    assert links == [("PE[0, 0]", "PE[0, 1]", "A_buf_fifo[0, 0]"), ("PE[1, 0]", "PE[1, 1]", "A_buf_fifo[1, 0]")]
    assert all(e.produce.count == 2 and e.depth == 3 for e in sub.edges)
    dot = g.to_dot()
    assert 'subgraph "cluster_i#1"' in dot and '"in:C" -> "out:C"' not in dot


def test_dataflow_graph_of_a_non_schedule_is_refused():
    from allo.dataflow_graph import dataflow_graph

    with pytest.raises(AlloError, match="expects a schedule or a module"):
        dataflow_graph(42)


def outer(X: int32[M, N]) -> int32[M, N]:
    R: int32[M, N] = 0
    R = chain(X)
    return R


def test_a_call_with_tasks_of_its_own_holds_its_graph():
    g = allo.customize(outer).dataflow_graph()
    (call,) = [n for n in g.nodes if n.kind == "call"]
    assert call.label == "chain" and call.subgraph is not None
    assert [n.id for n in call.subgraph.nodes if n.kind == "call"] == ["scale#2", "shift#3"]
    assert [(e.src, e.dst) for e in call.subgraph.edges_of("Y")] == [("scale#2", "shift#3")]
    assert g.walk()[1] is call.subgraph
    assert 'subgraph "cluster_chain#1"' in g.to_dot()
