"""Analyses over a customized design, under the names public Allo's programs import.

Example::

    s = allo.customize(kernel)            # kernel(A, B, C): C[i] = A[i] + B[i]
    analyze_arg_load_store_in_func(s.top_func)   # ['in', 'in', 'out']
    analyze_arg_load_store(s.module)["kernel"]   # the same, for every function
"""

from __future__ import annotations

from typing import Any, Dict, List

from .errors import AlloError
from .ir.effects import param_modes
from .ir.nodes import Func, Module


def _as_module(obj: Any, what: str) -> Module:
    ir = getattr(obj, "ir", obj)  # s.module (printable view) or an IR Module
    if isinstance(ir, Module):
        return ir
    raise AlloError(f"{what} needs a design, got {type(obj).__name__}", where=what,
                    hint="pass s.module (or s.ir) of a Schedule")


def analyze_arg_load_store(module: Any) -> Dict[str, List[str]]:
    """Per function of ``module``, each argument's mode: "in", "out" or "both".

    An argument the function never touches is reported as "in" (it is an input that is
    not read). Example: ``analyze_arg_load_store(s.module)["top"] == ["in", "out"]``.
    """
    modes = param_modes(_as_module(module, "analyze_arg_load_store"))
    return {f: ["in" if m == "none" else m for m in ms] for f, ms in modes.items()}


def analyze_arg_load_store_in_func(func: Any, module: Any = None) -> List[str]:
    """The argument modes of one function (``s.top_func``); see :func:`analyze_arg_load_store`.

    Calls are followed when ``module`` is given; without it, a buffer passed to a callee
    counts as read and written. Example: ``analyze_arg_load_store_in_func(s.top_func)``.
    """
    if not isinstance(func, Func):
        raise AlloError(f"analyze_arg_load_store_in_func needs a function, got "
                        f"{type(func).__name__}", where="analyze_arg_load_store_in_func",
                        hint="pass s.top_func")
    ir = _as_module(module, "analyze_arg_load_store_in_func") if module is not None \
        else Module({func.name: func}, func.name)
    return analyze_arg_load_store(ir)[func.name]
