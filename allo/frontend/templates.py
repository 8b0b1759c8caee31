"""Kernel templates: type and value parameters bound at instantiation.

Two spellings declare the parameters:

* Python 3.12+: ``def kernel[T, M: int32](A: "T[M]") -> "T[M]": ...`` (PEP 695);
* Python 3.11: ``@allo.template("T", "M")`` above ``def kernel(A: "T[M]") -> "T[M]"``.

Instances are made by ``allo.customize(kernel, instantiate=[int32, 8])`` or, inside a
kernel, ``kernel[int32, 8](A)`` (an optional trailing string names the instance:
``kernel[int32, 8, "fast"]`` is ``kernel_fast``).

Example::

    >>> import ast
    >>> from allo.builtins import template
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


def param_kinds(func_def: Optional[ast.FunctionDef], names: List[str]) -> Dict[str, str]:
    """How the kernel's annotations use each template parameter: ``"type"`` (``T``,
    ``T[M]``, ``Stream[T, 2]``) or ``"value"`` (``[M]``, ``Fixed(W, F)``). Parameters used
    both ways, or not at all, are left out.

    Example: for ``def k(A: "T[M]")`` it gives ``{"T": "type", "M": "value"}``.
    """
    if func_def is None:
        return {}
    seen: Dict[str, set] = {n: set() for n in names}

    def visit(node: Any, kind: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value.strip(), mode="eval").body
            except SyntaxError:
                return
        if isinstance(node, ast.Name):
            if node.id in seen:
                seen[node.id].add(kind)
        elif isinstance(node, ast.Attribute):
            return  # T.bits reads an attribute: it says nothing about what T is
        elif isinstance(node, ast.Tuple):
            for e in node.elts:
                visit(e, kind)
        elif isinstance(node, ast.Subscript):
            base = node.value.attr if isinstance(node.value, ast.Attribute) else \
                getattr(node.value, "id", None)
            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            visit(node.value, "type")
            for k, e in enumerate(elts):  # Stream[T, depth]; tuple[T1, T2]; T[M, N]
                is_type = base in ("tuple", "Tuple") or (base == "Stream" and k == 0)
                visit(e, "type" if is_type else "value")
        else:
            for child in ast.iter_child_nodes(node):
                visit(child, "value")  # Fixed(W, F), M * 2, ...

    anns = [a.annotation for a in func_def.args.args if a.annotation is not None]
    anns += [func_def.returns] if func_def.returns is not None else []
    anns += [n.annotation for n in ast.walk(func_def) if isinstance(n, ast.AnnAssign)]
    for a in anns:
        visit(a, "type")
    return {n: next(iter(k)) for n, k in seen.items() if len(k) == 1}


def param_bounds(fn: Any, error: Callable[[type, str, str], Exception]) -> Dict[str, Tuple[str, Any]]:
    """The declared bound of each PEP 695 parameter, evaluated now (lazily, as Python
    evaluates them on first access): ``("one of", (float32, int32))`` for
    ``T: (float32, int32)``, ``("value", int32)`` for ``M: int32``, ``("class", Int)`` for
    ``T: Int``. Bare parameters (and the 3.11 spelling) have no entry.

    Example: for ``def k[T: (float32, int32), M: int32](A: "T[M]")`` it gives
    ``{"T": ("one of", (float32, int32)), "M": ("value", int32)}``.
    """
    out: Dict[str, Tuple[str, Any]] = {}
    for tp in getattr(fn, "__type_params__", ()) or ():
        try:
            constraints, bound = getattr(tp, "__constraints__", ()), getattr(tp, "__bound__", None)
        except Exception as e:  # a NameError in the bound, raised now (lazy evaluation)
            raise error(AlloTypeError, f"the bound of template parameter '{tp.__name__}' of "
                        f"'{fn.__name__}' cannot be evaluated: {e}",
                        "bounds must name Allo types, e.g. T: (float32, int32) or M: int32") from None
        if constraints:
            out[tp.__name__] = ("one of", tuple(constraints))
        elif isinstance(bound, type) and issubclass(bound, AlloType):
            out[tp.__name__] = ("class", bound)
        elif bound is not None:
            out[tp.__name__] = ("value", bound)
    return out


def _matches(arg: Any, allowed: Any) -> bool:
    """Does ``arg`` satisfy one constraint: a type (``float32``) or a kind (``Int``)?"""
    if isinstance(allowed, type) and issubclass(allowed, AlloType):
        return isinstance(arg, allowed)
    return arg == allowed


def _check_bound(kernel: str, name: str, arg: Any, bound: Tuple[str, Any], names: str,
                 error: Callable[[type, str, str], Exception]) -> None:
    kind, what = bound
    is_type = isinstance(arg, (AlloType, StreamType))
    if kind == "one of" and not any(_matches(arg, t) for t in what):
        allowed = ", ".join(t.__name__ if isinstance(t, type) else repr(t) for t in what)
        raise error(AlloTypeError, f"template parameter '{name}' of '{kernel}' must be one of "
                    f"({allowed}), but {arg!r} was given", f"pass one of {allowed} for {name}; "
                    f"the parameters are, in order: [{names}]")
    if kind == "class" and not (is_type and isinstance(arg, what)):
        raise error(AlloTypeError, f"template parameter '{name}' of '{kernel}' must be a "
                    f"type of kind {what.__name__}, but {arg!r} was given",
                    f"pass a {what.__name__} type for {name}; the parameters are, in order: "
                    f"[{names}]")


def bind(kernel: str, params: Params, args: List[Any],
         error: Callable[[type, str, str], Exception],
         kinds: Optional[Dict[str, str]] = None,
         bounds: Optional[Dict[str, Tuple[str, Any]]] = None) -> Dict[str, Any]:
    """Map template parameter names to ``args``; ``error(cls, msg, hint)`` builds errors.

    ``kinds`` (from :func:`param_kinds`) lets a value given for a type parameter (or the
    reverse, e.g. swapped arguments) be reported as such; ``bounds`` (from
    :func:`param_bounds`) are checked.

    Example: ``bind("k", [("T", None)], [int8], error) == {"T": int8}``.
    """
    kinds = kinds or {}
    bounds = bounds or {}
    names = ", ".join(n for n, _ in params)
    if len(args) != len(params):
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
        if name in bounds and bounds[name][0] != "value":
            _check_bound(kernel, name, arg, bounds[name], names, error)
            out[name] = arg
            continue
        if (bound is not None or kinds.get(name) == "value") and is_type:
            raise error(AlloTypeError, f"template parameter '{name}' of '{kernel}' expects a "
                        f"number (it is a value parameter), but the type {arg!r} was given",
                        f"pass a number for {name}; the parameters are, in order: [{names}]")
        if kinds.get(name) == "type" and not is_type:
            raise error(AlloTypeError, f"template parameter '{name}' of '{kernel}' expects a "
                        f"type (it is used as a type in the annotations), but {arg!r} was "
                        "given", f"pass a type such as int32 or float32 for {name}; the "
                                 f"parameters are, in order: [{names}]")
        out[name] = arg
    return out


def _annotation_expr(node: Optional[ast.AST]) -> Optional[ast.AST]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.parse(node.value.strip(), mode="eval").body
        except SyntaxError:
            return None
    return node


def infer_from_types(func_def: ast.FunctionDef, names: List[str], arg_types: List[Any]
                     ) -> Tuple[Dict[str, Any], List[Tuple[str, Any, Any, int]]]:
    """Template arguments read off the types of a call's arguments: an annotation ``T`` or
    ``T[M, N]`` binds ``T`` to the element type and ``M``, ``N`` to the sizes. Returns the
    bindings and the conflicts ``(name, first, second, argument position)``; an argument
    whose type is unknown (``None``) or whose annotation is an expression binds nothing.

    Example: for ``def k[T, N](A: "T[N]")`` and an argument of type ``int8[4]`` it gives
    ``({"T": int8, "N": 4}, [])``.
    """
    found: Dict[str, Any] = {}
    conflicts: List[Tuple[str, Any, Any, int]] = []

    def put(name: str, value: Any, pos: int) -> None:
        if name not in names:
            return
        if name in found and found[name] != value:
            conflicts.append((name, found[name], value, pos))
        found.setdefault(name, value)

    for pos, (param, t) in enumerate(zip(func_def.args.args, arg_types)):
        ann = _annotation_expr(param.annotation)
        if t is None or ann is None:
            continue
        dtype, shape = (t.dtype, t.shape) if hasattr(t, "shape") else (t, ())
        if isinstance(ann, ast.Name):
            if not shape:
                put(ann.id, dtype, pos)
            continue
        if isinstance(ann, ast.Subscript):
            if isinstance(ann.value, ast.Name):
                put(ann.value.id, dtype, pos)
            dims = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
            if len(dims) == len(shape):
                for d, size in zip(dims, shape):
                    if isinstance(d, ast.Name):
                        put(d.id, size, pos)
    return found, conflicts


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
