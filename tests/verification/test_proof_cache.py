"""The content-addressed proof cache: hits, misses, invalidation, corruption, atomicity.

Every test uses a temporary ``ALLO_CACHE_DIR`` (never ``~/.cache``) and turns the cache on
explicitly (the suite's conftest turns it off for every other test).
"""

import multiprocessing
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

import allo
from allo.cli import main
from allo.ir.nodes import Alloc, walk_stmts
from allo.ir.types import float64, int32
from allo.symexec.verdict import Verdict
from allo.verification import cache as pc
from allo.verification import methods

LUT = np.arange(2000, dtype=np.int32)
WEIGHTS = np.array([0.123456789012, 0.5, 0.25], dtype=np.float64)


def lookup(A: int32[2000]) -> int32[2000]:
    B: int32[2000] = 0
    T: int32[2000] = LUT
    for i in range(2000):
        B[i] = T[i] + A[i]
    return B


def weigh(A: float64[3]) -> float64[3]:
    B: float64[3] = 0.0
    W: float64[3] = WEIGHTS
    for i in range(3):
        B[i] = A[i] * W[i]
    return B


def inc(A: int32[8]) -> int32[8]:
    B: int32[8] = 0
    for i in range(8):
        B[i] = A[i] + 1
    return B


def inc2(A: int32[8]) -> int32[8]:
    B: int32[8] = 0
    for i in range(8):
        B[i] = A[i] + 2
    return B


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLO_CACHE_DIR", str(tmp_path / "allo-cache"))
    monkeypatch.setenv("ALLO_PROOF_CACHE", "1")
    return tmp_path / "allo-cache" / "proofs"


def _no_execution(monkeypatch):
    """Make any symbolic execution fail the test: a hit must not execute anything."""
    def boom(*a, **k):
        raise AssertionError("the verifier ran although the verdict was cached")
    monkeypatch.setattr(methods, "check_equivalence", boom)


def _with_table_entry(module, name, index, delta):
    m = module.copy()
    table = next(s for s in walk_stmts(m.top_func.body) if isinstance(s, Alloc) and s.name == name)
    table.init = table.init.copy()
    table.init[index] += delta
    return m


def test_miss_then_hit_without_executing(cache_dir, monkeypatch):
    s = allo.customize(inc)
    s.split("i", 4)
    first = s.verify()
    assert first and first.cache == "stored"
    assert pc.default_cache().entries() >= 1  # the design, and its pair for modular proofs
    _no_execution(monkeypatch)
    again = s.verify()
    assert again and again.cache == "hit" and again.method == first.method
    # a fresh schedule of the same design, in the same way: the same key
    s2 = allo.customize(inc)
    s2.split("i", 4)
    assert s2.verify().cache == "hit"


def test_one_changed_constant_invalidates(cache_dir, monkeypatch):
    s = allo.customize(lookup)
    s.split("i", 8)
    assert s.verify().cache == "stored"
    wrong = _with_table_entry(s.ir, "T", 1000, 1)
    v = allo.verify(s.original, wrong)
    assert v.status == "not equivalent" and v.cache == "stored"
    assert v.counterexample.index == (1000,)
    # the stored refutation comes back with its counterexample
    _no_execution(monkeypatch)
    hit = allo.verify(s.original, wrong)
    assert hit.status == "not equivalent" and hit.cache == "hit"
    assert np.array_equal(hit.counterexample.inputs["A"], v.counterexample.inputs["A"])
    assert s.verify().cache == "hit"


def test_large_tables_differing_in_one_entry_get_different_keys():
    base = allo.customize(lookup).ir
    other = _with_table_entry(base, "T", 1000, 1)
    assert pc.proof_key(base, base) != pc.proof_key(base, other)
    assert pc.proof_key(base, other) != pc.proof_key(other, other)
    assert pc.proof_key(base, base) == pc.proof_key(base.copy(), base.copy())
    floats = allo.customize(weigh).ir
    ninth_digit = _with_table_entry(floats, "W", 0, 1e-10)
    assert pc.proof_key(floats, floats) != pc.proof_key(ninth_digit, ninth_digit)
    assert pc.proof_key(floats, floats, fp="exact") != pc.proof_key(floats, floats, fp="reassoc")


