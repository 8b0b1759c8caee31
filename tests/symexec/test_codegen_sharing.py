"""The symbolic executor compiles functions alike but for their literals once
(:class:`allo.symexec.codegen.ModuleCompiler`: the literals are lifted into names bound per
function). The sharing must never blur two functions: PEs of a systolic chain that differ
in one constant share the compiled code, yet each runs with its own constant, so one wrong
PE anywhere in the chain is still refuted with a counterexample at its own output."""

import pytest

import allo
import allo.dataflow as df
from allo.frontend import parse
from allo.ir.types import Stream, int32
from allo.symexec.codegen import ModuleCompiler
from allo.symexec.dag import Dag
from allo.symexec.executor import SymbolicExecutor

P = 5  # PEs in the chain


def chain(odd_pe: int = -1, odd_factor: int = 3):
    """A df chain of P PEs: PE k gets ``inp[k]`` from the chain, writes it times 2 (PE
    ``odd_pe``: times ``odd_factor``) to ``out[k]`` and puts ``inp[k + 1]`` into the chain
    for the next PE; the indices come from the pid."""

    @df.region()
    def top(inp: int32[P], out: int32[P]):
        link: Stream[int32, 2][P]

        @df.kernel(mapping=[1], args=[inp])
        def feed(a: int32[P]):
            link[0].put(a[0])

        @df.kernel(mapping=[P], args=[inp, out])
        def pe(a: int32[P], b: int32[P]):
            k = df.get_pid()
            x: int32 = link[k].get()
            with allo.meta_if(k == odd_pe):
                b[k] = x * odd_factor
            with allo.meta_else():
                b[k] = x * 2
            with allo.meta_if(k + 1 < P):
                link[k + 1].put(a[k + 1])

    return top


def plain(odd_pe: int = -1, odd_factor: int = 3):
    def kernel(inp: int32[P], out: int32[P]):
        for k in range(P):
            out[k] = inp[k] * 2
        with allo.meta_if(odd_pe >= 0):
            out[odd_pe] = inp[odd_pe] * odd_factor

    return kernel


def int32_wrap(v: int) -> int:
    return (v + 2**31) % 2**32 - 2**31


def test_pes_alike_but_for_constants_share_one_compile():
    module = parse(chain())
    unit = ModuleCompiler(module, Dag(), SymbolicExecutor(module, Dag()))
    unit.function(module.top)
    pes = [f"pe_{k}" for k in range(P)]
    assert set(pes) < set(module.funcs)
    # the last PE (which does not forward) differs in structure; the others differ only
    # in constants and stream names: one compile for them
    assert len({unit.sources[n] for n in pes[:-1]}) == 1
    assert len(unit._factories) < len(module.funcs)
    # ... and yet each is a function of its own, bound to its own constants
    assert len({unit.function(n) for n in pes}) == P


def test_the_chain_verifies_against_its_plain_kernel():
    assert allo.verify(chain(), plain()).status == "equivalent"
    assert allo.verify(chain(2, 5), plain(2, 5)).status == "equivalent"


@pytest.mark.parametrize("odd", [0, 2, 3])
def test_one_wrong_pe_is_refuted_at_its_own_output(odd):
    # PEs 0..3 share their compiled code (PE 2 or 3 with the odd factor too: it is one
    # more constant); had they shared PE 0's constants, the odd factor of PE 2 or 3 would
    # be lost (or PE 0's spread to all) and the chain called equivalent
    v = allo.verify(chain(odd), plain())
    assert v.status == "not equivalent", v.report()
    cex = v.counterexample
    assert cex.output == "out" and cex.index == (odd,), v.report()
    # the symbolic values (what the shared code computed), not only the interpreter's
    assert (cex.expr_a, cex.expr_b) == (f"mul(inp[{odd}], 3)", f"mul(inp[{odd}], 2)")
    assert cex.value_a == int32_wrap(int(cex.inputs["inp"][odd]) * 3)
    assert cex.value_b == int32_wrap(int(cex.inputs["inp"][odd]) * 2)


def test_a_constant_changed_in_one_pe_is_seen_both_ways():
    # the plain kernel carries the odd factor and the chain does not: refuted as well
    v = allo.verify(chain(), plain(3, 7))
    assert v.status == "not equivalent", v.report()
    cex = v.counterexample
    assert cex.index == (3,) and (cex.expr_a, cex.expr_b) == ("mul(inp[3], 2)", "mul(inp[3], 7)")
