"""``compose``: replay customized sub-kernel schedules into a design.

This is the schedule layer's half of ``Schedule.compose``: which functions of a design
are the kernel a sub-schedule customizes, and how each recorded primitive's arguments are
re-aimed at one of them. The argument kinds come from the primitives' registrations
(:data:`allo.primitives.base.LOOP`, ``BUFFER``, ...): loops and buffers of the sub-kernel
are re-qualified with the target function, a function argument naming the sub-kernel names
the target, values pass unchanged. ``Schedule`` runs the replay as one transaction and
reconciles layouts afterwards (:mod:`allo.typesys.layouts`):

* a layout a kernel asked for on a parameter is a *need*: the buffer bound to it gets the
  least layout that supplies every bound kernel's need (the meet in the partition lattice,
  "we can supply more read/write parallelism, but not less");
* a layout the user set with ``s_top.partition`` directly is *fixed*: if it supplies less
  than a bound kernel needs, ``compose`` refuses with an error naming both kernels, the
  buffer, both layouts and the fix.

Example::

    s_mm = allo.customize(matmul)
    s_mm.partition(s_mm.A, dim=1)
    s_top = allo.customize(top)
    s_top.compose(s_mm)            # the caller's buffers bound to A get dim-1 partitioning
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Dict, Iterable, List, Optional, Sequence

from .errors import ScheduleError
from .ir.nodes import Call, Module, walk_stmts
from .primitives.base import (BUFFER, FUNCTION, LOOP, PRIMITIVES, TARGET, BufferHandle,
                              LoopHandle)


@dataclass(frozen=True)
class Step:
    """One applied primitive as a schedule records it: enough to apply it again.

    Example: ``Step("split", {"axis": "i", "factor": 4})``.
    """

    primitive: str
    arguments: Dict[str, Any]
    options: Dict[str, Any] = field(default_factory=dict)


def matching_functions(module: Module, sub_module: Module, id: Optional[str],
                       instantiate: Optional[list]) -> List[str]:
    """Functions of ``module`` that are the kernel ``sub_module`` customizes.

    Example: ``matching_functions(s_top.ir, s_mm.ir, None, None) == ["matmul"]``.
    """
    sub_top = sub_module.top_func
    template = sub_top.attrs.get("template", sub_top.name)
    found = []
    for func in module.funcs.values():
        if func.name == module.top and func.name != sub_top.name:
            continue
        same = func.name == sub_top.name or func.attrs.get("template") == template
        if not same:
            continue
        # id names an instance ("ln1") or numbers an unnamed one ("1": linear2d_1, as
        # public Allo numbers the instances of a template)
        if id is not None and func.name not in (id, f"{template}_{id}"):
            continue
        if instantiate is not None and list(func.attrs.get("instance_args", [])) != list(instantiate):
            continue
        found.append(func.name)
    return found


def remap(value: Any, old: str, new: str, funcs: Iterable[str] = (),
          renames: Optional[Dict[str, str]] = None) -> Any:
    """Re-aim a loop or buffer reference from function ``old`` to function ``new``
    (``funcs``: the other functions of the sub-schedule's design, whose names stay unless
    ``renames`` maps them to the target's instance of that callee).
    Numbers (a tile factor among its loops) pass unchanged.

    Example: ``remap("i", "matmul", "matmul_0") == "matmul_0:i"``.
    """
    names = {**(renames or {}), old: new}

    def fn(name: str) -> str:
        return names.get(name, name)

    if isinstance(value, str):
        parts = value.split(":")
        if len(parts) == 1:
            return f"{new}:{value}"
        if len(parts) == 2:  # "func:i" or "band:i"
            if parts[0] in names:
                return f"{fn(parts[0])}:{parts[1]}"
            return value if parts[0] in funcs else f"{new}:{value}"
        return f"{fn(parts[0])}:{parts[1]}:{parts[2]}" if parts[0] in names else value
    if isinstance(value, BufferHandle):
        return BufferHandle(fn(value.func), value.name)
    if isinstance(value, LoopHandle):
        return LoopHandle(fn(value.func), value.band, value.name)
    if isinstance(value, list):
        return [remap(v, old, new, funcs, renames) for v in value]
    if isinstance(value, tuple):
        return tuple(remap(v, old, new, funcs, renames) for v in value)
    if is_dataclass(value) and not isinstance(value, type) and any(f.name == "func" for f in fields(value)):
        return replace(value, func=fn(getattr(value, "func")))
    return value


def callee_renames(sub_module: Module, sub_func: str, module: Module, target: str) -> Dict[str, str]:
    """The functions the sub-schedule's kernel calls (directly or not), each mapped to
    the function called at the same call site in the target instance: a composed
    schedule that itself composed a callee (a systolic tile) replays onto the target's
    own instance of that callee, not onto a function of the same name. A callee the
    two call graphs do not pair one to one keeps its name.

    Example: ``callee_renames(s_sys.ir, "systolic", s_top.ir, "FFN2") ==
    {"systolic_tile_0": "systolic_tile_1"}``.
    """
    pairs: Dict[str, str] = {}
    clash: set = set()

    def calls(mod: Module, name: str) -> List[str]:
        return [s.callee for s in walk_stmts(mod.funcs[name].body) if isinstance(s, Call)]

    def visit(a: str, b: str) -> None:
        mine, theirs = calls(sub_module, a), calls(module, b)
        if len(mine) != len(theirs):
            return
        for x, y in zip(mine, theirs):
            if x in clash or x not in sub_module.funcs or y not in module.funcs:
                continue
            if x in pairs:
                if pairs[x] != y:
                    clash.add(x)
                    del pairs[x]
                continue
            pairs[x] = y
            visit(x, y)

    visit(sub_func, target)
    return pairs


def remap_argument(kind: str, value: Any, old: str, new: str, funcs: Sequence[str],
                   renames: Optional[Dict[str, str]] = None) -> Any:
    """Re-aim one argument of the given kind (see :mod:`allo.primitives.base`).

    Example: ``remap_argument(FUNCTION, None, "scale", "second", []) == "second"``.
    """
    renames = renames or {}
    if kind == FUNCTION and value is None:
        return new  # the sub-schedule's default function is its top: the kernel itself
    if value is None:
        return None
    if kind in (LOOP, BUFFER):
        return remap(value, old, new, funcs, renames)
    if kind == FUNCTION:
        return new if value == old else renames.get(value, value)
    if kind == TARGET:  # a function name, else a loop
        if value == old:
            return new
        if isinstance(value, str) and value in funcs:
            return renames.get(value, value)
        return remap(value, old, new, funcs, renames)
    return value


def remap_step(step: Step, old: str, new: str, funcs: Sequence[str],
               renames: Optional[Dict[str, str]] = None) -> Step:
    """``step`` re-aimed from kernel ``old`` to its instance ``new`` (and the kernels it
    calls to the target's instances of them, ``renames``).

    Example: ``remap_step(Step("split", {"axis": "i", "factor": 2}), "mm", "mm_1", [])``.
    """
    kinds = PRIMITIVES[step.primitive].kinds
    arguments = {k: remap_argument(kinds[k], v, old, new, funcs, renames)
                 for k, v in step.arguments.items()}
    return Step(step.primitive, arguments, dict(step.options))


def replay_plan(module: Module, sub_module: Module, steps: Sequence[Step], id: Optional[str],
                instantiate: Optional[list]) -> List[Step]:
    """The steps that replay ``steps`` (recorded on ``sub_module``) onto every matching
    function of ``module``; refuses when no function matches.

    Example: ``for step in replay_plan(s_top.ir, s_mm.ir, s_mm.steps, None, None): ...``.
    """
    targets = matching_functions(module, sub_module, id, instantiate)
    if not targets:
        wanted = sub_module.top + (f" (id={id!r})" if id else "") + \
            (f" (instantiate={instantiate!r})" if instantiate else "")
        raise ScheduleError(f"no function of this design is the kernel {wanted}", where="compose",
                            hint=f"functions of this design: {', '.join(module.funcs)}")
    others = [f for f in sub_module.funcs if f != sub_module.top]
    return [remap_step(step, sub_module.top, target, others,
                       callee_renames(sub_module, sub_module.top, module, target))
            for target in targets for step in steps]


__all__ = ["Step", "matching_functions", "remap", "remap_argument", "remap_step", "replay_plan"]