def test_cache_disabled_by_option_and_by_environment(cache_dir, monkeypatch):
    s = allo.customize(inc)
    s.split("i", 2)
    v = s.verify(cache=False)
    assert v and v.cache == "off" and pc.default_cache().entries() == 0
    monkeypatch.setenv("ALLO_PROOF_CACHE", "off")
    assert s.verify().cache == "off" and pc.default_cache().entries() == 0
    assert s.verify(cache=True).cache == "stored"  # the explicit option wins
    monkeypatch.setenv("ALLO_PROOF_CACHE", "0")
    calls = []
    real = methods.check_equivalence
    monkeypatch.setattr(methods, "check_equivalence", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert s.verify().cache == "off" and calls == [1]  # disabled: it really re-proves


def test_unknown_is_never_cached(cache_dir):
    cache = pc.default_cache()
    assert not cache.store("ab" * 32, Verdict("unknown", "symbolic execution", "z3 timeout"))
    assert cache.entries() == 0


def test_source_hash_change_invalidates(cache_dir, monkeypatch, tmp_path):
    s = allo.customize(inc)
    s.split("i", 4)
    assert s.verify().cache == "stored"
    before = pc.default_cache().entries()
    monkeypatch.setattr(pc, "sources_hash", lambda: "a-fixed-soundness-bug")
    v = s.verify()
    assert v.cache == "stored"  # a miss: proved again under the new sources
    assert pc.default_cache().entries() > before
    # the hash itself follows every byte of the verifier's sources
    tree = tmp_path / "tree"
    (tree / "allo" / "semantics").mkdir(parents=True)
    f = tree / "allo" / "semantics" / "int_ops.py"
    f.write_text("def add(a, b):\n    return a + b\n")
    before = pc.tree_hash(tree, pc.VERDICT_SOURCES)
    f.write_text("def add(a, b):\n    return a - b\n")
    assert pc.tree_hash(tree, pc.VERDICT_SOURCES) != before
    for part in ("allo/semantics", "allo/symexec", "allo/primitives", "proofs"):
        assert part in pc.VERDICT_SOURCES


def _entry_path(key):
    return pc.proof_cache_dir() / key[:2] / key


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "other key", "evil pickle"])
def test_corrupt_entry_is_ignored(cache_dir, damage):
    s = allo.customize(inc)
    s.split("i", 4)
    s.verify()
    key = pc.proof_key(s.original, s.ir, fp="exact")
    path = _entry_path(key)
    data = path.read_bytes()
    if damage == "flip":
        data = data[:-10] + bytes([data[-10] ^ 1]) + data[-9:]
    elif damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "garbage":
        data = b"\x00" * 64
    elif damage == "other key":  # a valid entry of another design copied over this one
        wrong = allo.verify(allo.customize(inc).ir, allo.customize(inc2).ir)
        assert wrong.status == "not equivalent"
        data = _entry_path(pc.proof_key(allo.customize(inc).ir, allo.customize(inc2).ir,
                                        fp="exact")).read_bytes()
    else:  # checksum right, but the payload would call os.system when unpickled
        payload = pickle.dumps(Evil())
        body = key.encode() + b"\n" + payload
        import hashlib
        data = pc.ENTRY_MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
    path.write_bytes(data)
    cache = pc.default_cache()
    assert cache.lookup(key) is None and cache.rejected == 1
    assert not path.exists()  # removed, so the next proof replaces it
    v = s.verify()
    assert v and v.cache == "stored"


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def _writer(directory, key, n):
    from allo.symexec.verdict import Verdict
    from allo.verification.cache import ProofCache

    cache = ProofCache(directory)
    for k in range(n):
        cache.store(key, Verdict("equivalent", f"writer {os.getpid()} #{k}"))


def test_concurrent_writers_never_leave_a_torn_entry(tmp_path):
    directory, key = tmp_path / "proofs", "cd" * 32
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(directory, key, 40)) for _ in range(2)]
    for p in procs:
        p.start()
    reader = pc.ProofCache(directory)
    seen = 0
    while any(p.is_alive() for p in procs):
        v = reader.lookup(key)
        seen += v is not None
        assert reader.rejected == 0
    for p in procs:
        p.join()
        assert p.exitcode == 0
    final = reader.lookup(key)
    assert final is not None and final.method.startswith("writer ") and reader.rejected == 0
    assert not [f for f in Path(directory).rglob(".tmp-*")]


