"""Neural-network layers as Allo kernels, each with an HLS schedule that Allo proves correct.

Dense (+ bias, ReLU), 2-D convolution through line and window buffers (``reuse_at``), max
pooling, softmax, and a small MLP composed from the customized layers (``compose``).
Every ``design_<name>()`` returns a Schedule (the ``allo verify`` convention) and
``REFERENCES[name]`` is the same layer in numpy; ``main()`` verifies every design, builds it
with LLVM, compares with numpy and prints a table.

Run: ``python examples/nn_layers.py`` or ``allo verify examples/nn_layers.py``.
"""

from __future__ import annotations

import sys
from typing import Callable, Dict, List, Tuple

import numpy as np

import allo
from allo.testing.designs import check_designs, max_difference
from allo.ir.types import float32

BATCH, IN, HID, OUT = 2, 8, 8, 4   # MLP / dense sizes
H, W, R = 8, 8, 3                   # convolution: image H x W, R x R filter
OH, OW = H - R + 1, W - R + 1
P = 2                               # max pooling window and stride
PH, PW = H // P, W // P


# --------------------------------------------------------------------------- layers

def dense_relu(X: float32[BATCH, IN], Wt: float32[IN, HID], b: float32[HID]) -> float32[BATCH, HID]:
    """Y = relu(X @ Wt + b)."""
    Y: float32[BATCH, HID] = 0.0
    for i, j in allo.grid(BATCH, HID, name="bias"):
        Y[i, j] = b[j]
    for i, j, k in allo.grid(BATCH, HID, IN, name="mm"):
        Y[i, j] += X[i, k] * Wt[k, j]
    for i, j in allo.grid(BATCH, HID, name="act"):
        Y[i, j] = max(Y[i, j], 0.0)
    return Y


def schedule_dense_relu():
    """(i, k, j) order with a row buffer for Y, j pipelined, weights banked by column."""
    s = allo.customize(dense_relu)
    s.reorder("mm:k", "mm:j")
    s.pipeline("mm:j")
    s.pipeline("bias:j")
    s.pipeline("act:j")
    s.partition(s.Wt, dim=2)
    return s


def design_dense_relu():
    """The dense layer on its own."""
    return schedule_dense_relu()


def conv2d(img: float32[H, W], filt: float32[R, R]) -> float32[OH, OW]:
    """Valid 2-D convolution (cross-correlation, as deep-learning frameworks define it)."""
    out: float32[OH, OW] = 0.0
    for y, x in allo.grid(OH, OW, name="pix"):
        v: float32 = 0.0
        for r, c in allo.reduction(R, R, name="win"):
            v += img[y + r, x + c] * filt[r, c]
        out[y, x] = v
    return out


def design_conv2d():
    """Line buffer (R rows of the image) at y, then an R x R window over it at x; the
    filter completely partitioned and the pixel loop pipelined."""
    s = allo.customize(conv2d)
    line = s.reuse_at(s.img, "y")
    s.reuse_at(line, "x")
    s.partition(s.filt, dim=0)
    s.pipeline("x")
    return s


def maxpool(img: float32[H, W]) -> float32[PH, PW]:
    """P x P max pooling with stride P."""
    out: float32[PH, PW] = 0.0
    for y, x in allo.grid(PH, PW, name="pix"):
        m: float32 = img[y * P, x * P]
        for r, c in allo.reduction(P, P, name="win"):
            m = max(m, img[y * P + r, x * P + c])
        out[y, x] = m
    return out


def design_maxpool():
    """Window unrolled, pixel loop pipelined, image rows banked by the window height."""
    s = allo.customize(maxpool)
    s.unroll("r")
    s.unroll("c")
    s.pipeline("x")
    s.partition(s.img, allo.Partition.Cyclic, dim=1, factor=P)
    return s


def softmax(X: float32[BATCH, OUT]) -> float32[BATCH, OUT]:
    """Row-wise numerically stable softmax."""
    Y: float32[BATCH, OUT] = 0.0
    for i in range(BATCH, name="row"):
        m: float32 = X[i, 0]
        for j in range(OUT, name="max"):
            m = max(m, X[i, j])
        total: float32 = 0.0
        for j in range(OUT, name="exp"):
            e: float32 = allo.exp(X[i, j] - m)
            Y[i, j] = e
            total += e
        for j in range(OUT, name="norm"):
            Y[i, j] = Y[i, j] / total
    return Y


