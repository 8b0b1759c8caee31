"""Kernel templates: type and value parameters bound at instantiation.

Two spellings declare the parameters:

* Python 3.12+: ``def kernel[T, M: int32](A: "T[M]") -> "T[M]": ...`` (PEP 695);
* Python 3.11: ``@allo.template("T", "M")`` above ``def kernel(A: "T[M]") -> "T[M]"``.

Instances are made by ``allo.customize(kernel, instantiate=[int32, 8])`` or, inside a
kernel, ``kernel[int32, 8](A)`` (an optional trailing string names the instance).

Example::

    >>> import ast
    >>> from allo.frontend.builtins import template
    >>> @template("T", "M")
    ... def k(A: "T[M]"): pass
    >>> [n for n, _ in template_params(k, None)]
    ['T', 'M']
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from ..errors import AlloTypeError
from ..ir.types import AlloType, StreamType

Params = List[Tuple[str, Optional[ast.AST]]]


def template_params(fn: Any, func_def: Optional[ast.FunctionDef]) -> Optional[Params]:
    """``[(name, bound_node), ...]`` for a template kernel, None for a plain one."""
    tps = getattr(func_def, "type_params", None) if func_def is not None else None
    if tps:
        return [(tp.name, getattr(tp, "bound", None)) for tp in tps]
    names = getattr(fn, "__allo_template__", None)
    if names is not None:
        return [(n, None) for n in names]
    return None


def bind(kernel: str, params: Params, args: List[Any],
         error: Callable[[type, str, str], Exception]) -> Dict[str, Any]:
    """Map template parameter names to ``args``; ``error(cls, msg, hint)`` builds errors."""
    if len(args) != len(params):
        names = ", ".join(n for n, _ in params)
        raise error(AlloTypeError, f"template kernel '{kernel}' takes {len(params)} "
                    f"argument(s) [{names}], {len(args)} given", f"instantiate as "
                    f"{kernel}[{names}]")
    out = {}
    for (name, bound), arg in zip(params, args):
        is_type = isinstance(arg, (AlloType, StreamType))
        is_num = isinstance(arg, (int, float, np.integer, np.floating)) and not isinstance(arg, bool)
        if not (is_type or is_num):
            raise error(AlloTypeError, f"template argument {name}={arg!r} of '{kernel}' is "
                        "neither a type nor a number", "pass types (int8, float32) or numbers")
        if bound is not None and is_type:
            raise error(AlloTypeError, f"template parameter '{name}' of '{kernel}' is a value "
                        f"parameter, but the type {arg!r} was given", "pass a number")
        out[name] = arg
    return out


def instance_key(fn: Any, args: Optional[List[Any]]) -> Any:
    """A hashable identity of (kernel, template arguments)."""
    if args is None:
        return (fn, None)
    try:
        key = tuple(args)
        hash(key)
    except TypeError:
        key = tuple(repr(a) for a in args)
    return (fn, key)
