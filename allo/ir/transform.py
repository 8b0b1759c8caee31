"""Loop look-ups over the IR, under the names public Allo's programs import.

Example::

    band, axis = find_loop_in_bands(s.top_func, "j")    # ('S_i_0', 'j')
"""

from __future__ import annotations

from typing import Any, Tuple

from ..errors import ScheduleError
from .nodes import For, Func, child_bodies


def find_loop_in_bands(func: Func, axis: Any) -> Tuple[str, str]:
    """``(band, loop)`` of the loop named ``axis`` in ``func``: the band is the one of the
    outermost loop enclosing it (the nest a schedule addresses it by).

    Example: ``find_loop_in_bands(s.top_func, "j") == ("S_i_0", "j")``.
    """
    name = getattr(axis, "name", axis)
    found = []

    def visit(body: Any, outermost: Any) -> None:
        for s in body:
            if isinstance(s, For):
                top = outermost or s
                if s.name == name:
                    found.append((top.band, s.name))
                visit(s.body, top)
            else:
                for child in child_bodies(s):
                    visit(child, outermost)

    visit(func.body, None)
    if not found:
        raise ScheduleError(f"function '{func.name}' has no loop named {name!r}",
                            where="find_loop_in_bands", hint="s.get_loops() lists the loops")
    return found[0]