def test_cli_cache_clear_and_info(cache_dir, capsys):
    s = allo.customize(inc)
    s.split("i", 4)
    s.verify()
    n = pc.default_cache().entries()
    assert n >= 1
    assert main(["cache", "info"]) == 0
    assert f"{n} verdicts" in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0
    assert f"removed {n} cached verdict" in capsys.readouterr().out
    assert pc.default_cache().entries() == 0
    assert s.verify().cache == "stored"


def test_cache_location_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("ALLO_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert pc.proof_cache_dir() == tmp_path / "xdg" / "allo" / "proofs"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert pc.proof_cache_dir() == Path.home() / ".cache" / "allo" / "proofs"
    monkeypatch.setenv("ALLO_CACHE_DIR", str(tmp_path / "mine"))
    assert pc.proof_cache_dir() == tmp_path / "mine" / "proofs"


def test_a_callee_pair_proved_in_an_earlier_run_is_not_proved_again(cache_dir):
    # the modular prover's table of proved callee pairs is backed by the proof cache: a
    # new process (simulated by emptying the in-process table) reuses the tile's proof,
    # and a top that changed elsewhere re-proves only the top
    from allo.ir.types import int8
    from allo.library.systolic import schedule_systolic_tile, systolic_tile
    from allo.symexec.modular import verify_modular
    from allo.symexec.summaries import forget_proofs

    K, T = 4, 2

    def top(A: int8[2, T, K], B: int8[2, K, T], C: int32[2, 2, T, T]):
        for mi, ni in allo.grid(2, 2, name="tiles"):
            systolic_tile[int8, int8, int32, K, T, T](A[mi], B[ni], C[mi, ni])

    def composed():
        s = allo.customize(top)
        tile = allo.customize(systolic_tile, instantiate=[int8, int8, int32, K, T, T])
        s.compose(schedule_systolic_tile(tile))
        return s

    forget_proofs()
    s = composed()
    first = verify_modular(s.original, s.ir)
    assert first and ": proved" in first.method and first.stats["callee_proofs"]
    forget_proofs()
    s2 = composed()
    s2.split("tiles:ni", 1)  # the top changed; the tile did not
    second = verify_modular(s2.original, s2.ir)
    assert second and "proved earlier" in second.method and second.stats["callee_proofs"] == {}
    assert "in an earlier run (proof cache)" in second.method
    name = next(n for n in s2.ir.funcs if n != "top")
    assert second.stats["function_runs_A"].get(name, 0) == 0  # the tile is not executed
    forget_proofs()
    pc.default_cache().clear()
    third = verify_modular(s2.original, s2.ir)
    assert third and ": proved" in third.method  # nothing cached: proved again


class _Opaque:
    pass


def test_a_verdict_that_would_not_load_back_is_not_stored(cache_dir):
    cache = pc.default_cache()
    assert not cache.store("ef" * 32, Verdict("equivalent", "x", stats={"odd": _Opaque()}))
    assert cache.entries() == 0
    assert cache.store("ef" * 32, Verdict("equivalent", "x", stats={"ops_A": 3}))
    assert cache.lookup("ef" * 32).stats == {"ops_A": 3}


def test_pair_entries_are_one_per_unordered_pair_and_respect_the_switch(cache_dir, monkeypatch):
    assert pc.pair_key("a" * 64, "b" * 64, "exact") == pc.pair_key("b" * 64, "a" * 64, "exact")
    assert pc.pair_key("a" * 64, "b" * 64, "exact") != pc.pair_key("a" * 64, "b" * 64, "reassoc")
    assert pc.remember_pair("a" * 64, "b" * 64, "exact", "certificates")
    assert pc.default_cache().entries() == 1
    assert pc.recall_pair("b" * 64, "a" * 64, "exact") == "certificates"
    with pc.cache_scope(False):
        assert pc.recall_pair("a" * 64, "b" * 64, "exact") is None
        assert not pc.remember_pair("c" * 64, "d" * 64, "exact")
    assert pc.default_cache().entries() == 1
