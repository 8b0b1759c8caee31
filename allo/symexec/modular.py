"""Modular equivalence, the entry point: ``verify_modular(a, b)``.

Calls to a callee pair proved equivalent (structurally identical, proved earlier in this
process, or proved on the spot by its own symbolic execution, once) are compared as
applications of one uninterpreted function of their argument values; the machinery is in
:mod:`allo.symexec.summaries` and the soundness argument in ``docs/verification.md``
("Modular proofs"). The verdict names the method: ``"modular: 1 callee summarized
(tile: proved); ..."``. ``verify()``'s method chooser reaches it by name
(``allo.verification.methods``).

Example::

    >>> from allo.symexec.modular import verify_modular
    >>> v = verify_modular(top_plain, top_systolic)   # doctest: +SKIP
    >>> v.stats["function_runs_A"]["tile"]            # doctest: +SKIP
    1
"""

from __future__ import annotations

from typing import Any

from ..errors import AlloError
from ..ir.verifier import verify_ir
from .equiv import check_equivalence, check_options, has_streams, modular_check, structural_key
from .summaries import forget_proofs, record_proved
from .verdict import EQUIVALENT, UNKNOWN, Verdict


def verify_modular(a: Any, b: Any, *, fp: str = "exact", timeout_ms: int = 10_000,
                   seed: int = 0, random_trials: int = 12, max_ops: int = 200_000_000,
                   progress: Any = None, max_memory: Any = None, **unknown: Any) -> Verdict:
    """Prove two designs equivalent by summarizing the callee pairs proved equivalent.

    "unknown" (never a guess) when no callee pair can be summarized or the summaries
    leave the question open; ``check_equivalence(a, b, modular=True)`` instead falls back
    to full execution then. Options are :func:`~allo.symexec.verify`'s.
    Example: ``assert verify_modular(s_plain.ir, s_systolic.ir)``.
    """
    from . import _as_module

    mod_a, mod_b = _as_module(a), _as_module(b)
    check_options(fp, timeout_ms, seed, random_trials, max_ops, progress, unknown, max_memory)
    for label, mod in (("A", mod_a), ("B", mod_b)):
        try:
            verify_ir(mod)
        except AlloError as e:
            return Verdict(UNKNOWN, "IR verification", f"program {label} is ill-formed IR: {e}")
    if structural_key(mod_a) == structural_key(mod_b) and not has_streams(mod_a):
        return Verdict(EQUIVALENT, "identical programs")
    opts = dict(fp=fp, timeout_ms=timeout_ms, seed=seed, random_trials=random_trials,
                max_ops=max_ops, progress=progress, max_memory=max_memory)
    verdict = modular_check(mod_a, mod_b, opts, fallback=False)
    if verdict:
        record_proved(mod_a, mod_b, fp)
    return verdict


__all__ = ["verify_modular", "check_equivalence", "forget_proofs"]
