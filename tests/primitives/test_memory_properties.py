"""Property tests: memory primitives on random kernels (allo.testing) either refuse with a
ScheduleError or keep every result bit-exact on the reference interpreter."""

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

from allo.errors import ScheduleError
from allo.ir.nodes import Alloc, walk_stmts
from allo.ir.types import BufferType
from allo.primitives.base import BufferHandle, apply_primitive, loop_sites
from allo.primitives.memory_common import find_accesses
from allo.backends.interp import Interpreter
from allo.testing import KernelFeatures, copy_args, inputs_for, kernels, outputs_equal

FEATURES = KernelFeatures(while_loops=False, max_extent=5, max_loop_depth=3, expr_depth=2)

from property_runs import Applied, checked_property


def same_results(original, rewritten, args):
    a, b = copy_args(args), copy_args(args)
    expected = Interpreter(original)(*a)
    got = Interpreter(rewritten)(*b)
    assert outputs_equal(expected, got)
    assert outputs_equal(a, b)  # in-place updates of the arguments agree too


def candidates(func):
    """(loop name, buffer name) pairs where the buffer is accessed inside the loop."""
    out = []
    for site in loop_sites(func):
        qualified = f"{func.name}:{site.loop.name}"
        for name, t in func.buffers().items():
            if isinstance(t, BufferType) and t.rank and find_accesses(site.loop.body, name):
                out.append((qualified, name))
    return out


def test_buffer_at_on_random_kernels():
    applied = Applied()

    @given(data=st.data())
    def prop(data):
        module = data.draw(kernels(FEATURES))
        func = module.top_func
        pairs = candidates(func)
        if not pairs:
            event("no buffer accessed in a loop")
            return
        axis, name = data.draw(st.sampled_from(pairs))
        unchecked = data.draw(st.booleans())
        try:
            new, cert, handle = apply_primitive(module, "buffer_at",
                                                {"target": BufferHandle(func.name, name), "axis": axis},
                                                unchecked=unchecked)
        except ScheduleError as err:
            event(f"refused: {err.message.split(':')[0][:40]}")
            return
        event("applied" + (" (unchecked)" if not cert.checked else ""))
        applied()
        assert isinstance(handle, BufferHandle) and handle.name in new.top_func.buffers()
        args = data.draw(inputs_for(func))
        same_results(module, new, args)

    checked_property(prop, applied, max_examples=60, at_least=10)


def _factorizations(n):
    out = [(n,)]
    for a in range(2, n):
        if n % a == 0:
            out.append((a, n // a))
    return out


def test_reshape_on_random_kernels():
    applied = Applied()

    @given(data=st.data())
    def prop(data):
        module = data.draw(kernels(KernelFeatures(while_loops=False, max_extent=5, local_buffers=True)))
        func = module.top_func
        locals_ = [s for s in walk_stmts(func.body) if isinstance(s, Alloc) and s.type.rank > 0]
        if not locals_:
            event("no local array")
            return
        alloc = data.draw(st.sampled_from(locals_))
        shape = data.draw(st.sampled_from(_factorizations(alloc.type.size)))
        try:
            new, cert, _ = apply_primitive(module, "reshape",
                                           {"target": BufferHandle(func.name, alloc.name), "shape": shape})
        except ScheduleError as err:
            event(f"refused: {err.message[:40]}")
            return
        event("applied")
        applied()
        assert cert.checked
        args = data.draw(inputs_for(func))
        reshaped = dict(new.top_func.attrs.get("interface_shapes", ()))
        if reshaped:  # a returned buffer: the result takes the new shape, the same data
            event("interface reshaped")
            a, b = copy_args(args), copy_args(args)
            expected, got = Interpreter(module)(*a), Interpreter(new)(*b)
            many = isinstance(expected, (tuple, list)) and len(new.top_func.results) > 1
            pairs = zip(expected, got) if many else [(expected, got)]
            for k, (x, y) in enumerate(pairs):
                if f"return[{k}]" in reshaped:
                    y = np.asarray(y).reshape(np.shape(x))
                assert outputs_equal(x, y)
            assert outputs_equal(a, b)
            return
        same_results(module, new, args)

    checked_property(prop, applied, max_examples=30, at_least=5)


def test_partition_on_random_kernels_changes_only_layouts():
    applied = Applied()

    @given(data=st.data())
    def prop(data):
        module = data.draw(kernels(FEATURES))
        func = module.top_func
        arrays = [n for n, t in func.buffers().items() if isinstance(t, BufferType) and t.rank]
        name = data.draw(st.sampled_from(arrays))
        kind = data.draw(st.sampled_from([None, "complete", "block", "cyclic"]))
        dim = data.draw(st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), max_size=2)))
        factor = data.draw(st.integers(0, 4))
        arguments = {"target": BufferHandle(func.name, name), "partition_type": kind, "dim": dim,
                     "factor": factor}
        try:
            new, _, _ = apply_primitive(module, "partition", arguments)
        except ScheduleError as err:
            event("refused")
            assert any(word in err.message for word in ("dim", "factor", "partition"))
            return
        event("applied")
        applied()
        layout = new.top_func.buffers()[name].layout
        assert layout is not None and layout.shape == func.buffers()[name].shape
        args = data.draw(inputs_for(func))
        same_results(module, new, args)

    checked_property(prop, applied, max_examples=80, at_least=5)
