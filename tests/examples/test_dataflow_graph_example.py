"""examples/dataflow_graph.py: the seed's top with Y streamed verifies, sizes its FIFO and
draws its dataflow graph (the picture in the README comes from it)."""

import importlib.util
import pathlib

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "dataflow_graph.py"


def test_example_verifies_sizes_and_draws(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("allo_example_dataflow_graph", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(str(tmp_path / "top.png"))
    out = capsys.readouterr().out
    assert out.startswith("verdict: equivalent")
    assert "Y: depth 3 (deadlock-free from 1" in out
    assert "edge matmul_0#2 -> matmul#3: stream Y, depth 3" in out
    assert (tmp_path / "top.png").read_bytes()[:4] == b"\x89PNG"
