"""A declarative space of schedules: which primitives to try with which arguments.

A space is a dict; every key is optional. Candidates are the cartesian product of the
choices, applied in this order (so later choices may name loops earlier ones create):

* ``"reorder"``: a list of loop orders, ``None`` meaning "keep": ``[None, ["k", "j"]]``;
* ``"split"``: ``{loop: [factors]}``, factor 1 meaning "no split": ``{"i": [1, 2, 4]}``;
* ``"tile"``: a list of ``(x, y, x_factor, y_factor)`` (``s.tile``), ``None`` meaning "keep":
  ``[None, ("i", "j", 4, 4)]``;
* ``"buffer_at"``: ``{buffer: [axes]}``, ``None`` meaning "no buffer": ``{"C": [None, "i"]}``;
* ``"pipeline"``: a list of loops, ``None`` meaning "no pipeline": ``["j", "k"]``;
* ``"unroll"``: ``{loop: [factors]}``, ``None`` meaning "keep", 0 fully: ``{"k": [None, 2, 0]}``;
* ``"partition"``: ``{buffer: [specs]}``, a spec ``None`` or ``(kind, dim, factor)``:
  ``{"B": [None, ("cyclic", 2, 4), ("complete", 1, 0)]}``;
* ``"steps"``: extra alternatives, a list of lists of calls (a call is
  ``(primitive, args, kwargs)`` or a callable ``fn(schedule)``), appended last.

A candidate is a replayable list of primitive calls.

Example::

    >>> space = Space({"split": {"i": [1, 2]}, "pipeline": ["j", None]})
    >>> [c.script() for c in space.candidates()]
    ['s.pipeline("j")', '', 's.split("i", 2)\\ns.pipeline("j")', 's.split("i", 2)']
    >>> len(space)
    4
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..errors import AlloError

Call = Any  # (primitive, args tuple, kwargs dict) or a callable(schedule)

KEYS = ("reorder", "split", "tile", "buffer_at", "pipeline", "unroll", "partition", "steps")


@dataclass(frozen=True)
class Candidate:
    """One schedule of the space: its position and its primitive calls."""

    index: int
    calls: Tuple[Call, ...]

    def script(self) -> str:
        """The calls as Python lines on a schedule ``s`` (callables by name)."""
        return "\n".join(call_text(c) for c in self.calls)


def call_text(call: Call) -> str:
    """``s.split("i", 4)`` for ``("split", ("i", 4), {})``."""
    if callable(call):
        return f"{getattr(call, '__name__', 'step')}(s)"
    name, args, kwargs = call
    parts = [_literal(a) for a in args] + [f"{k}={_literal(v)}" for k, v in kwargs.items()]
    return f"s.{name}({', '.join(parts)})"


def _literal(v: Any) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    if hasattr(v, "name") and type(v).__name__ == "Partition":
        return f"allo.Partition.{v.name}"
    return repr(v)


class Space:
    """A parsed space; iterate :meth:`candidates`. Raises ``AlloError`` for a bad key."""

    def __init__(self, spec: Dict[str, Any]):
        if isinstance(spec, Space):
            spec = spec.spec
        if not isinstance(spec, dict):
            raise AlloError(f"a design space is a dict, got {type(spec).__name__}", where="dse",
                            hint=f"keys: {', '.join(KEYS)}")
        unknown = sorted(set(spec) - set(KEYS))
        if unknown:
            raise AlloError(f"unknown design-space key(s): {', '.join(unknown)}", where="dse",
                            hint=f"keys: {', '.join(KEYS)}")
        self.spec = spec
        self.axes: List[List[List[Call]]] = self._axes()

    def _axes(self) -> List[List[List[Call]]]:
        s = self.spec
        axes: List[List[List[Call]]] = []
        if "reorder" in s:
            axes.append([[] if o is None else [("reorder", tuple(o), {})] for o in s["reorder"]])
        for loop, factors in _items(s.get("split")):
            axes.append([[] if f in (None, 1) else [("split", (loop, int(f)), {})] for f in factors])
        if "tile" in s:
            axes.append([[] if t is None else [("tile", tuple(t), {})] for t in s["tile"]])
        for buf, axes_ in _items(s.get("buffer_at")):
            axes.append([[] if a is None else [("buffer_at", (buf, a), {})] for a in axes_])
        if "pipeline" in s:
            axes.append([[] if p is None else [("pipeline", (p,), {})] for p in s["pipeline"]])
        for loop, factors in _items(s.get("unroll")):
            axes.append([[] if f is None else [("unroll", (loop, int(f)), {})] for f in factors])
        for buf, specs in _items(s.get("partition")):
            axes.append([[] if p is None else [_partition(buf, p)] for p in specs])
        if "steps" in s:
            axes.append([list(alt) for alt in s["steps"]])
        return axes

    def candidates(self) -> List[Candidate]:
        """Every combination, in a deterministic order."""
        out = []
        for k, combo in enumerate(itertools.product(*self.axes) if self.axes else [()]):
            calls = tuple(c for part in combo for c in part)
            out.append(Candidate(k, calls))
        return out

    def __len__(self) -> int:
        n = 1
        for a in self.axes:
            n *= len(a)
        return n


def _items(d: Optional[Dict[str, Sequence[Any]]]) -> List[Tuple[str, Sequence[Any]]]:
    return list((d or {}).items())


def _partition(buf: str, spec: Sequence[Any]) -> Call:
    from ..typesys.partition import Partition

    kind, dim, factor = (list(spec) + [0, 0])[:3]
    return ("partition", (buf,), {"partition_type": Partition.parse(kind), "dim": dim,
                                   "factor": int(factor)})


def load_space(path: str) -> Space:
    """The ``SPACE`` dict of a Python file (``allo dse --space SPACE.py``)."""
    import importlib.util
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise AlloError(f"no such space file: {p}", where="dse --space")
    spec = importlib.util.spec_from_file_location(f"allo_dse_space_{abs(hash(str(p)))}", p)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - the user's file
        raise AlloError(f"loading {p} failed: {type(e).__name__}: {e}", where="dse --space") from e
    if not hasattr(module, "SPACE"):
        raise AlloError(f"{p} defines no SPACE", where="dse --space",
                        hint='define SPACE = {"split": {"i": [1, 2]}, "pipeline": ["j"]}')
    return Space(module.SPACE)


__all__ = ["Space", "Candidate", "call_text", "load_space", "KEYS"]
