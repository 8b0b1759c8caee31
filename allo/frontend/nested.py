"""Nested function definitions inside a kernel.

A ``def`` in a kernel body defines a helper kernel that the rest of the body may call,
exactly as if it were defined at module level: it becomes its own ``Func`` and every call
is an ordinary ``Call``. It sees the names the enclosing kernel sees from Python (globals,
closure variables, template bindings), but not the enclosing kernel's buffers or
scalars: those are runtime values, and a helper receives them as arguments.

Example::

    def kernel(A: int32[10]) -> int32[10]:
        B: int32[10] = 0

        def inc(x: int32) -> int32:
            return x + 1

        for i in range(10):
            B[i] = inc(A[i])
        return B

The names a nested function binds itself (the rest must not be the kernel's locals)::

    >>> import ast
    >>> sorted(_bound_names(ast.parse("def f(x): y = x + z").body[0]))
    ['x', 'y']
"""

from __future__ import annotations

import __future__
import ast
import copy
from typing import Any, Set

from ..errors import AlloNameError, AlloSyntaxError

# The helper's annotations stay unevaluated strings, like a template's: the frontend
# evaluates them when it lowers the helper (template parameters may appear in them).
_LAZY_ANNOTATIONS = __future__.annotations.compiler_flag


def _bound_names(fd: ast.FunctionDef) -> Set[str]:
    """The names a function binds itself: parameters, type parameters and stored names."""
    args = fd.args
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    names |= {p.name for p in getattr(fd, "type_params", [])}
    for n in ast.walk(fd):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            names.add(n.id)
        elif isinstance(n, ast.FunctionDef) and n is not fd:
            names.add(n.name)
    return names


def lower_nested_def(fl: Any, node: ast.FunctionDef) -> None:
    """Define the helper kernel of ``node`` and bind its name in ``fl``'s kernel body.

    Example: for ``def inc(x: int32) -> int32: ...`` in a kernel, ``inc(A[i])`` then calls
    a Func ``inc`` lowered from that ``def``.
    """
    from .exprs import Symbol

    if node.decorator_list:
        raise fl.err(AlloSyntaxError, "decorators are not supported on a nested function "
                     "definition", node,
                     hint="define the decorated function at module level")
    if node.name in fl.symbols:
        raise fl.err(AlloNameError, f"'{node.name}' is already declared in this kernel", node,
                     hint="give the nested function a name of its own")
    bound = _bound_names(node)
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in bound:
            sym = fl.symbols.get(n.id)
            if sym is not None and sym.kind not in ("const",):
                raise fl.err(AlloNameError, f"nested function '{node.name}' uses '{n.id}' of "
                             "the enclosing kernel", n,
                             hint=f"pass '{n.id}' to '{node.name}' as an argument")
    info = fl.info
    fd = copy.deepcopy(node)
    module = ast.Module([fd], [])
    ast.increment_lineno(module, info.first_line - 1)
    # the real file and line: inspect reads the helper's source from there, as for any kernel
    code = compile(module, info.file, "exec", flags=_LAZY_ANNOTATIONS, dont_inherit=True)
    namespace = dict(fl.resolver.globals)
    namespace.update(fl.resolver.closure)
    namespace.update(fl.resolver.bindings)
    namespace.update({k: s.value for k, s in fl.symbols.items() if s.kind == "const"})
    local: dict = {}
    exec(code, namespace, local)  # runs only the 'def' statement: it creates the function
    fl.symbols[node.name] = Symbol("const", None, local[node.name])
