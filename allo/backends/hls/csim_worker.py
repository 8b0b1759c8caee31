"""The child process that runs C simulation libraries (standard library only).

Generated C++ runs here, never in the user's interpreter: a fault in it (a segfault, an
abort, a stack overflow) ends this process, and :mod:`.csim` reports it as an error.
Run as a script (``python -I csim_worker.py``); requests come on stdin, replies go to the
original stdout, and whatever the C++ prints goes to stderr.

Protocol (little-endian, length-prefixed):

* ``L`` path -> ``O`` | ``E`` message: load a shared library;
* ``C`` entry stack_bytes buffers args -> ``R`` status site index buffers: call
  ``int entry(void** args)`` on a thread with ``stack_bytes`` of stack; ``args[k]`` points
  at ``buffers[arg_k]`` (one buffer may back several arguments), and the buffers are sent
  back after the call. ``status`` is the entry's result; ``site``/``index`` describe a
  failed bounds check (status 2).

Example (what :class:`allo.backends.hls.csim.CsimWorker` does)::

    proc = subprocess.Popen([sys.executable, "-I", __file__], stdin=PIPE, stdout=PIPE)
"""

import ctypes
import os
import struct
import sys
import threading


def _read_exact(f, n):
    data = f.read(n)
    if data is None or len(data) != n:
        raise EOFError
    return data


def _read_blob(f):
    (n,) = struct.unpack("<Q", _read_exact(f, 8))
    return _read_exact(f, n)


def _blob(data):
    return struct.pack("<Q", len(data)) + data


def serve(inp, out):
    """Answer requests until stdin closes."""
    libs = {}
    while True:
        try:
            kind = _read_exact(inp, 1)
        except EOFError:
            return
        if kind == b"L":
            path = _read_blob(inp).decode()
            try:
                libs[path] = ctypes.CDLL(path)
                out.write(b"O")
            except OSError as e:
                out.write(b"E" + _blob(str(e).encode()))
            out.flush()
        elif kind == b"C":
            path = _read_blob(inp).decode()
            entry = _read_blob(inp).decode()
            (stack,) = struct.unpack("<Q", _read_exact(inp, 8))
            (nbuf,) = struct.unpack("<I", _read_exact(inp, 4))
            blobs = [_read_blob(inp) for _ in range(nbuf)]
            (nargs,) = struct.unpack("<I", _read_exact(inp, 4))
            which = struct.unpack(f"<{nargs}I", _read_exact(inp, 4 * nargs)) if nargs else ()
            buffers = [ctypes.create_string_buffer(b, max(len(b), 1)) for b in blobs]
            argv = (ctypes.c_void_p * max(nargs, 1))(
                *[ctypes.cast(buffers[k], ctypes.c_void_p) for k in which])
            lib = libs[path]
            fn = getattr(lib, entry)
            fn.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
            fn.restype = ctypes.c_int
            result = {}

            def run():
                result["status"] = fn(argv)

            threading.stack_size(max(stack, 1 << 20))
            t = threading.Thread(target=run)
            t.start()
            t.join()
            status = result.get("status", -1)
            message, site, index = b"", -1, 0
            if status == 1:
                get = lib.allo_csim_error_message
                get.restype = ctypes.c_char_p
                message = get() or b""
            elif status == 2:
                lib.allo_fault_site.restype = ctypes.c_int
                lib.allo_fault_index.restype = ctypes.c_longlong
                site, index = lib.allo_fault_site(), lib.allo_fault_index()
            out.write(b"R" + struct.pack("<i", status) + _blob(message)
                      + struct.pack("<iq", site, index))
            for b, blob in zip(buffers, blobs):
                out.write(_blob(ctypes.string_at(b, len(blob))))
            out.flush()
        else:
            return


def main():
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # the C++ (and anything else) prints to stderr, not into the protocol
    inp = os.fdopen(0, "rb")
    serve(inp, out)
    out.flush()


if __name__ == "__main__":
    main()
    sys.stderr.flush()
    os._exit(0)
