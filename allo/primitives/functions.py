"""Function-level primitives: ``inline`` (rule ``annotation.inline``).

``inline(func=None)`` marks a function ``attrs["inline"] = True`` (the top function when
``func`` is omitted); the HLS backend prints ``#pragma HLS inline``. The IR keeps the
call, so the program's meaning is unchanged by construction.

Example::

    s.inline("pe_kernel")
"""

from __future__ import annotations

from typing import Any, Optional

from .base import FUNCTION, Context, primitive


@primitive("inline", rule="annotation.inline", kinds={"func": FUNCTION})
def inline(ctx: Context, func: Optional[Any] = None) -> None:
    """Mark function ``func`` (default: the top function) for inlining.
    Example: ``s.inline("helper")``."""
    if func is None:
        func = ctx.module.top
    name = getattr(func, "__name__", func) if callable(func) else func
    if not isinstance(name, str):
        raise ctx.refuse(f"func={func!r} is not a function name",
                         hint=f"functions: {', '.join(sorted(ctx.module.funcs))}")
    if name not in ctx.module.funcs:
        raise ctx.refuse(f"no function named {name!r}",
                         hint=f"functions: {', '.join(sorted(ctx.module.funcs))}")
    ctx.module.funcs[name].attrs["inline"] = True
    ctx.trivial("annotation only", "the call stays in the IR; inlining is a backend decision")


__all__ = ["inline"]
