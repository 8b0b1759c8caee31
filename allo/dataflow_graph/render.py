"""Drawing a :class:`~allo.dataflow_graph.graph.DataflowGraph` (passed in; not imported here): DOT text, and PNG through
Graphviz's ``dot`` program (a subprocess; without it, an :class:`AlloError` says how to
install it).

Nested graphs (a call's callee, a PE array) are DOT clusters; streams are bold edges
labelled with their depth, buffers plain edges, ping-pong buffers double edges.

Example::

    text = to_dot(g)          # always works
    to_png(g, "top.png")      # needs `dot` (apt-get install graphviz)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any, List

from ..errors import AlloError

_SHAPES = {"call": "box", "loop": "box", "pe": "box", "pe_array": "box3d", "input": "invhouse",
           "output": "house", "code": "ellipse"}


def _q(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def _edge_label(e) -> str:
    parts = [e.buffer]
    if e.kind == "stream":
        parts.append(f"FIFO depth {e.depth}" if e.depth is not None else "FIFO")
    elif e.kind == "pingpong":
        parts.append("ping-pong")
    if e.produce is not None and e.produce.count is not None:
        parts.append(f"{e.produce.count} elements")
    return "\\n".join(parts)


def _emit(g: Any, lines: List[str], prefix: str, pad: str) -> None:
    for n in g.nodes:
        nid = _q(prefix + n.id)
        if n.subgraph is not None and n.subgraph.nodes:
            lines.append(f"{pad}subgraph {_q('cluster_' + prefix + n.id)} {{")
            lines.append(f"{pad}  label={_q(n.label)}; style=rounded;")
            lines.append(f"{pad}  {nid} [label={_q(n.label)}, shape=point, style=invis];")
            _emit(n.subgraph, lines, prefix + n.id + "/", pad + "  ")
            lines.append(f"{pad}}}")
        else:
            lines.append(f"{pad}{nid} [label={_q(n.label)}, shape={_SHAPES.get(n.kind, 'box')}];")
    for e in g.edges:
        style = {"stream": "style=bold, color=blue", "pingpong": "color=\"black:black\"",
                 "buffer": "style=solid"}[e.kind]
        lines.append(f"{pad}{_q(prefix + e.src)} -> {_q(prefix + e.dst)} "
                     f"[label={_q(_edge_label(e))}, {style}];")


def to_dot(g: Any) -> str:
    """The graph as Graphviz DOT text.

    Example: ``to_dot(g).startswith("digraph")`` is True.
    """
    lines = [f"digraph {_q(g.name)} {{", "  rankdir=LR;", "  node [fontname=\"Helvetica\"];",
             "  edge [fontname=\"Helvetica\", fontsize=10];", "  compound=true;"]
    _emit(g, lines, "", "  ")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_png(g: Any, path: str) -> str:
    """Render ``g`` into the PNG file ``path`` with Graphviz's ``dot``; returns ``path``.

    Example: ``to_png(g, "/tmp/top.png")``.
    """
    dot = shutil.which("dot")
    if dot is None:
        raise AlloError("drawing the dataflow graph as PNG needs Graphviz's `dot` program, which is "
                        "not on PATH", where="to_png",
                        hint="install Graphviz (`apt-get install graphviz`, `brew install graphviz`, "
                             "or `conda install graphviz`), or use .to_dot() for the DOT text")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    try:
        run = subprocess.run([dot, "-Tpng", "-o", path], input=to_dot(g), text=True,
                             capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise AlloError("Graphviz's `dot` did not finish within 60 s", where="to_png",
                        hint="draw a smaller design, or use .to_dot()") from None
    if run.returncode != 0:
        raise AlloError(f"Graphviz's `dot` failed: {run.stderr.strip()[:500]}", where="to_png",
                        hint="check the DOT text from .to_dot()")
    return path


__all__ = ["to_dot", "to_png"]
