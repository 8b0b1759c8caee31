"""Latency formulas in the loops' trip counts, built cheaply while estimating and turned
into sympy expressions only when asked (:func:`to_sympy`).

A formula is a nested tuple: ``("num", n)``, ``("sym", name, value)``, ``("add", a, b)``,
``("mul", a, b)``, ``("max", [..])``, ``("cdiv", a, k)``.

Example::

    >>> f = add(mul(sym("N_i", 8), num(3)), num(2))
    >>> to_sympy(f)
    3*N_i + 2
    >>> value(f)
    26
"""

from __future__ import annotations

from typing import Any, Dict, Sequence


def num(n: int) -> tuple:
    return ("num", int(n))


def sym(name: str, value: int) -> tuple:
    return ("sym", name, int(value))


def add(a: tuple, b: tuple) -> tuple:
    if a[0] == "num" and a[1] == 0:
        return b
    if b[0] == "num" and b[1] == 0:
        return a
    if a[0] == "num" and b[0] == "num":
        return num(a[1] + b[1])
    return ("add", a, b)


def sub(a: tuple, b: tuple) -> tuple:
    return add(a, mul(num(-1), b))


def mul(a: tuple, b: tuple) -> tuple:
    if a[0] == "num" and b[0] == "num":
        return num(a[1] * b[1])
    for x, y in ((a, b), (b, a)):
        if x[0] == "num" and x[1] == 1:
            return y
        if x[0] == "num" and x[1] == 0:
            return num(0)
    return ("mul", a, b)


def prod(items: Sequence[tuple]) -> tuple:
    out = num(1)
    for x in items:
        out = mul(out, x)
    return out


def maximum(items: Sequence[tuple]) -> tuple:
    items = list(items)
    if len(items) == 1:
        return items[0]
    return ("max", items)


def ceil_div(a: tuple, k: int) -> tuple:
    return ("cdiv", a, int(k))


def value(f: tuple) -> int:
    """The formula's value at the trip counts it was built with."""
    kind = f[0]
    if kind == "num":
        return f[1]
    if kind == "sym":
        return f[2]
    if kind == "add":
        return value(f[1]) + value(f[2])
    if kind == "mul":
        return value(f[1]) * value(f[2])
    if kind == "max":
        return max(value(x) for x in f[1])
    if kind == "cdiv":
        return -(-value(f[1]) // f[2])
    raise ValueError(f"bad formula {f!r}")


def symbols(f: tuple, out: Dict[str, int] = None) -> Dict[str, int]:
    """The trip-count symbols of a formula and their values."""
    out = {} if out is None else out
    if f[0] == "sym":
        out[f[1]] = f[2]
    elif f[0] in ("add", "mul"):
        symbols(f[1], out)
        symbols(f[2], out)
    elif f[0] == "max":
        for x in f[1]:
            symbols(x, out)
    elif f[0] == "cdiv":
        symbols(f[1], out)
    return out


def to_sympy(f: tuple, names: Dict[str, Any] = None) -> Any:
    """The formula as a sympy expression; ``names`` renames symbols (``{"N_i": "M"}``)."""
    import sympy

    names = names or {}

    def go(x: tuple) -> Any:
        kind = x[0]
        if kind == "num":
            return sympy.Integer(x[1])
        if kind == "sym":
            target = names.get(x[1], x[1])
            return target if isinstance(target, sympy.Basic) else sympy.Symbol(str(target),
                                                                               positive=True,
                                                                               integer=True)
        if kind == "add":
            return go(x[1]) + go(x[2])
        if kind == "mul":
            return go(x[1]) * go(x[2])
        if kind == "max":
            return sympy.Max(*[go(y) for y in x[1]])
        if kind == "cdiv":
            return sympy.ceiling(go(x[1]) / x[2])
        raise ValueError(f"bad formula {x!r}")

    return sympy.expand(go(f))
