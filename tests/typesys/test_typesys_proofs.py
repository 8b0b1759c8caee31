"""The lattice theorems in proofs/lattice.py are proved, and the harness can fail."""

import z3

from proofs import lattice as proofs


def test_every_lattice_theorem_is_proved():
    results = proofs.check_all(verbose=False)
    assert len(results) == len(proofs.THEOREMS) >= 7
    for rule, statement, ok, seconds in results:
        assert ok, f"{rule}: {statement}"
        assert rule.startswith("lattice.") and statement and seconds >= 0


def test_a_false_statement_is_not_proved():
    f, g = z3.Ints("f g")
    # "cyclic(f) <: cyclic(g) implies f | g" is false (cyclic(4) <: cyclic(2))
    wrong = proofs._theorem("lattice.wrong", "f | g", lambda: [[f >= 1, g >= 1, f % g == 0,
                                                                 g % f != 0]])
    assert wrong()[2] is False
