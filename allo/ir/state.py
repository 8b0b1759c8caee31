"""A design's state: the ``Stateful`` buffers of its functions.

``x: int32 @ Stateful = 0`` becomes an :class:`~allo.ir.nodes.Alloc` with
``stateful=True`` at the top level of its function. Its storage lives as long as the built
design (C ``static``; an LLVM global; one array per interpreter), is initialised once from
the ``Alloc``'s constant ``init``, and is shared by every call of the function, from
any call site. Every consumer asks this module which buffers are state, so they agree:

* the interpreter, LLVM and HLS keep one storage per :func:`StateVar.key`;
* ``verify()`` treats each state buffer as an input (symbolic initial contents, the same
  leaves in both programs) and an output (its final contents), and compares the state
  tables (:func:`state_signature`) of the two designs first;
* a function that holds state, or calls one that does, is not pure
  (:func:`impure_funcs`): two calls with equal arguments may return different values, and
  reordering, duplicating or dropping its calls changes the design.

Example::

    >>> from allo.ir.nodes import Alloc, Const, Func, Module, Return
    >>> from allo.ir.types import int32
    >>> f = Func("f", [], [], [Alloc("acc", int32[()], Const(0, int32), stateful=True)])
    >>> [v.key for v in state_vars(Module({"f": f}, "f"))]
    ['acc']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set, Tuple

import numpy as np

from .nodes import Alloc, Call, Const, Func, Module, walk_stmts
from .types import BufferType


def state_key(module: Module, func: str, name: str) -> str:
    """The design-wide name of state ``name`` of function ``func``: ``"name"`` in the top
    function (so two designs compare whatever their top functions are called), else
    ``"func.name"``. Example: ``state_key(m, m.top, "acc") == "acc"``.
    """
    return name if func == module.top else f"{func}.{name}"


@dataclass(frozen=True)
class StateVar:
    """One state buffer: ``func``'s stateful ``Alloc`` named ``name``; ``key`` is its
    design-wide name (:func:`state_key`)."""

    func: str
    name: str
    type: BufferType
    init: Any  # None (zeros), a Const, or a numpy table
    alloc: Alloc
    key: str


def func_state(func: Func) -> List[Alloc]:
    """The stateful ``Alloc``s of ``func``, in program order.

    Example: ``func_state(f) == []`` for a function without ``Stateful`` locals.
    """
    return [s for s in walk_stmts(func.body) if isinstance(s, Alloc) and s.stateful]


def has_state(module: Module) -> bool:
    """Whether any function of ``module`` holds state. Example: ``has_state(m) is False``."""
    return any(func_state(f) for f in module.funcs.values())


def state_vars(module: Module) -> List[StateVar]:
    """The state of the functions reachable from the top function, callees first.

    Example: ``[v.key for v in state_vars(m)] == ["inner.counter", "counter"]`` for a top
    function ``outer`` calling ``inner``, each with a Stateful ``counter``.
    """
    reachable = _reachable(module)
    out = []
    for name in module.call_order():
        if name in reachable:
            for s in func_state(module.funcs[name]):
                t = s.type if isinstance(s.type, BufferType) else BufferType(s.type, ())
                out.append(StateVar(name, s.name, t, s.init, s, state_key(module, name, s.name)))
    return out


def _reachable(module: Module) -> Set[str]:
    seen: Set[str] = set()
    stack = [module.top]
    while stack:
        name = stack.pop()
        if name in seen or name not in module.funcs:
            continue
        seen.add(name)
        stack.extend(s.callee for s in walk_stmts(module.funcs[name].body) if isinstance(s, Call))
    return seen


def impure_funcs(module: Module) -> Set[str]:
    """Functions that hold state or (transitively) call one that does: not pure functions
    of their arguments (the trust rule of docs/semantics.md).

    Example: ``"acc" in impure_funcs(m)`` when ``acc`` declares ``x: int32 @ Stateful``.
    """
    impure = {n for n, f in module.funcs.items() if func_state(f)}
    changed = True
    while changed:
        changed = False
        for n, f in module.funcs.items():
            if n not in impure and any(isinstance(s, Call) and s.callee in impure
                                       for s in walk_stmts(f.body)):
                impure.add(n)
                changed = True
    return impure


def _init_key(init: Any) -> Tuple[Any, ...]:
    if init is None:
        return ("zeros",)
    if isinstance(init, Const):
        return ("const", repr(init.value), repr(init.type))
    arr = np.asarray(init)
    return ("table", str(arr.dtype), arr.shape, arr.tobytes() if arr.dtype != object
            else repr(arr.tolist()))


def state_signature(module: Module) -> Dict[str, Tuple[Any, ...]]:
    """``key -> (element type, shape, initial value)`` of every state buffer: two designs
    may be compared call by call only when these are equal (the same state, starting from
    the same values). Memory layouts are left out (they never change values).

    Example: ``state_signature(m) == {"total": (int32, (), ("const", "0", "int32"))}``.
    """
    return {v.key: (v.type.dtype, v.type.shape, _init_key(v.init)) for v in state_vars(module)}


def state_mismatch(a: Module, b: Module) -> Optional[str]:
    """Why two designs' states cannot be compared (None when their signatures match).

    Example: ``state_mismatch(stateful, stateless)`` names the state only one side has.
    """
    sa, sb = state_signature(a), state_signature(b)
    if sa == sb:
        return None
    only_a, only_b = sorted(set(sa) - set(sb)), sorted(set(sb) - set(sa))
    if only_a or only_b:
        parts = []
        if only_a:
            parts.append(f"only program A has state {', '.join(only_a)}")
        if only_b:
            parts.append(f"only program B has state {', '.join(only_b)}")
        return "; ".join(parts)
    diff = sorted(k for k in sa if sa[k] != sb[k])
    return f"state {', '.join(diff)} differs in type, shape or initial value"


__all__ = ["StateVar", "state_key", "func_state", "has_state", "state_vars", "impure_funcs",
           "state_signature", "state_mismatch"]
