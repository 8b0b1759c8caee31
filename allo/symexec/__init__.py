"""Whole-design verification: symbolic execution of statically interpretable control flow.

Pipeline: :mod:`.codegen` compiles each IR function once into Python source specialised
per statement; running it builds raw hash-consed nodes (:mod:`.builders`, :mod:`.dag`);
:mod:`.equiv` compares live-outs by node id, canonicalizes only differing cells
(:mod:`.canon`), then searches concrete inputs and asks z3 (:mod:`.z3_encode`); every
"not equivalent" is replayed on the reference interpreter (:mod:`.replay`).

Example::

    >>> from allo.symexec import verify
    >>> v = verify(module_a, module_b)        # doctest: +SKIP
    >>> print(v)                              # doctest: +SKIP
    verdict: equivalent
    method: symbolic execution: identical canonical expressions
"""

from __future__ import annotations

from typing import Any

from ..errors import VerificationError
from ..ir.nodes import Module
from .dag import Dag
from .equiv import check_equivalence
from .canon import canonical
from .executor import FifoIssue, NotSICF, OutOfBounds, SymbolicExecutor, run_symbolic
from .verdict import Counterexample, Verdict


def _as_module(x: Any) -> Module:
    if isinstance(x, Module):
        return x
    for attr in ("module_ir", "ir", "module"):  # schedules / kernels carry their IR
        m = getattr(x, attr, None)
        if isinstance(m, Module):
            return m
    raise VerificationError(f"verify() takes IR Modules (or objects holding one), got "
                            f"{type(x).__name__}", where="verify",
                            hint="pass allo.customize(kernel) schedules or allo.ir Modules")


def verify(a: Any, b: Any, **opts: Any) -> Verdict:
    """Prove ``a`` and ``b`` equivalent, or show an input on which they differ.

    Options: ``fp="exact"|"reassoc"``, ``timeout_ms``, ``seed``, ``random_trials``,
    ``max_ops``, ``max_memory`` (bytes), ``progress`` (a progress bar on stderr for runs
    over 2 s; default: TTY).
    An unknown or ill-typed option raises :class:`~allo.errors.VerificationError`;
    structurally identical programs without FIFOs are "equivalent" at once; ill-formed IR is "unknown".
    Example: ``assert verify(mod, mod.copy())``.
    """
    return check_equivalence(_as_module(a), _as_module(b), **opts)


__all__ = ["verify", "check_equivalence", "Verdict", "Counterexample", "Dag",
           "SymbolicExecutor", "run_symbolic", "NotSICF", "OutOfBounds", "FifoIssue", "canonical"]
