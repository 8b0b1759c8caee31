"""Checking a table of designs against numpy references (the examples' harness).

Example::

    from allo.testing.designs import max_difference, check_designs

    diff = max_difference(design_gemm(), ref_gemm, [A, B, C])   # largest |allo - numpy|
    exit_code = check_designs("kernel", {"gemm": (design_gemm, ref_gemm, shapes)},
                              random_inputs, tolerance=1e-4)
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np


def matrix_inputs(shapes: Sequence[Tuple[Any, ...]], seed: int = 0) -> List[np.ndarray]:
    """Random inputs for numerical kernels; each entry is ``(shape, dtype[, kind])``.

    Kinds: ``"uniform"`` (default: floats in [0, 1), ints in [0, 100)), ``"spd"`` (a
    symmetric positive definite matrix, for Cholesky), ``"dominant"`` (a diagonally
    dominant matrix, lower-triangular solves and LU need no pivoting), ``"small"`` (floats
    in [0, 0.2), keeps recurrences such as Levinson-Durbin bounded), ``"base"`` (ints in
    [0, 4), RNA bases) and ``"zeros"``. Example:
    ``matrix_inputs([((4, 4), np.float32, "spd")])[0]`` is symmetric positive definite.
    """
    rng = np.random.default_rng(seed)
    out = []
    for entry in shapes:
        shape, dtype = entry[0], entry[1]
        kind = entry[2] if len(entry) > 2 else "uniform"
        if kind == "zeros":
            a = np.zeros(shape)
        elif kind == "base":
            a = rng.integers(0, 4, size=shape)
        elif np.issubdtype(dtype, np.integer):
            a = rng.integers(0, 100, size=shape)
        else:
            a = rng.random(shape)
            if kind == "spd":
                a = a @ a.T / shape[0] + np.eye(shape[0])
            elif kind == "dominant":
                a = a + shape[0] * np.eye(shape[0])
            elif kind == "small":
                a = a * 0.2
            elif kind != "uniform":
                raise ValueError(f"unknown input kind {kind!r}")
        out.append(np.ascontiguousarray(a.astype(dtype)))
    return out


def _as_list(value: Any) -> List[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def max_difference(schedule: Any, reference: Callable, inputs: Sequence[np.ndarray],
                   target: str = "llvm", **build_options: Any) -> float:
    """Run ``schedule`` built for ``target`` and ``reference`` on copies of ``inputs``; return
    the largest absolute difference over every output (returned values and updated arrays)."""
    ours, theirs = [a.copy() for a in inputs], [a.copy() for a in inputs]
    got = _as_list(schedule.build(target=target, **build_options)(*ours))
    want = _as_list(reference(*theirs))
    if len(got) != len(want):
        raise AssertionError(f"{len(got)} results, numpy gives {len(want)}")
    diff = 0.0
    for a, b in zip(got + ours, want + theirs):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            raise AssertionError(f"result shape {a.shape}, numpy gives {b.shape}")
        diff = max(diff, float(np.abs(a - b).max()) if a.size else 0.0)
    return diff


def check_designs(label: str, table: Dict[str, Tuple[Callable, Callable, Any]],
                  make_inputs: Callable[[Any], Sequence[np.ndarray]], tolerance: float) -> int:
    """Verify every ``design()`` of ``table`` (name -> (design, reference, shapes)), compare its
    LLVM build with the reference on ``make_inputs(shapes)``, print a table; return the exit
    code (1 if any design is not proved equivalent or differs by more than ``tolerance``)."""
    print(f"{label:<16} {'verdict':<12} {'method':<52} {'verify s':>8} {'llvm vs numpy':>14}")
    failures = 0
    for name, (design, reference, shapes) in table.items():
        s = design()
        start = time.perf_counter()
        verdict = s.verify()
        seconds = time.perf_counter() - start
        diff = max_difference(s, reference, make_inputs(shapes))
        ok = bool(verdict) and diff <= tolerance
        failures += not ok
        print(f"{name:<16} {verdict.status:<12} {str(verdict.method)[:52]:<52} {seconds:8.2f} "
              f"{diff:14.2e}{'' if ok else '  <-- FAILED'}")
    print(f"{len(table) - failures}/{len(table)} {label}s proved equivalent and equal to numpy")
    return 1 if failures else 0
