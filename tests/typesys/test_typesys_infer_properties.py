"""Inference on random hierarchical designs: the worklist reaches the same fixed point as
a naive iterate-until-no-change solver, that fixed point is the greatest solution below
the requirements (each dimension gets exactly the meet of what reaches it), and
inference is monotone in the requirements."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allo.errors import AlloTypeError
from allo.typesys import Layout, build_graph, infer_layouts
from allo.testing.random_designs import random_layout, random_module, random_requirements

SETTINGS = settings(max_examples=40, deadline=None)


def design(seed, n_funcs):
    rng = random.Random(seed)
    graph = build_graph(random_module(rng, n_funcs))
    return rng, graph, random_requirements(rng, graph, density=0.3)


designs = st.tuples(st.integers(0, 10**6), st.integers(1, 14))


def cell_classes(graph):
    """Union-find over (node, dim) cells joined by bindings: an independent oracle."""
    parent = {}

    def find(c):
        parent.setdefault(c, c)
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for b in graph.bindings:
        for d in range(len(graph.shapes[b.inner])):
            parent[find((b.inner, d))] = find((b.outer, b.offset + d))
    return find


@SETTINGS
@given(designs)
def test_worklist_equals_naive_solver(params):
    _, graph, reqs = design(*params)
    assert infer_layouts(graph, reqs) == infer_layouts(graph, reqs, solver="naive")


@SETTINGS
@given(designs)
def test_result_is_the_meet_of_each_class(params):
    """Each cell gets exactly the meet of the requirements in its class: it supplies
    every bound kernel, and any solution that does is at least as parallel."""
    _, graph, reqs = design(*params)
    out = infer_layouts(graph, reqs)
    find = cell_classes(graph)
    expected = {}
    for node, (layout, _) in reqs.items():
        for d, dim in enumerate(layout.dims):
            key = find((node, d))
            expected[key] = expected[key] & dim if key in expected else dim
    for node, shape in graph.shapes.items():
        for d, n in enumerate(shape):
            want = expected.get(find((node, d)))
            got = out[node].dims[d]
            assert got == (want if want is not None else Layout.none((n,)).dims[0])


@SETTINGS
@given(designs)
def test_result_is_a_fixed_point_below_requirements(params):
    _, graph, reqs = design(*params)
    out = infer_layouts(graph, reqs)
    for b in graph.bindings:
        assert out[b.outer].dims[b.offset:] == out[b.inner].dims
    for node, (layout, _) in reqs.items():
        assert out[node] <= layout


@SETTINGS
@given(designs, st.integers(0, 10**6))
def test_monotone_in_requirements(params, seed2):
    rng, graph, reqs = design(*params)
    rng2 = random.Random(seed2)
    stronger = {}
    for node, (layout, fixed) in reqs.items():
        stronger[node] = (layout & random_layout(rng2, layout.shape) if rng2.random() < 0.5
                          else layout, fixed)
    for node, shape in graph.shapes.items():
        if node not in stronger and rng2.random() < 0.1:
            stronger[node] = (random_layout(rng2, shape), False)
    weak, strong = infer_layouts(graph, reqs), infer_layouts(graph, stronger)
    assert all(strong[n] <= weak[n] for n in graph.shapes)


@SETTINGS
@given(designs)
def test_independent_of_binding_and_requirement_order(params):
    rng, graph, reqs = design(*params)
    out = infer_layouts(graph, reqs)
    graph.bindings.reverse()
    shuffled = list(reqs.items())
    rng.shuffle(shuffled)
    assert infer_layouts(graph, dict(shuffled)) == out


@SETTINGS
@given(designs)
def test_fixing_the_inferred_layouts_is_consistent_and_coarser_is_refused(params):
    _, graph, reqs = design(*params)
    out = infer_layouts(graph, reqs)
    # fixing every requirement node to its inferred layout is accepted unchanged
    fixed = {n: (out[n], True) for n in reqs}
    assert infer_layouts(graph, fixed) == out
    # fixing a node whose inferred layout is partitioned to "none" is refused,
    # provided some other requirement reaches it
    for node in reqs:
        if out[node] != Layout.none(graph.shapes[node]):
            others = {n: r for n, r in reqs.items() if n != node}
            if infer_layouts(graph, others)[node] != Layout.none(graph.shapes[node]):
                bad = dict(others)
                bad[node] = (Layout.none(graph.shapes[node]), True)
                with pytest.raises(AlloTypeError, match=f"kernel {node[0]!r}"):
                    infer_layouts(graph, bad)
                break
