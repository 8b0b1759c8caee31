"""Independent checks of verdicts against the reference interpreter (test helpers).

Example: ``assert_confirmed(a, b, verify(a, b))``.
"""

from __future__ import annotations

import numpy as np

from allo.backends.interp import Interpreter
from allo.testing import copy_args, outputs_equal


def _run(mod, args):
    mine = copy_args(args)
    try:
        with np.errstate(all="ignore"):
            ret = Interpreter(mod)(*mine)
    except Exception as exc:  # noqa: BLE001 - a failing program is an outcome here
        return ("error", type(exc).__name__)
    return ("ok", ret, mine)


def differ(a, b, args) -> bool:
    """Do modules ``a`` and ``b`` produce different results (or failures) on ``args``?"""
    ra, rb = _run(a, args), _run(b, args)
    if ra[0] != rb[0]:
        return True
    if ra[0] == "error":
        return False
    return not (outputs_equal(ra[1], rb[1]) and outputs_equal(ra[2], rb[2]))


def assert_confirmed(a, b, v) -> None:
    """``v`` is "not equivalent" and its counterexample really separates ``a`` and ``b``."""
    assert v.status == "not equivalent", v.report()
    cex = v.counterexample
    assert cex.error_a or cex.error_b or (cex.output and cex.expr_a and cex.expr_b)
    assert differ(a, b, list(cex.inputs.values())), v.report()


def random_args(func, rng, small: bool):
    """Random numpy arguments for ``func`` (calling convention), small or full-range."""
    from allo.ir.types import BufferType, Fixed, Float
    out = []
    for p in func.params:
        t = p.type
        shape = t.shape if isinstance(t, BufferType) else ()
        et = t.dtype if isinstance(t, BufferType) else t
        if isinstance(et, Float):
            vals = rng.standard_normal(shape) * (4 if small else 1e3)
        elif isinstance(et, Fixed):
            vals = rng.integers(-8, 8, shape) / 4.0
        else:
            lo, hi = (et.min, et.max) if hasattr(et, "min") else (-(1 << 62), 1 << 62)
            if small:
                lo, hi = max(lo, -8), min(hi, 8)
            vals = rng.integers(lo, hi, shape, endpoint=True, dtype=object) if et.bits > 62 \
                else rng.integers(lo, hi, shape, endpoint=True)
        arr = np.asarray(vals).astype(et.numpy_dtype()) if shape else \
            et.numpy_dtype().type(vals if not hasattr(vals, "item") else vals.item())
        out.append(arr)
    return out


def assert_agree_on_random_inputs(a, b, trials: int = 6, seed: int = 0) -> None:
    """For an "equivalent" verdict: the interpreter agrees on several random inputs."""
    rng = np.random.default_rng(seed)
    for t in range(trials):
        args = random_args(a.top_func, rng, small=t % 2 == 0)
        assert not differ(a, b, args), f"verdict 'equivalent' but the programs differ on {args}"