def design_softmax():
    """The three row passes pipelined; rows of Y in registers."""
    s = allo.customize(softmax)
    s.pipeline("max:j")
    s.pipeline("exp:j")
    s.pipeline("norm:j")
    s.partition(s.Y, dim=2)
    return s


def dense(X: float32[BATCH, HID], Wt: float32[HID, OUT], b: float32[OUT]) -> float32[BATCH, OUT]:
    """Y = X @ Wt + b (the output layer, no activation)."""
    Y: float32[BATCH, OUT] = 0.0
    for i, j in allo.grid(BATCH, OUT, name="out_bias"):
        Y[i, j] = b[j]
    for i, j, k in allo.grid(BATCH, OUT, HID, name="out_mm"):
        Y[i, j] += X[i, k] * Wt[k, j]
    return Y


def schedule_dense():
    """Same recipe as the hidden layer."""
    s = allo.customize(dense)
    s.reorder("out_mm:k", "out_mm:j")
    s.pipeline("out_mm:j")
    s.partition(s.Wt, dim=2)
    return s


def mlp(X: float32[BATCH, IN], W1: float32[IN, HID], b1: float32[HID],
        W2: float32[HID, OUT], b2: float32[OUT]) -> float32[BATCH, OUT]:
    """softmax(relu(X W1 + b1) W2 + b2)."""
    hidden = dense_relu(X, W1, b1)
    logits = dense(hidden, W2, b2)
    return softmax(logits)


def design_mlp():
    """The MLP built from the three customized layers: compose replays each layer's
    schedule onto its call site and reconciles the buffer layouts they need."""
    s = allo.customize(mlp)
    s.compose(schedule_dense_relu())
    s.compose(schedule_dense())
    s.compose(design_softmax())
    s.dataflow("mlp")
    return s


# --------------------------------------------------------------------------- numpy references

def ref_dense_relu(X, Wt, b):
    return np.maximum(X @ Wt + b, np.float32(0))


def ref_conv2d(img, filt):
    out = np.zeros((OH, OW), dtype=np.float32)
    for r in range(R):
        for c in range(R):
            out += img[r:r + OH, c:c + OW] * filt[r, c]
    return out


def ref_maxpool(img):
    return img.reshape(PH, P, PW, P).max(axis=(1, 3))


def ref_softmax(X):
    e = np.exp(X - X.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def ref_mlp(X, W1, b1, W2, b2):
    return ref_softmax(ref_dense_relu(X, W1, b1) @ W2 + b2)


Inputs = List[Tuple[int, ...]]
LAYERS: Dict[str, Tuple[Callable, Callable, Inputs]] = {
    "dense_relu": (design_dense_relu, ref_dense_relu, [(BATCH, IN), (IN, HID), (HID,)]),
    "conv2d": (design_conv2d, ref_conv2d, [(H, W), (R, R)]),
    "maxpool": (design_maxpool, ref_maxpool, [(H, W)]),
    "softmax": (design_softmax, ref_softmax, [(BATCH, OUT)]),
    "mlp": (design_mlp, ref_mlp, [(BATCH, IN), (IN, HID), (HID,), (HID, OUT), (OUT,)]),
}


def random_inputs(shapes: Inputs, seed: int = 0) -> List[np.ndarray]:
    """float32 arrays in [-1, 1) of the given shapes. Example: ``random_inputs([(2, 3)])``."""
    rng = np.random.default_rng(seed)
    return [(rng.random(shape, dtype=np.float32) * 2 - 1).astype(np.float32) for shape in shapes]


def run_and_compare(s, reference: Callable, shapes: Inputs, target: str = "llvm", seed: int = 0,
                    **build_options) -> float:
    """Build ``s`` for ``target`` (``build_options`` such as ``mode="csim", project=DIR`` are
    passed on), run it and ``reference`` on the same random inputs and return the largest
    absolute difference over every output.
    Example: ``run_and_compare(design_softmax(), ref_softmax, [(2, 4)])``."""
    return max_difference(s, reference, random_inputs(shapes, seed), target, **build_options)


def main() -> int:
    """Verify, build and check every layer; print a table. Returns the process exit code."""
    return check_designs("layer", LAYERS, random_inputs, tolerance=1e-5)


if __name__ == "__main__":
    sys.exit(main())
