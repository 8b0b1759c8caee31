"""The child process that runs C simulation libraries (:class:`CsimWorker`).

A fault in generated code (segfault, abort, stack overflow) ends the child, never the
user's interpreter. Workers are pooled per library path; a stateful design's module keeps
a worker of its own (its ``static`` state lives in that process).

Example::

    w = CsimWorker.for_library(str(mod.library_path))
    status, message, site, index, buffers = w.call(path, "allo_entry_0", bufs, [0, 1], 1 << 26)
"""

from __future__ import annotations

import signal
import struct
import subprocess
import sys
import tempfile
import threading
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Any, List, Sequence, Tuple

from ...errors import BackendError

_WORKER_SCRIPT = Path(__file__).with_name("csim_worker.py")
_MAX_WORKERS = 4  # idle children kept (one per loaded library), least recently used first


class CsimWorker:
    """A child process that loads C simulation libraries and calls their entries, so a
    fault in generated code (segfault, abort, stack overflow) ends the child, never the
    user's interpreter. Started lazily; restarted after a crash.

    Example: ``CsimWorker.for_library(path).call(path, "allo_entry_0", bufs, [0, 1], 1 << 26)``.
    """

    _pool: "OrderedDict[str, CsimWorker]" = OrderedDict()
    _pool_lock = threading.Lock()

    def __init__(self) -> None:
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-I", str(_WORKER_SCRIPT)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, close_fds=True)
        self.loaded: set = set()
        self.lock = threading.Lock()
        weakref.finalize(self, CsimWorker._stop, self.proc, self._stderr)

    @classmethod
    def for_library(cls, path: str) -> "CsimWorker":
        """The live worker for library ``path`` (a new one if it has none or it died).

        Example: ``CsimWorker.for_library(str(mod.library_path)).proc.poll() is None``.
        """
        with cls._pool_lock:
            w = cls._pool.pop(path, None)
            if w is None or w.proc.poll() is not None:
                w = CsimWorker()
            cls._pool[path] = w
            while len(cls._pool) > _MAX_WORKERS:
                _, old = cls._pool.popitem(last=False)
                CsimWorker._stop(old.proc, old._stderr)
            return w

    @staticmethod
    def _stop(proc: subprocess.Popen, stderr: Any) -> None:
        try:
            if proc.poll() is None:
                proc.stdin.close()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        except (OSError, ValueError):
            pass
        try:
            stderr.close()
        except (OSError, ValueError):
            pass

    def _send(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def _read(self, n: int) -> bytes:
        data = self.proc.stdout.read(n)
        if data is None or len(data) != n:
            raise EOFError
        return data

    def _blob(self) -> bytes:
        (n,) = struct.unpack("<Q", self._read(8))
        return self._read(n)

    def crash_report(self) -> Tuple[str, str]:
        """``(how the child ended, the tail of what it printed)`` after it died."""
        code = self.proc.wait()
        how = f"exit status {code}"
        if code < 0:
            try:
                how = f"signal {signal.Signals(-code).name}"
            except ValueError:
                how = f"signal {-code}"
        self._stderr.seek(0)
        tail = self._stderr.read()[-1500:].decode(errors="replace").strip()
        return how, tail

    def call(self, library: str, entry: str, buffers: Sequence[bytes], which: Sequence[int],
             stack_bytes: int) -> Tuple[int, str, int, int, List[bytes]]:
        """Run ``entry`` on copies of ``buffers``; ``(status, message, site, index,
        buffers after the call)``. Raises ``EOFError`` when the child died."""
        with self.lock:
            try:
                if library not in self.loaded:
                    path = library.encode()
                    self._send(b"L" + struct.pack("<Q", len(path)) + path)
                    if self._read(1) != b"O":
                        raise BackendError(f"C simulation could not load {library}: "
                                           f"{self._blob().decode(errors='replace')}",
                                           where="C simulation")
                    self.loaded.add(library)
                parts = [b"C", _frame(library.encode()), _frame(entry.encode()),
                         struct.pack("<QI", stack_bytes, len(buffers))]
                parts += [_frame(b) for b in buffers]
                parts.append(struct.pack(f"<I{len(which)}I", len(which), *which))
                self._send(b"".join(parts))
                if self._read(1) != b"R":
                    raise EOFError
                (status,) = struct.unpack("<i", self._read(4))
                message = self._blob().decode(errors="replace")
                site, index = struct.unpack("<iq", self._read(12))
                out = [self._blob() for _ in buffers]
            except (BrokenPipeError, ConnectionResetError):
                raise EOFError from None
            return status, message, site, index, out


def _frame(data: bytes) -> bytes:
    return struct.pack("<Q", len(data)) + data


__all__ = ["CsimWorker"]
