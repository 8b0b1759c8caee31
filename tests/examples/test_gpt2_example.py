"""examples/gpt2.py: the hand-written GPT layer (customized kernel by kernel, composed) and
the same layer imported from torch both verify and equal the torch block."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from test_examples import load  # noqa: E402


def test_gpt2_example_both_layers_verify_and_match_torch(capsys):
    example = load("gpt2")
    assert example.main(["--seq", "4", "--hidden", "16", "--heads", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("equivalent") >= 3 and "max |diff|" in out
