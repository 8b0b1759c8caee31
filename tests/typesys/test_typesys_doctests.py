"""The docstring examples of the typesys modules and the lattice proofs run as written."""

import doctest
import importlib

import pytest

MODULES = ["allo.typesys", "allo.typesys.lattice", "allo.typesys.partition",
           "allo.typesys.graph", "allo.typesys.infer", "allo.testing.random_designs",
           "proofs.lattice"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
