"""``compose``: replay customized sub-kernel schedules into a design, with the interfaces
checked by partition types.

``s_top.compose(s_matmul)`` finds every function of ``s_top``'s design that is the kernel
``s_matmul`` customized (same name, or an instance of the same template; ``id=`` picks one
named instance, ``instantiate=`` the instances with those template arguments), replays
``s_matmul``'s recorded primitives onto each (each replayed primitive is checked again and
keeps its own certificate), and then reconciles memory layouts across the hierarchy:

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

from dataclasses import fields, is_dataclass, replace
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from ..errors import ScheduleError
from ..ir.nodes import Alloc, Module, walk_stmts
from ..ir.types import BufferType
from .base import BufferHandle, LoopHandle


def matching_functions(module: Module, sub_module: Module, id: Optional[str],
                       instantiate: Optional[list]) -> List[str]:
    """Functions of ``module`` that are the kernel ``sub_module`` customizes."""
    sub_top = sub_module.top_func
    template = sub_top.attrs.get("template", sub_top.name)
    found = []
    for func in module.funcs.values():
        if func.name == module.top and func.name != sub_top.name:
            continue
        same = func.name == sub_top.name or func.attrs.get("template") == template
        if not same:
            continue
        if id is not None and func.name != id:
            continue
        if instantiate is not None and list(func.attrs.get("instance_args", [])) != list(instantiate):
            continue
        found.append(func.name)
    return found


def remap(value: Any, old: str, new: str, funcs: Iterable[str] = ()) -> Any:
    """Re-aim a recorded primitive argument from function ``old`` to function ``new``
    (``funcs``: the other functions of the sub-schedule's design, whose names stay)."""
    if isinstance(value, str):
        parts = value.split(":")
        if len(parts) == 1:
            return f"{new}:{value}"
        if len(parts) == 2:  # "func:i" or "band:i"
            if parts[0] == old:
                return f"{new}:{parts[1]}"
            return value if parts[0] in funcs else f"{new}:{value}"
        return f"{new}:{parts[1]}:{parts[2]}" if parts[0] == old else value
    if isinstance(value, BufferHandle):
        return BufferHandle(new, value.name) if value.func == old else value
    if isinstance(value, LoopHandle):
        return LoopHandle(new, value.band, value.name) if value.func == old else value
    if isinstance(value, list):
        return [remap(v, old, new, funcs) for v in value]
    if isinstance(value, tuple):
        return tuple(remap(v, old, new, funcs) for v in value)
    if is_dataclass(value) and not isinstance(value, type) and any(f.name == "func" for f in fields(value)):
        return replace(value, func=new) if getattr(value, "func") == old else value
    return value


# argument names that hold loops or buffers (everything else is passed unchanged)
_NAMED_ARGUMENTS = {"axis", "axes", "target", "buffer", "pe", "band", "producer", "consumer",
                    "dst", "func", "args"}


def remap_arguments(arguments: Dict[str, Any], old: str, new: str,
                    funcs: Iterable[str] = ()) -> Dict[str, Any]:
    out = {}
    for key, value in arguments.items():
        if key == "args":  # tile(x, y, xf, yf): loops first, factors after
            out[key] = [remap(v, old, new, funcs) if isinstance(v, (str, LoopHandle)) else v for v in value]
        elif key in _NAMED_ARGUMENTS and not (key == "axis" and isinstance(value, (int, list)) and
                                               all(isinstance(v, int) for v in (value if isinstance(value, list) else [value]))):
            out[key] = remap(value, old, new, funcs)
        else:
            out[key] = value
    return out


def compose(schedule: Any, schs: Any, id: Optional[str] = None,
            instantiate: Optional[list] = None) -> None:
    """Replay ``schs`` (one schedule or several) into ``schedule``; see the module docstring."""
    from ..schedule import Schedule

    subs = list(schs) if isinstance(schs, (list, tuple)) else [schs]
    for sub in subs:
        if not isinstance(sub, Schedule):
            raise ScheduleError(f"compose expects schedules, got {type(sub).__name__}",
                                where="compose", hint="pass the result of allo.customize(kernel)")
        if sub is schedule:
            raise ScheduleError("a schedule cannot be composed into itself", where="compose",
                                hint="compose the schedules of the kernels this design calls")
    # all or nothing: a refused replay leaves the schedule as it was
    saved = (schedule._ir, list(schedule.history), list(schedule._replay), set(schedule._fixed_layouts))
    try:
        _replay_all(schedule, subs, id, instantiate)
    except BaseException:
        schedule._ir, schedule.history, schedule._replay, schedule._fixed_layouts = saved
        raise


def _replay_all(schedule: Any, subs: List[Any], id: Optional[str], instantiate: Optional[list]) -> None:
    for sub in subs:
        targets = matching_functions(schedule.ir, sub.ir, id, instantiate)
        if not targets:
            wanted = sub.ir.top + (f" (id={id!r})" if id else "") + \
                (f" (instantiate={instantiate!r})" if instantiate else "")
            raise ScheduleError(f"no function of this design is the kernel {wanted}",
                                where="compose",
                                hint=f"functions of this design: {', '.join(schedule.ir.funcs)}")
        for target in targets:
            for primitive, arguments, options in sub._replay:
                others = [f for f in sub.ir.funcs if f != sub.ir.top]
                schedule._apply_replayed(primitive, remap_arguments(arguments, sub.ir.top, target, others),
                                         options)
    schedule._reconcile_layouts()


def layouts_of(module: Module) -> Dict[Tuple[str, str], Any]:
    """Every buffer layout recorded on the IR's types: ``{(func, buffer): Layout}``."""
    found = {}
    for func in module.funcs.values():
        for p in func.params:
            if isinstance(p.type, BufferType) and p.type.layout is not None:
                found[(func.name, p.name)] = p.type.layout
        for s in walk_stmts(func.body):
            if isinstance(s, Alloc) and s.type.layout is not None:
                found[(func.name, s.name)] = s.type.layout
    return found


def reconcile_layouts(module: Module, fixed: Set[Tuple[str, str]]) -> Module:
    """Infer every buffer's layout from the recorded ones (``fixed`` are the user's own)
    and write the result onto the IR's types; raises ``AlloTypeError`` on a mismatch."""
    from ..typesys import Layout, infer_layouts

    recorded = layouts_of(module)
    if not recorded:
        return module
    requirements = {node: (layout, node in fixed) for node, layout in recorded.items()}
    inferred = infer_layouts(module, requirements)
    result = module.copy()
    for func in result.funcs.values():
        for p in func.params:
            layout = inferred.get((func.name, p.name))
            if isinstance(p.type, BufferType) and _informative(layout, p.type, Layout):
                p.type = p.type.with_layout(layout)
        for s in walk_stmts(func.body):
            if isinstance(s, Alloc):
                layout = inferred.get((func.name, s.name))
                if _informative(layout, s.type, Layout):
                    s.type = s.type.with_layout(layout)
    return result


def _informative(layout: Any, t: BufferType, layout_class: Any) -> bool:
    return layout is not None and (t.layout is not None or layout != layout_class.none(t.shape))


def changed_layouts(before: Module, after: Module) -> Iterable[Tuple[str, str]]:
    old, new = layouts_of(before), layouts_of(after)
    return [node for node, layout in new.items() if old.get(node) != layout]
