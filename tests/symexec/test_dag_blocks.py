"""Dag.input_block: input cells interned in bulk are the same leaves as one by one."""

from allo.ir.types import int8, int16
from allo.symexec.dag import Dag


def test_a_block_and_single_cells_are_the_same_leaves():
    d = Dag()
    block = d.input_block("A", 6, int8)
    assert [d.input("A", c, int8) for c in range(6)] == block
    assert d.input_block("A", 6, int8) == block  # the second program gets the same leaves
    assert d.find_input("A", 5, int8) == block[5]
    assert d.input_of(block[3]) == ("A", 3)
    assert d.find_input("A", 6, int8) is None and d.find_input("B", 0, int8) is None


def test_cells_outside_a_block_or_of_another_type_are_new_leaves():
    d = Dag()
    block = d.input_block("A", 4, int8)
    other = d.input("A", 0, int16)
    past = d.input("A", 4, int8)
    assert other not in block and past not in block and other != past
    assert d.find_input("A", 4, int8) == past and d.find_input("A", 0, int16) == other
    x = d.input("x", -1, int8)
    assert d.input_block("x", 1, int8) == [d.input("x", 0, int8)]  # an existing name
    assert x != d.input("x", 0, int8)
