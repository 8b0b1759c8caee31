"""Mutation campaign: corruptions of correct designs must be 'not equivalent' with a
counterexample the reference interpreter confirms; legal variants must be 'equivalent'."""

import pytest
from designs import fifo_pipeline, gemm_float, gemm_int, relu, rowsum_call, scalar_fn
from irb import c, op

from allo.ir.types import int8, uint8
from allo.symexec import verify

REF_GEMM = {}
MUTANTS = [
    ("gemm_int", dict(k_hi=3)), ("gemm_int", dict(k_lo=1)), ("gemm_int", dict(k_step=2)),
    ("gemm_int", dict(i_hi=3)), ("gemm_int", dict(j_hi=3)),
    ("gemm_int", dict(a_idx="ki")), ("gemm_int", dict(b_idx="jk")), ("gemm_int", dict(c_idx="ji")),
    ("gemm_int", dict(acc_t=int8)), ("gemm_int", dict(acc_op="sub")),
    ("gemm_int", dict(mul_op="add")), ("gemm_int", dict(a_cast=uint8)),
    ("gemm_int", dict(plus=1)), ("gemm_int", dict(b_buf="A")),
    ("gemm_int", dict(store_cast=int8)), ("gemm_int", dict(split_k=2, k_hi=3)),
    ("gemm_int", dict(local_acc=True, init_acc=False)),
    ("gemm_int", dict(local_acc=True, k_hi=3)), ("gemm_int", dict(local_acc=True, acc_t=int8)),
    ("gemm_int", dict(order="ikj", a_idx="ki")), ("gemm_int", dict(order="kji", k_lo=1)),
    ("gemm_float", dict(k_reverse=True)), ("gemm_float", dict(init=1.0)),
    ("gemm_float", dict(n_k=3)),
    ("relu", dict(else_value=1)), ("relu", dict(then_neg=True)), ("relu", dict(cmp="lt")),
    ("relu", dict(style="select", cmp="le")),
    ("fifo", dict(scale=3)), ("fifo", dict(put_count=5)), ("fifo", dict(get_count=5)),
]
BUILDERS = {"gemm_int": gemm_int, "gemm_float": gemm_float, "relu": relu,
            "fifo": lambda **k: fifo_pipeline(**k)}
REFERENCES = {"gemm_int": gemm_int, "gemm_float": gemm_float, "relu": relu,
              "fifo": lambda: fifo_pipeline(direct=True)}

SCALAR_MUTANTS = [
    lambda x, y: op("add", int8, x, c(1, int8)),
    lambda x, y: op("sub", int8, y, x),
    lambda x, y: op("mul", int8, x, y),
    lambda x, y: op("xor", int8, x, y),
    lambda x, y: op("shl", int8, x, c(1, int8)),
    lambda x, y: op("max", int8, x, y),
]


@pytest.mark.parametrize("kind,knobs", MUTANTS, ids=[f"{k}-{d}" for k, d in MUTANTS])
def test_mutant_is_caught_with_confirmed_counterexample(kind, knobs):
    v = verify(REFERENCES[kind](), BUILDERS[kind](**knobs))
    assert v.status == "not equivalent", v.report()
    cex = v.counterexample
    assert cex.error_b or (cex.output and cex.expr_b)


@pytest.mark.parametrize("k", range(len(SCALAR_MUTANTS)))
def test_scalar_mutant(k):
    ref = scalar_fn(lambda x, y: op("add", int8, x, y))
    v = verify(ref, scalar_fn(SCALAR_MUTANTS[k]))
    assert v.status == "not equivalent", v.report()


LEGAL = [
    ("gemm_int", dict(order=o)) for o in ("ijk", "ikj", "jik", "jki", "kij", "kji")
] + [
    ("gemm_int", dict(swap_mul=True)), ("gemm_int", dict(k_reverse=True)),
    ("gemm_int", dict(split_k=1)), ("gemm_int", dict(split_k=3)),
    ("gemm_int", dict(local_acc=True)), ("gemm_int", dict(local_acc=True, k_reverse=True)),
    ("gemm_float", dict(order="jik")), ("gemm_float", dict(order="ikj")),
    ("relu", dict(style="select")), ("relu", dict(cmp="ge")),
]


@pytest.mark.parametrize("kind,knobs", LEGAL, ids=[f"{k}-{d}" for k, d in LEGAL])
def test_legal_variant_is_equivalent(kind, knobs):
    v = verify(REFERENCES[kind](), BUILDERS[kind](**knobs))
    assert v.status == "equivalent", v.report()


def test_legal_fifo_and_call_variants():
    assert verify(fifo_pipeline(direct=True), fifo_pipeline(depth=8))
    assert verify(rowsum_call(True), rowsum_call(False))
