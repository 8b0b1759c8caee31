"""The partition-type lattice: the closed-form order agrees with the bank-partition
(set) view, and the lattice laws hold on random types and extents."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allo.errors import AlloTypeError
from allo.typesys.lattice import KINDS, DimLayout, Layout, is_block_size

SETTINGS = settings(max_examples=150, deadline=None)


def refines(p, q):
    """Set view: every bank of p lies inside one bank of q."""
    return all(any(bank <= other for other in q) for bank in p)


def all_dims(n):
    """Every canonical layout of extent n (duplicates removed by canonical equality)."""
    out = {DimLayout.none(n), DimLayout.complete(n)}
    for f in range(1, n + 1):
        out.add(DimLayout.block(f, n))
        out.add(DimLayout.cyclic(f, n))
    return sorted(out, key=str)


@st.composite
def dims(draw, extent=None):
    n = extent if extent is not None else draw(st.integers(1, 40))
    kind = draw(st.sampled_from(KINDS))
    return DimLayout(kind, draw(st.integers(1, n + 3)), n)


@st.composite
def dim_triples(draw):
    n = draw(st.integers(1, 40))
    return tuple(draw(dims(n)) for _ in range(3))


# ------------------------------------------------------------------ canonical forms
def test_coincidences():
    n = 12
    assert DimLayout.block(n, n) == DimLayout.cyclic(n, n) == DimLayout.complete(n)
    assert DimLayout.block(1, n) == DimLayout.cyclic(1, n) == DimLayout.none(n)
    assert DimLayout.cyclic(20, n) == DimLayout.complete(n)
    assert DimLayout.block(6, 10) == DimLayout.block(5, 10)  # both banks of size 2
    assert str(DimLayout.block(6, 10)) == "block(5)"
    assert DimLayout.complete(1) == DimLayout.none(1)
    assert DimLayout.block(2, 8).block_size == 4


def test_canonical_equality_is_partition_equality():
    for n in range(1, 25):
        layouts = [DimLayout(k, f, n) for k in KINDS for f in range(1, n + 2)]
        for a in layouts:
            for b in layouts:
                assert (a == b) == (a.bank_partition() == b.bank_partition()), (a, b, n)


def test_bank_partition_semantics():
    assert DimLayout.cyclic(4, 10).bank_partition() == {
        frozenset({0, 4, 8}), frozenset({1, 5, 9}), frozenset({2, 6}), frozenset({3, 7})}
    assert DimLayout.block(4, 10).bank_partition() == {
        frozenset({0, 1, 2}), frozenset({3, 4, 5}), frozenset({6, 7, 8}), frozenset({9})}


def test_representable_block_sizes():
    assert is_block_size(5, 10) and is_block_size(4, 10) and not is_block_size(6, 10)
    with pytest.raises(AlloTypeError):
        DimLayout.block_of_size(6, 10)


# ------------------------------------------------------------------ the order
def test_order_matches_set_view_exhaustively():
    for n in range(1, 31):
        elems = all_dims(n)
        parts = {d: d.bank_partition() for d in elems}
        for a in elems:
            for b in elems:
                assert (a <= b) == refines(parts[a], parts[b]), (a, b, n)


def test_named_relations():
    n = 16
    assert DimLayout.cyclic(4, n) <= DimLayout.cyclic(2, n)
    assert not DimLayout.cyclic(2, n) <= DimLayout.cyclic(4, n)
    assert not DimLayout.cyclic(6, n) <= DimLayout.cyclic(4, n)
    assert DimLayout.block(8, n) <= DimLayout.block(4, n)  # sizes 2 | 4
    assert not DimLayout.block(2, n) <= DimLayout.cyclic(2, n)
    assert not DimLayout.cyclic(2, n) <= DimLayout.block(2, n)
    assert DimLayout.complete(n) < DimLayout.cyclic(4, n) < DimLayout.none(n)


def test_bounds_are_exact_within_representable_set():
    """meet/join are the greatest lower / least upper bounds among all representable
    layouts (checked by enumerating every layout of each extent)."""
    for n in range(1, 41):
        elems = all_dims(n)
        for a in elems:
            for b in elems:
                m, j = a & b, a | b
                lower = [c for c in elems if c <= a and c <= b]
                upper = [c for c in elems if a <= c and b <= c]
                assert m in lower and all(c <= m for c in lower), (a, b, n, m)
                assert j in upper and all(j <= c for c in upper), (a, b, n, j)


@SETTINGS
@given(st.integers(41, 5000), st.data())
def test_bounds_exact_on_large_random_extents(n, data):
    """Same on larger extents, comparing against all representable blocks/cyclics that
    could be bounds (divisibility-related to the operands)."""
    a, b = data.draw(dims(n)), data.draw(dims(n))
    m, j = a & b, a | b
    assert m <= a and m <= b and a <= j and b <= j
    candidates = {DimLayout.complete(n), DimLayout.none(n)}
    for x in (a, b):
        if x.kind == "block":
            for s in range(1, n + 1):
                if is_block_size(s, n) and (s % x.block_size == 0 or x.block_size % s == 0):
                    candidates.add(DimLayout.block_of_size(s, n))
        if x.kind == "cyclic":
            for f in range(1, n + 1):
                if f % x.factor == 0 or x.factor % f == 0:
                    candidates.add(DimLayout.cyclic(f, n))
    for c in candidates:
        if c <= a and c <= b:
            assert c <= m, (a, b, c, m)
        if a <= c and b <= c:
            assert j <= c, (a, b, c, j)


@SETTINGS
@given(dim_triples())
def test_partial_order_laws(t):
    a, b, c = t
    assert a <= a
    if a <= b and b <= a:
        assert a == b and a.bank_partition() == b.bank_partition()
    if a <= b and b <= c:
        assert a <= c


@SETTINGS
@given(dim_triples())
def test_lattice_laws(t):
    a, b, c = t
    assert a & a == a and a | a == a
    assert a & b == b & a and a | b == b | a
    assert (a & b) & c == a & (b & c)
    assert (a | b) | c == a | (b | c)
    assert a & (a | b) == a and a | (a & b) == a
    assert (a <= b) == (a & b == a) == (a | b == b)
    # the meet is sound: it supplies at least what both need (set view)
    assert refines((a & b).bank_partition(), a.bank_partition())
    assert refines((a & b).bank_partition(), b.bank_partition())


def test_meet_join_examples():
    n = 16
    assert DimLayout.cyclic(2, n) & DimLayout.cyclic(3, n) == DimLayout.cyclic(6, n)
    assert DimLayout.cyclic(4, 8) & DimLayout.cyclic(6, 8) == DimLayout.complete(8)
    assert DimLayout.cyclic(4, n) | DimLayout.cyclic(6, n) == DimLayout.cyclic(2, n)
    assert DimLayout.cyclic(3, n) | DimLayout.cyclic(4, n) == DimLayout.none(n)
    assert DimLayout.block(2, n) & DimLayout.cyclic(2, n) == DimLayout.complete(n)
    assert DimLayout.block(2, n) | DimLayout.cyclic(2, n) == DimLayout.none(n)
    # sizes 2 and 3 on extent 12: meet size 1 (complete), join size 6 (block(2))
    assert DimLayout.block(6, 12) & DimLayout.block(4, 12) == DimLayout.complete(12)
    assert DimLayout.block(6, 12) | DimLayout.block(4, 12) == DimLayout.block(2, 12)
    # sizes 2 and 3 on extent 10: size 6 is not representable, so the join is none
    assert DimLayout.block(5, 10) | DimLayout.block(4, 10) == DimLayout.none(10)


def test_different_extents_are_refused():
    with pytest.raises(AlloTypeError, match="different extents"):
        DimLayout.cyclic(2, 8) <= DimLayout.cyclic(2, 16)
    with pytest.raises(AlloTypeError, match="different shapes"):
        Layout.none((4,)) & Layout.none((8,))


def test_bad_constructions():
    with pytest.raises(AlloTypeError, match="factor must be >= 1"):
        DimLayout.cyclic(0, 8)
    with pytest.raises(AlloTypeError, match="unknown partition kind"):
        DimLayout("diagonal", 2, 8)
    with pytest.raises(AlloTypeError, match="extent must be positive"):
        DimLayout.none(0)


# ------------------------------------------------------------------ products
@st.composite
def layout_triples(draw):
    shape = tuple(draw(st.lists(st.integers(1, 12), min_size=1, max_size=3)))
    return tuple(Layout(tuple(draw(dims(n)) for n in shape)) for _ in range(3))


@SETTINGS
@given(layout_triples())
def test_product_laws(t):
    a, b, c = t
    assert (a <= b) == all(x <= y for x, y in zip(a.dims, b.dims))
    assert (a & b).dims == tuple(x & y for x, y in zip(a.dims, b.dims))
    assert (a | b).dims == tuple(x | y for x, y in zip(a.dims, b.dims))
    assert a & (b & c) == (a & b) & c and a | (a & b) == a
    assert (a & b) <= a and a <= (a | b)
    assert (not a.unsupplied_dims(b)) == (a <= b)


# ------------------------------------------------------------------ parse / print
@SETTINGS
@given(st.integers(1, 40).flatmap(lambda n: dims(n)))
def test_dim_print_parse_roundtrip(d):
    assert DimLayout.parse(str(d), d.extent) == d


def test_layout_parse_print():
    L = Layout.parse("[cyclic(4), none, block(2)]", (8, 3, 6))
    assert str(L) == "[cyclic(4), none, block(2)]"
    assert L.shape == (8, 3, 6) and L.rank == 3
    assert eval(repr(L), {"Layout": Layout}) == L
    assert Layout.parse("Complete , CYCLIC( 2 )", (4, 4)) == Layout.of((4, 4), ["complete", "cyclic(2)"])
    for bad in ("cyclic", "block()", "cyclic(x)", "complete(3)", "diag(2)"):
        with pytest.raises(AlloTypeError, match="cannot parse"):
            DimLayout.parse(bad, 8)
    with pytest.raises(AlloTypeError, match="needs 2 dimension types"):
        Layout.parse("[none]", (4, 4))
    with pytest.raises(AlloTypeError, match="is for extent"):
        Layout.of((4,), [DimLayout.none(8)])


def test_gcd_closure_of_block_sizes_small_extents():
    """The property the block meet/join rely on: S_n minus {n} is closed under gcd."""
    for n in range(2, 300):
        sizes = [s for s in range(1, n) if is_block_size(s, n)]
        for a in sizes:
            for b in sizes:
                assert is_block_size(math.gcd(a, b), n), (n, a, b)
