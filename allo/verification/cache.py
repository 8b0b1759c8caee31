"""The content-addressed proof cache: verdicts on disk, keyed by what they depend on.

A verdict about two programs is stored under :func:`proof_key`, the structural
fingerprint (:func:`allo.ir.fingerprint.fingerprint`: every node, type, layout and the
exact bytes of every constant) of both programs and of the options that change what
"equivalent" means (``fp``), together with everything the verdict's *correctness* rests
on: the allo version, the z3 and numpy versions, and a hash of the sources of the
semantics, the verifier and the rules (:func:`sources_hash`). So a fixed soundness bug,
in an op's meaning, the executor, a side condition or a theorem, changes every key and
never leaves a stale "equivalent" behind.

Only verdicts that stay true are stored: "equivalent" and "not equivalent" (whose
counterexample the reference interpreter confirmed). "unknown" depends on budgets,
timeouts and the machine's load, so it is never cached.

Where: ``$ALLO_CACHE_DIR/proofs``, else ``$XDG_CACHE_HOME/allo/proofs``, else
``~/.cache/allo/proofs``. Off with ``verify(cache=False)`` or ``ALLO_PROOF_CACHE=0``;
``allo cache clear`` empties it. Writes are atomic (a temporary file renamed into place),
so concurrent writers (Dask DSE workers) never leave a torn entry; an entry that fails
its checksum, its key, or unpickling into a verdict is ignored (and removed), never
trusted.

Example::

    >>> from allo.verification.cache import ProofCache
    >>> cache = ProofCache("/tmp/allo-doctest-proofs")
    >>> key = proof_key(module_a, module_b)           # doctest: +SKIP
    >>> cache.lookup(key) is None                     # doctest: +SKIP
    True
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import io
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, Optional

from ..ir.fingerprint import FingerprintError, fingerprint

# what a verdict's correctness rests on, relative to the package root ``allo``'s parent:
# the meaning of every op (semantics), the IR and its analyses (ir), the symbolic
# executor and equivalence check (symexec), the reference interpreter that confirms
# counterexamples (backends/interp), the primitives' side conditions, the schedule's
# recording of steps, compose and layout types (certificate chains rest on them), the
# theorems (proofs), and this package (method choice, chains, the cache itself)
VERDICT_SOURCES = ("allo/semantics", "allo/ir", "allo/symexec", "allo/backends/interp",
                   "allo/primitives", "allo/typesys", "allo/schedule.py", "allo/compose.py",
                   "allo/verification", "proofs")
ENTRY_MAGIC = b"allo-proof-cache/1\n"
CACHEABLE = ("equivalent", "not equivalent")


def allo_cache_dir() -> Path:
    """The root of Allo's on-disk caches: ``$ALLO_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/allo``, else ``~/.cache/allo``.

    Example: ``allo_cache_dir() / "csim"`` holds compiled C simulations.
    """
    explicit = os.environ.get("ALLO_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "allo"


def proof_cache_dir() -> Path:
    """Where verdicts are stored: ``allo_cache_dir() / "proofs"``.

    Example: ``ALLO_CACHE_DIR=/tmp/c`` gives ``/tmp/c/proofs``.
    """
    return allo_cache_dir() / "proofs"


_SCOPE: contextvars.ContextVar = contextvars.ContextVar("allo_proof_cache", default=None)


@contextlib.contextmanager
def cache_scope(enabled: bool) -> Iterator[None]:
    """Within the block, :func:`cache_enabled` answers ``enabled`` (``verify(cache=False)``
    runs its provers in ``cache_scope(False)``, so nothing they call reads or writes the
    cache). Example: ``with cache_scope(False): verify_modular(a, b)``."""
    token = _SCOPE.set(bool(enabled))
    try:
        yield
    finally:
        _SCOPE.reset(token)


def cache_enabled(option: Optional[bool] = None) -> bool:
    """Whether to use the proof cache: the ``cache=`` option when given, else the
    enclosing :func:`cache_scope`, else the ``ALLO_PROOF_CACHE`` environment variable
    (``0``/``off``/``false``/``no`` turn it off), else on.

    Example: ``cache_enabled(False) is False``.
    """
    if option is not None:
        return bool(option)
    if _SCOPE.get() is not None:
        return _SCOPE.get()
    value = os.environ.get("ALLO_PROOF_CACHE", "").strip().lower()
    return value not in ("0", "off", "false", "no")


@functools.lru_cache(maxsize=1)
def sources_hash() -> str:
    """SHA-256 of the path and bytes of every ``.py`` file under :data:`VERDICT_SOURCES`.

    Example: ``len(sources_hash()) == 64``.
    """
    return tree_hash(Path(__file__).resolve().parents[2], VERDICT_SOURCES)


def tree_hash(root: Path, sources: Iterable[str]) -> str:
    """SHA-256 of the relative path and bytes of every ``.py`` file under ``sources``
    (files or directories relative to ``root``). Example:
    ``tree_hash(Path("."), ["allo/semantics"])``."""
    h = hashlib.sha256()
    for rel in sources:
        for path in sorted(_py_files(Path(root) / rel)):
            h.update(str(path.relative_to(root)).encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _py_files(path: Path) -> Iterable[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return [p for p in path.rglob("*.py") if "__pycache__" not in p.parts]


def toolchain() -> Dict[str, str]:
    """The versions a verdict depends on besides the sources: allo, z3, numpy.

    Example: ``toolchain()["allo"] == allo.__version__``.
    """
    import numpy
    import z3

    from .. import __version__

    return {"allo": __version__, "z3": z3.get_version_string(), "numpy": numpy.__version__,
            "sources": sources_hash()}


def proof_key(a: Any, b: Any, **semantic_options: Any) -> Optional[str]:
    """The cache key of "``a`` is equivalent to ``b``" under ``semantic_options`` (the
    options that change the question, e.g. ``fp="reassoc"``; budgets and timeouts do not,
    since only definite verdicts are stored), or ``None`` when some value in the IR has
    no exact encoding (then nothing is cached).

    It is the one structural key of the project: the HLS gate keys its verdicts by it too.
    Example: ``proof_key(s.original, s.ir, fp="exact")``.
    """
    try:
        return fingerprint(a, b, question="equivalent", toolchain=toolchain(),
                           **semantic_options)
    except FingerprintError:
        return None


def pair_key(key_a: str, key_b: str, fp: str) -> Optional[str]:
    """The cache key of "the designs with fingerprints ``key_a`` and ``key_b`` are
    equivalent under ``fp``": for provers that identify designs by a fingerprint of
    their own (the modular prover's callee keys, which leave the callee's name out).

    Example: ``pair_key(design_key(tile_a), design_key(tile_b), "exact")``.
    """
    first, second = sorted((key_a, key_b))  # equivalence is symmetric: one entry per pair
    try:
        return fingerprint(("design pair", first, second), question="equivalent",
                           toolchain=toolchain(), fp=fp)
    except FingerprintError:
        return None


def remember_pair(key_a: str, key_b: str, fp: str, how: str = "symbolic execution") -> bool:
    """Store "``key_a`` and ``key_b`` are proved equivalent under ``fp``, by ``how``"
    in the proof cache, if it is enabled; returns whether it was stored.

    Example: ``remember_pair(ka, kb, "exact", "certificates")`` after a callee pair's proof.
    """
    if not cache_enabled():
        return False
    from ..symexec.verdict import EQUIVALENT, Verdict

    verdict = Verdict(EQUIVALENT, how.replace(" (proof cache)", ""),
                      stats={"verified_by": "pair"})
    return default_cache().store(pair_key(key_a, key_b, fp), verdict)


def recall_pair(key_a: str, key_b: str, fp: str) -> Optional[str]:
    """How the pair ``key_a``, ``key_b`` was proved equivalent under ``fp``, if the proof
    cache (when enabled) holds it, else None. Example: ``recall_pair(ka, kb, "exact")``."""
    if not cache_enabled():
        return None
    hit = default_cache().lookup(pair_key(key_a, key_b, fp))
    return (hit.method or "symbolic execution") if hit is not None and hit.status == "equivalent" \
        else None


class _VerdictUnpickler(pickle.Unpickler):
    """Loads only verdict classes, numpy arrays and plain builtins: a cache entry never
    runs anything else."""

    _ALLOWED_BUILTINS = {"complex", "set", "frozenset", "tuple", "list", "dict", "slice",
                         "bytearray", "int", "float", "str", "bool", "object"}

    def find_class(self, module: str, name: str) -> Any:
        if module == "allo.symexec.verdict" and name in ("Verdict", "Counterexample"):
            return super().find_class(module, name)
        if module == "builtins" and name in self._ALLOWED_BUILTINS:
            return super().find_class(module, name)
        if module.split(".")[0] == "numpy" and name in (
                "_reconstruct", "ndarray", "dtype", "scalar", "_frombuffer", "float64",
                "float32", "float16", "int64", "int32", "uint64", "bool_"):
            return super().find_class(module, name)
        if module == "copyreg" and name in ("_reconstructor",):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a proof-cache entry may not load {module}.{name}")


class ProofCache:
    """A directory of verdicts, one file per key (``<dir>/<key[:2]>/<key>``).

    Example::

        cache = ProofCache(tmp_path)
        cache.store(key, verdict)
        assert cache.lookup(key).status == verdict.status
    """

    def __init__(self, directory: Optional[os.PathLike] = None):
        self.directory = Path(directory) if directory is not None else proof_cache_dir()
        self.hits = self.misses = self.stores = self.rejected = 0

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def lookup(self, key: Optional[str]) -> Any:
        """The verdict stored under ``key``, or ``None`` (a miss, or an entry that is
        corrupt, of another key, or not a definite verdict: such an entry is removed).

        Example: ``cache.lookup(proof_key(a, b)) is None`` before anything was stored.
        """
        if key is None:
            return None
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        verdict = _decode(data, key)
        if verdict is None:
            self.rejected += 1
            self.misses += 1
            try:
                path.unlink()
            except OSError:
                pass
            return None
        self.hits += 1
        return verdict

    def store(self, key: Optional[str], verdict: Any) -> bool:
        """Store ``verdict`` under ``key`` if it is definite ("equivalent", or "not
        equivalent" with its counterexample); atomic; returns whether it was stored.
        A cache directory that cannot be written is not an error (nothing is stored).

        Example: ``cache.store(key, Verdict("unknown", reason="timeout"))`` is ``False``.
        """
        if key is None or getattr(verdict, "status", None) not in CACHEABLE:
            return False
        try:
            payload = pickle.dumps(verdict, protocol=4)
        except Exception:  # noqa: BLE001 - an unpicklable value in a verdict: do not cache
            return False
        body = key.encode() + b"\n" + payload
        data = ENTRY_MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
        if _decode(data, key) is None:  # e.g. a value the restricted unpickler refuses
            return False
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)  # atomic: readers see the old entry or the new one
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            return False
        self.stores += 1
        return True

    def clear(self) -> int:
        """Remove every stored verdict; returns how many entries there were.

        Example: ``ProofCache(tmp).clear() == 0`` for an empty cache.
        """
        if not self.directory.exists():
            return 0
        count = sum(1 for p in self.directory.rglob("*") if p.is_file() and
                    not p.name.startswith(".tmp-"))
        shutil.rmtree(self.directory, ignore_errors=True)
        return count

    def entries(self) -> int:
        """How many verdicts are stored. Example: ``ProofCache(tmp).entries() == 0``."""
        if not self.directory.exists():
            return 0
        return sum(1 for p in self.directory.rglob("*") if p.is_file() and
                   not p.name.startswith(".tmp-"))


def _decode(data: bytes, key: str) -> Any:
    """The verdict in an entry, or ``None`` unless every check passes."""
    from ..symexec.verdict import Verdict

    if not data.startswith(ENTRY_MAGIC):
        return None
    rest = data[len(ENTRY_MAGIC):]
    digest, sep, body = rest.partition(b"\n")
    if not sep or hashlib.sha256(body).hexdigest().encode() != digest:
        return None
    stored_key, sep, payload = body.partition(b"\n")
    if not sep or stored_key != key.encode():
        return None
    try:
        verdict = _VerdictUnpickler(io.BytesIO(payload)).load()
    except Exception:  # noqa: BLE001 - anything wrong with an entry: ignore it
        return None
    if not isinstance(verdict, Verdict) or verdict.status not in CACHEABLE:
        return None
    if verdict.status == "not equivalent" and verdict.counterexample is None:
        return None
    return verdict


def default_cache() -> ProofCache:
    """The cache at :func:`proof_cache_dir` (read from the environment each call, so a
    test's temporary ``ALLO_CACHE_DIR`` takes effect). Example: ``default_cache().entries()``."""
    return ProofCache(proof_cache_dir())


__all__ = ["ProofCache", "cache_scope", "proof_key", "pair_key", "remember_pair", "recall_pair", "sources_hash", "toolchain", "cache_enabled",
           "allo_cache_dir", "proof_cache_dir", "default_cache", "VERDICT_SOURCES"]


class _PairStore:
    """The proof cache as a table of proved design pairs that outlives the process, for
    the modular prover (:data:`allo.symexec.summaries.PROOF_STORES`)."""

    @staticmethod
    def recall(key_a: str, key_b: str, fp: str) -> Optional[str]:
        return recall_pair(key_a, key_b, fp)

    @staticmethod
    def remember(key_a: str, key_b: str, fp: str, how: str) -> None:
        remember_pair(key_a, key_b, fp, how)


def _register_pair_store() -> None:
    from ..symexec import summaries

    if not any(isinstance(s, _PairStore) for s in summaries.PROOF_STORES):
        summaries.PROOF_STORES.append(_PairStore())


_register_pair_store()
