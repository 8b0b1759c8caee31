"""Regression (fuzz campaign, programs #1161-#1168): the symbolic executor's generated code
named a cached float constant ``_c7`` and a branch condition ``_c7`` too. Python then made
``_c7`` local to the whole function: a static float constant read after the branch got the
condition instead (two programs differing in that constant were called equivalent), and one
read before it raised ``UnboundLocalError``."""

import ast

import pytest
from irb import V, c, cast, func, ld, loop, module, op, st

from allo.ir.nodes import If
from allo.ir.types import BufferType, bool_, float32
from allo.symexec import check_equivalence
from allo.symexec.codegen import ModuleCompiler
from allo.symexec.dag import Dag

BRANCHES, STATIC_CONSTS = 4, 5  # the smallest shape where the old names collided


def kernel(bump: int = -1):
    """``BRANCHES`` data-dependent ifs, then a loop that adds static float constants
    ``float(i) + (j + 0.75)`` to ``A[i]``; ``bump`` changes the ``bump``-th constant."""
    body = []
    for k in range(BRANCHES):
        cond = op("gt", bool_, ld("A", float32, c(k % 4)), c(k + 0.5, float32))
        body.append(If(cond, [st("A", [c((k + 1) % 4)], c(k + 0.25, float32))]))
    inner = []
    for j in range(STATIC_CONSTS):
        const = c(j + 0.75 + (1.0 if j == bump else 0.0), float32)
        term = op("add", float32, cast(float32, V("i")), const)
        inner.append(st("A", [V("i")], op("add", float32, ld("A", float32, V("i")), term)))
    body.append(loop("i", 4, inner))
    return module(func("k", [("A", BufferType(float32, (4,)))], body))


def test_generated_locals_never_shadow_globals():
    unit = ModuleCompiler(kernel(), Dag(), None)
    unit.function("k")
    tree = ast.parse(unit.sources["k"])
    assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    assert not assigned & set(unit.g), unit.sources["k"]


@pytest.mark.parametrize("bump", range(STATIC_CONSTS))
def test_each_static_constant_counts(bump):
    v = check_equivalence(kernel(), kernel(bump))
    assert v.status == "not equivalent", v.report()


def test_identical_kernels_still_equivalent():
    assert check_equivalence(kernel(), kernel()).status == "equivalent"
