"""Where a kernel comes from: its source text, source locations and name resolution.

``SourceInfo`` turns ``ast`` node positions into :class:`allo.errors.SourceLoc` values
that point into the user's real file (the source is dedented before parsing, so columns
and lines are shifted back). ``Resolver`` answers "what Python object does this name
denote" from template bindings, the kernel's closure, its globals, the frames of the
code that called ``customize`` and finally Python's builtins.

Example::

    >>> def k(A): pass
    >>> SourceInfo.of(k).func_def.name  # doctest: +SKIP
    'k'
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
import types
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Type

from ..errors import AlloError, AlloSyntaxError, SourceLoc

MISSING = object()  # a name that resolves to nothing


@dataclass
class SourceInfo:
    """The parsed source of one Python function and the mapping back to its file."""

    file: str
    first_line: int  # 1-based line of the first source line (decorator or def)
    indent: int  # columns removed by dedenting
    lines: List[str]  # the original source lines of the function
    func_def: ast.FunctionDef

    @staticmethod
    def of(fn: Callable) -> "SourceInfo":
        """Read and parse ``fn``'s source; raise AlloSyntaxError if it is unavailable."""
        if not isinstance(fn, types.FunctionType):
            raise AlloSyntaxError(f"{fn!r} is not a Python function, so it cannot be a kernel",
                                  hint="pass a function defined with 'def'")
        try:
            lines, first = inspect.getsourcelines(fn)
            file = inspect.getsourcefile(fn) or fn.__code__.co_filename
        except (OSError, TypeError) as e:
            raise AlloSyntaxError(f"cannot read the source of kernel '{fn.__name__}' ({e})",
                                  where=fn.__code__.co_filename,
                                  hint="define kernels in a .py file (not in an interactive "
                                       "session or via exec)") from None
        text = "".join(lines)
        dedented = textwrap.dedent(text)
        indent = _indent_of(lines[0]) - _indent_of(dedented.splitlines()[0] + "\n")
        try:
            tree = ast.parse(dedented)
        except SyntaxError as e:  # e.g. a def sharing its line with other code
            raise AlloSyntaxError(f"cannot parse the source of kernel '{fn.__name__}' ({e.msg})",
                                  where=f"{file}:{first}",
                                  hint="define the kernel with 'def' on lines of its own") \
                from None
        func_def = tree.body[0]
        if not isinstance(func_def, ast.FunctionDef):
            loc = SourceLoc(file, first, indent, lines[0].rstrip("\n"))
            raise AlloSyntaxError("a kernel must be a function defined with 'def'", loc=loc,
                                  hint="lambdas and async functions cannot be kernels")
        return SourceInfo(file, max(first, 1), indent, lines, func_def)

    def loc(self, node: Any) -> Optional[SourceLoc]:
        """The SourceLoc of an ast node (None for nodes without a position)."""
        lineno = getattr(node, "lineno", None)
        if lineno is None:
            return None
        line = self.first_line + lineno - 1
        idx = lineno - 1
        text = self.lines[idx].rstrip("\n") if 0 <= idx < len(self.lines) else ""
        col = node.col_offset + self.indent
        end = getattr(node, "end_col_offset", None)
        if end is None or getattr(node, "end_lineno", lineno) != lineno:
            end_col = len(text)
        else:
            end_col = end + self.indent
        return SourceLoc(self.file, line, col, text, end_col)


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def fail(cls: Type[AlloError], message: str, node: Any, info: SourceInfo,
         hint: Optional[str] = None) -> AlloError:
    """Build (not raise) a located error: ``raise fail(AlloTypeError, "...", node, info)``."""
    return cls(message, loc=info.loc(node), hint=hint)


class Resolver:
    """Look up free names of a kernel, in order: template bindings, closure, the
    ``global_vars`` given to ``customize``, globals, the frames of the callers of ``customize``, Python builtins.

    Example: ``Resolver(fn, {}, frame).lookup("M")`` returns the value of ``M``.
    """

    def __init__(self, fn: Callable, bindings: Dict[str, Any], caller_frame: Any,
                 extra_globals: Optional[Dict[str, Any]] = None):
        self.bindings = dict(bindings)
        self.extra_globals = dict(extra_globals or {})
        self.closure: Dict[str, Any] = {}
        code = fn.__code__
        for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            try:
                self.closure[name] = cell.cell_contents
            except ValueError:  # an empty cell (defined later in the enclosing scope)
                pass
        self.globals = fn.__globals__
        self.frames = []
        frame = caller_frame
        while frame is not None:
            self.frames.append(frame)
            frame = frame.f_back

    def lookup(self, name: str) -> Any:
        """The Python object ``name`` denotes, or :data:`MISSING`."""
        for table in (self.bindings, self.closure, self.extra_globals, self.globals):
            if name in table:
                return table[name]
        for frame in self.frames:
            if name in frame.f_locals:
                return frame.f_locals[name]
            if name in frame.f_globals:
                return frame.f_globals[name]
        return getattr(builtins, name, MISSING)
