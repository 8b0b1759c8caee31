"""Loop naming across bands and functions (found while writing the examples): band-qualified
names replayed by compose, loop handles from get_loops, and split names per band."""

from __future__ import annotations


import allo
from allo.ir.types import float32
from allo.primitives.base import loop_sites

B, IN, HID, OUT = 2, 4, 4, 4


def layer(X: float32[B, IN], Wt: float32[IN, HID], b: float32[HID]) -> float32[B, HID]:
    Y: float32[B, HID] = 0.0
    for i, j in allo.grid(B, HID, name="bias"):
        Y[i, j] = b[j]
    for i, j, k in allo.grid(B, HID, IN, name="mm"):
        Y[i, j] += X[i, k] * Wt[k, j]
    return Y


def head(X: float32[B, HID], Wt: float32[HID, OUT]) -> float32[B, OUT]:
    Y: float32[B, OUT] = 0.0
    for i, j, k in allo.grid(B, OUT, HID, name="mm"):
        Y[i, j] += X[i, k] * Wt[k, j]
    return Y


def net(X: float32[B, IN], W1: float32[IN, HID], b1: float32[HID], W2: float32[HID, OUT]) -> float32[B, OUT]:
    return head(layer(X, W1, b1), W2)


def three(A: float32[B, B], C: float32[B, B]) -> float32[B, B]:
    E: float32[B, B] = 0.0
    F: float32[B, B] = 0.0
    for i, j in allo.grid(B, B, name="first"):
        E[i, j] = A[i, j] + 1.0
    for i, j in allo.grid(B, B, name="second"):
        F[i, j] = E[i, j] * C[i, j]
    return F


def loops(s, func):
    """``(band, name)`` of the loops of ``func``, outermost first, in program order."""
    return [(site.loop.band, site.loop.name) for site in loop_sites(s.ir.funcs[func])]


def annotated(s, attr):
    """``(func, band, name)`` of every loop carrying attribute ``attr``."""
    return [(f.name, site.loop.band, site.loop.name) for f in s.ir.funcs.values()
            for site in loop_sites(f) if attr in site.loop.attrs]


def test_compose_scopes_band_qualified_loop_names_to_the_kernel():
    s_head = allo.customize(head)
    s_head.reorder("mm:k", "mm:j")
    s_net = allo.customize(net)
    s_net.compose(s_head)
    assert s_net.verify()
    # the reorder landed on head's "mm" band only; layer's band of the same name is untouched
    assert loops(s_net, "head") == [("mm", "i"), ("mm", "k"), ("mm", "j")]
    assert loops(s_net, "layer") == [("bias", "i"), ("bias", "j"),
                                     ("mm", "i"), ("mm", "j"), ("mm", "k")]


def test_loop_handle_from_get_loops_names_one_loop():
    s = allo.customize(layer)
    s.pipeline(s.get_loops()["mm"]["j"])
    assert s.verify()
    assert annotated(s, "pipeline_ii") == [("layer", "mm", "j")]  # not bias's j


def test_split_loops_are_addressable_by_band_and_documented_name():
    s = allo.customize(three)
    s.split("first:i", 2)
    s.split("second:i", 2)
    s.pipeline("second:i.inner")
    assert s.verify()
    assert loops(s, "three") == [("first", "i.outer"), ("first", "i.inner"), ("first", "j"),
                                 ("second", "i.outer"), ("second", "i.inner"), ("second", "j")]
    assert annotated(s, "pipeline_ii") == [("three", "second", "i.inner")]
