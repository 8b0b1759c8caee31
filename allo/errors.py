"""User-facing errors.

Every mistake a user can make (a bad kernel, a bad schedule, bad call arguments) raises
an :class:`AlloError` subclass whose message says *what* is wrong, *where* (file:line and
the source line with a caret for kernel code; the primitive and argument for schedules)
and *how to fix it*.

Example::

    >>> from allo.errors import AlloError, SourceLoc
    >>> loc = SourceLoc("k.py", 3, 0, "break", 5)
    >>> print(AlloError("'break' is not supported", loc=loc, hint="use a bounded loop"))
    k.py:3:1: error: 'break' is not supported
        break
        ^~~~~
    hint: use a bounded loop
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class SourceLoc:
    """A position in the user's kernel source (1-based line, 0-based column)."""

    file: str
    line: int
    col: int = 0
    text: str = ""  # the full source line
    end_col: Optional[int] = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col + 1}"

    def caret(self) -> str:
        """The source line with a caret (and tildes) under the offending span."""
        if not self.text:
            return ""
        width = 1
        if self.end_col is not None and self.end_col > self.col:
            width = self.end_col - self.col
        return f"    {self.text.rstrip()}\n    {' ' * self.col}^{'~' * (width - 1)}"


class AlloError(Exception):
    """Base class of every error a user of Allo can cause."""

    kind = "error"

    def __init__(self, message: str, loc: Optional[SourceLoc] = None,
                 hint: Optional[str] = None, where: Optional[str] = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        self.where = where
        super().__init__(self._format())

    def _format(self) -> str:
        head = f"{self.kind}: {self.message}"
        if self.loc is not None:
            head = f"{self.loc}: {head}"
        elif self.where:
            head = f"{self.where}: {head}"
        parts = [head]
        if self.loc is not None and self.loc.text:
            parts.append(self.loc.caret())
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)

    def __str__(self) -> str:
        return self._format()


class AlloSyntaxError(AlloError):
    """Kernel code uses Python syntax that Allo does not accept."""


class AlloNameError(AlloError):
    """A name in a kernel, or a loop/buffer name in a schedule, does not resolve."""


class AlloTypeError(AlloError):
    """Types, shapes or ranks do not agree."""


class ScheduleError(AlloError):
    """A schedule primitive was used wrongly, or its side condition does not hold."""

    kind = "schedule error"


class CallError(AlloError):
    """A built module was called with wrong arguments."""


class VerificationError(AlloError):
    """Verification refused to proceed (e.g. the equivalence gate before synthesis)."""


class BackendError(AlloError):
    """A backend cannot handle a design or a tool it needs is missing."""
