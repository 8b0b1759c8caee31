"""Entry point of the frontend: Python function (and every kernel it calls) -> Module.

Example::

    >>> import allo.frontend as fe
    >>> from allo.ir.types import int32
    >>> def inc(A: int32[4]):
    ...     for i in range(4):
    ...         A[i] += 1
    >>> m = fe.parse(inc)                                         # doctest: +SKIP
    >>> m.top, [p.name for p in m.top_func.params]                # doctest: +SKIP
    ('inc', ['A'])
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Dict, List, Optional

from ..errors import AlloNameError, AlloSyntaxError, AlloTypeError
from ..ir.nodes import MAX_EXPR_DEPTH, Func, Module, too_deep
from .context import Resolver, SourceInfo
from .stmts import FuncLowerer
from .templates import bind, instance_key, param_bounds, param_kinds, template_params


class ModuleBuilder:
    """Lowers kernels on demand, once per (kernel, template arguments)."""

    def __init__(self, caller_frame: Any, global_vars: Optional[Dict[str, Any]] = None):
        self.caller_frame = caller_frame
        self.global_vars = dict(global_vars or {})
        self.funcs: Dict[str, Optional[Func]] = {}
        self.names: Dict[Any, str] = {}
        self.in_progress: set = set()
        self.instance_counts: Dict[str, int] = {}
        self.sources: Dict[Any, SourceInfo] = {}

    def source(self, fn: Any) -> SourceInfo:
        if fn not in self.sources:
            self.sources[fn] = SourceInfo.of(fn)
        return self.sources[fn]

    def get_func(self, fn: Any, args: Optional[List[Any]], inst_name: Optional[str],
                 node: Any, caller: Any, top: bool = False) -> Func:
        """The Func for ``fn`` (instantiated with ``args``), lowering it on first use.

        ``node``/``caller`` locate errors at the call site (None at the top level).
        """
        info = self.source(fn)

        def error(cls: type, msg: str, hint: str) -> Exception:
            if caller is not None:
                return caller.err(cls, msg, node, hint)
            return cls(msg, loc=info.loc(info.func_def), hint=hint)

        params = template_params(fn, info.func_def)
        if params is None and args is not None:
            raise error(AlloTypeError, f"kernel '{fn.__name__}' is not a template, so it takes "
                        "no template arguments", f"call it directly: {fn.__name__}(...)")
        if params is not None and args is None:
            names = ", ".join(n for n, _ in params)
            raise error(AlloTypeError, f"kernel '{fn.__name__}' is a template with parameters "
                        f"[{names}]; it needs template arguments",
                        f"instantiate it: {fn.__name__}[...](...) in a kernel, or "
                        "allo.customize(kernel, instantiate=[...])")
        kinds = param_kinds(info.func_def, [n for n, _ in params]) if params is not None else {}
        bindings = bind(fn.__name__, params, args, error, kinds, param_bounds(fn, error)) \
            if params is not None else {}
        key = (instance_key(fn, args), inst_name)  # a named instance is its own Func
        if key in self.in_progress:
            raise error(AlloSyntaxError, f"kernel '{fn.__name__}' calls itself (recursion is "
                        "not supported)", "unroll the recursion into loops")
        if key in self.names:
            return self.funcs[self.names[key]]
        name = self.choose_name(fn, params is not None, inst_name, top, error)
        self.names[key] = name
        self.funcs[name] = None  # reserve (keeps the module's order: callers first)
        self.in_progress.add(key)
        attrs = {}
        if params is not None:
            attrs = {"template": fn.__name__, "instance_args": list(args)}
        resolver = Resolver(fn, bindings, self.caller_frame, self.global_vars)
        # a function may bring its own lowering (an allo.dataflow region does)
        lowerer = getattr(fn, "__allo_lowerer__", FuncLowerer)
        try:
            func = lowerer(self, fn, info, resolver, name, attrs,
                           evaluated_annotations=params is None).run()
        finally:
            self.in_progress.discard(key)
        self.funcs[name] = func
        return func

    def choose_name(self, fn: Any, is_template: bool, inst_name: Optional[str], top: bool,
                    error: Any) -> str:
        base = fn.__name__
        if inst_name is not None:
            if not inst_name.isidentifier():
                raise error(AlloNameError, f"instance name {inst_name!r} is not an identifier",
                            "use letters, digits and '_'")
            name = f"{base}_{inst_name}"  # public Allo's spelling: systolic[..., "FFN1"] -> systolic_FFN1
            if name in self.funcs:
                raise error(AlloNameError, f"a kernel named '{name}' already exists",
                            "choose another instance name")
            return name
        if is_template and not top:
            while True:
                n = self.instance_counts.get(base, 0)
                self.instance_counts[base] = n + 1
                if f"{base}_{n}" not in self.funcs:
                    return f"{base}_{n}"
        name, k = base, 1
        while name in self.funcs:  # two different Python functions with one __name__
            name, k = f"{base}_{k}", k + 1
        return name


def parse(fn: Any, instantiate: Optional[List[Any]] = None, *, caller_frame: Any = None,
          global_vars: Optional[Dict[str, Any]] = None) -> Module:
    """Parse kernel ``fn`` and every kernel it calls into a :class:`Module`.

    ``instantiate`` binds a template kernel's parameters; ``caller_frame`` is the frame
    whose locals (and whose callers' locals) resolve names the kernel does not find in
    its closure or globals (defaults to the caller of ``parse``); ``global_vars`` maps
    names to values that take precedence over the kernel's globals.

    Example: ``parse(gemm).top == "gemm"``; ``parse(k, [int32, 8]).top_func.attrs["template"]``.
    """
    if caller_frame is None:
        caller_frame = sys._getframe(1)
    if instantiate is not None and not isinstance(instantiate, (list, tuple)):
        name = getattr(fn, "__name__", repr(fn))
        raise AlloTypeError(f"instantiate= must be a list of template arguments, got "
                            f"{instantiate!r}", where=f"allo.customize({name})",
                            hint=f"write instantiate=[{instantiate!r}] (one entry per "
                                 "template parameter, in order)")
    if global_vars is not None and not isinstance(global_vars, dict):
        raise AlloTypeError(f"global_vars= must be a dict of names to values, got "
                            f"{type(global_vars).__name__}", where="allo.customize",
                            hint="write global_vars={\"M\": 32}")
    mb = ModuleBuilder(caller_frame, global_vars)
    args = list(instantiate) if instantiate is not None else None
    if args is not None and template_params(fn, mb.source(fn).func_def) is None:
        # public Allo ignores instantiate= on a plain kernel; say so instead of failing
        warnings.warn(f"kernel '{getattr(fn, '__name__', fn)}' is not a template: "
                      f"instantiate={instantiate!r} is ignored", UserWarning, stacklevel=3)
        args = None
    func = mb.get_func(fn, args, None, None, None, top=True)
    module = Module({n: f for n, f in mb.funcs.items() if f is not None}, func.name)
    for f in module.funcs.values():
        deep = too_deep(f)
        if deep is not None:
            raise AlloSyntaxError(f"expression nested too deeply ({deep[1]} levels; the limit "
                                  f"is {MAX_EXPR_DEPTH})", loc=deep[0].loc,
                                  hint="split it into several statements with temporaries")
    return module
