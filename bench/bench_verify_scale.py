"""Verification at model scale (issue 16): each figure runs in a fresh process, so its
peak resident memory (RSS) is its own.

Figures:

* ``bert``: the slides' BERT-base FFN1, (512x768) x (768x3072) int8 -> int32 on a 16x16
  systolic array. A top kernel loops over the 32 x 192 tiles and calls ``systolic_tile``
  on leading-index sub-views of blocked arrays (A[32][16][768], B[192][768][16],
  C[32][192][16][16]); the tile is customized into the systolic array (buffer_at, unfold,
  partition, relay) and composed in. It is proved equivalent to the same top calling the
  plain tile by modular summarization (:func:`allo.symexec.modular.verify_modular`,
  ``congruence=False``: the top executed, each call one uninterpreted application), and by
  congruence (the same top over a proved callee pair: the top not executed).
  Beside it: full symbolic execution's *estimated* time (the ops the summarized calls
  would have executed, measured per call by the tile's own proof, over the ops/s that
  proof measured);
* ``bert-wrong``: the same top, passing the wrong A sub-view at one tile, refuted with a
  counterexample confirmed on the reference interpreter;
* ``gpt2``: a GPT-2 block at real size (hidden 768, 12 heads, sequence 512) from a local
  ``transformers`` GPT2Config via ``allo.frontend.from_pytorch``, library default
  schedules, proved modularly against its un-customized hierarchy.

``gpt2-summarized`` runs the GPT-2 top with the summaries instead of by congruence.

Run: ``python bench/bench_verify_scale.py [bert] [bert-wrong] [gpt2] [gpt2-summarized]``
(all by default; a cold proof cache: ``XDG_CACHE_HOME=$(mktemp -d)``);
``--small`` runs a 4x smaller BERT grid (a smoke test of the script).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from typing import Any, Callable, Dict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, ROOT)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _bert_designs(small: bool, wrong: bool = False):
    import allo
    from allo.ir.types import int8, int32
    from allo.library.systolic import schedule_systolic_tile, systolic_tile

    M, K, N, T = (128, 768, 768, 16) if small else (512, 768, 3072, 16)
    MT, NT = M // T, N // T
    WRONG_NI = min(100, NT - 1)  # the tile (3, WRONG_NI) gets the wrong A sub-view

    def ffn1(A: int8[MT, T, K], B: int8[NT, K, T], C: int32[MT, NT, T, T]):
        for mi, ni in allo.grid(MT, NT, name="tiles"):
            systolic_tile[int8, int8, int32, K, T, T](A[mi], B[ni], C[mi, ni])

    def ffn1_wrong(A: int8[MT, T, K], B: int8[NT, K, T], C: int32[MT, NT, T, T]):
        for mi, ni in allo.grid(MT, NT, name="tiles"):
            if mi == 3 and ni == WRONG_NI:
                # the wrong sub-view at one tile
                systolic_tile[int8, int8, int32, K, T, T](A[mi + 1], B[ni], C[mi, ni])
            else:
                systolic_tile[int8, int8, int32, K, T, T](A[mi], B[ni], C[mi, ni])

    plain = allo.customize(ffn1)
    t0 = time.perf_counter()
    if wrong:
        return plain.ir, allo.customize(ffn1_wrong).ir, time.perf_counter() - t0, (MT, NT)
    s = allo.customize(ffn1)
    s.compose(schedule_systolic_tile(allo.customize(systolic_tile,
                                                    instantiate=[int8, int8, int32, K, T, T])))
    return plain.ir, s.ir, time.perf_counter() - t0, (MT, NT)


def fig_bert(small: bool) -> Dict[str, Any]:
    """BERT FFN1 proved modularly; full execution's time estimated from measured ops/s."""
    from allo.symexec.modular import verify_modular

    from allo.symexec.summaries import forget_proofs

    os.environ["ALLO_PROOF_CACHE"] = "0"  # each run below proves the tile itself
    a, b, build_s, (mt, nt) = _bert_designs(small)
    t0 = time.perf_counter()
    congruent = verify_modular(a, b)  # same top: congruence (the tile proved once)
    congruence_s = time.perf_counter() - t0
    forget_proofs()  # the summarized run proves the tile again, from scratch
    t0 = time.perf_counter()
    v = verify_modular(a, b, congruence=False)  # the top executed, calls summarized
    seconds = time.perf_counter() - t0
    proof = next(iter(v.stats.get("callee_proofs", {}).values()), {})
    tile_ops = proof.get("ops_A", 0) + proof.get("ops_B", 0)
    exec_s = proof.get("exec_seconds_A", 0) + proof.get("exec_seconds_B", 0)
    ops_per_s = tile_ops / exec_s if exec_s else None  # the executor's own rate
    est = v.stats.get("full_ops_estimate")
    return dict(figure="BERT FFN1 modular", tiles=mt * nt, status=v.status, method=v.method,
                seconds=round(seconds, 1), congruence_status=congruent.status,
                congruence_seconds=round(congruence_s, 1), compose_seconds=round(build_s, 1),
                peak_rss_mb=round(_peak_rss_mb()), tile_proof_seconds=round(proof.get("seconds", 0), 2),
                tile_ops=tile_ops, ops_per_s=round(ops_per_s) if ops_per_s else None,
                full_ops_estimate=est,
                full_seconds_estimate=round(est / ops_per_s) if est and ops_per_s else None,
                summarized_calls=v.stats.get("summarized_calls"),
                function_runs_A=v.stats.get("function_runs_A"))


def fig_bert_wrong(small: bool) -> Dict[str, Any]:
    """The BERT top with the wrong A sub-view at tile (3, 100) (small: (3, 47)): refuted."""
    from allo.symexec.modular import verify_modular

    os.environ["ALLO_PROOF_CACHE"] = "0"
    a, b, _, (mt, nt) = _bert_designs(small, wrong=True)
    t0 = time.perf_counter()
    v = verify_modular(a, b)
    seconds = time.perf_counter() - t0
    cex = v.counterexample
    return dict(figure="BERT FFN1 wrong sub-view", tiles=mt * nt, status=v.status,
                method=v.method, seconds=round(seconds, 1), peak_rss_mb=round(_peak_rss_mb()),
                first_difference=f"{cex.output}{list(cex.index)}" if cex else None)


def fig_gpt2(small: bool, summarized: bool = False) -> Dict[str, Any]:
    """A GPT-2 block (hidden 768, 12 heads, sequence 512; small: 64, 4, 16) imported by
    ``from_pytorch`` with the library's default schedules, proved modularly against its
    un-customized hierarchy. The import proves each kernel instance's schedule (its own
    ``s.verify()``); the modular proof reuses those proofs ("proved earlier")."""
    import torch
    from transformers import GPT2Config
    from transformers.models.gpt2.modeling_gpt2 import GPT2Block

    import allo
    from allo.symexec.modular import verify_modular

    hidden, heads, seq = (64, 4, 16) if small else (768, 12, 512)
    cfg = GPT2Config(n_embd=hidden, n_head=heads, n_positions=seq, n_layer=1, vocab_size=64,
                     use_cache=False, attn_implementation="eager")
    torch.manual_seed(0)
    block = GPT2Block(cfg).eval()
    t0 = time.perf_counter()
    s = allo.frontend.from_pytorch(block, [torch.randn(1, seq, hidden)], target="mlir")
    import_s = time.perf_counter() - t0
    kernel_methods = sorted({str(getattr(v, "stats", {}).get("verified_by", v.method.split(":")[0]))
                             for v in s.kernel_verdicts.values()})
    from allo.symexec.cost import estimate_ops

    full_ops = (estimate_ops(s.original) or 0) + (estimate_ops(s.ir) or 0)
    t0 = time.perf_counter()
    # the top's own copy loops (views, transposes, the 12 x 512 x 512 attention maps)
    # count ~10 index ops per element: over the default max_ops at this size
    v = verify_modular(s.original, s.ir, max_ops=4_000_000_000, progress=False,
                       congruence=not summarized)
    seconds = time.perf_counter() - t0
    top_ops = v.stats.get("ops_A", 0) + v.stats.get("ops_B", 0)
    top_s = v.stats.get("exec_seconds_A", 0) + v.stats.get("exec_seconds_B", 0)
    rate = top_ops / top_s if top_s else None  # the executor's rate in this very run
    return dict(figure="GPT-2 block modular" + (" (top executed)" if summarized else ""), size=f"hidden {hidden}, {heads} heads, seq {seq}",
                status=v.status, method=v.method if v.status != "unknown" else v.reason,
                import_seconds=round(import_s, 1), import_laps=getattr(s, "timings", None),
                kernel_verdicts=len(s.kernel_verdicts), kernel_methods=kernel_methods,
                seconds=round(seconds, 1), peak_rss_mb=round(_peak_rss_mb()),
                top_ops=top_ops, top_exec_seconds=round(top_s, 1),
                ops_per_s=round(rate) if rate else None, full_ops_static_estimate=full_ops,
                full_seconds_estimate=round(full_ops / rate) if rate else None,
                summarized_calls=v.stats.get("summarized_calls"))


FIGURES: Dict[str, Callable[[bool], Dict[str, Any]]] = {
    "bert": fig_bert,
    "bert-wrong": fig_bert_wrong,
    "gpt2": fig_gpt2,
    "gpt2-summarized": lambda small: fig_gpt2(small, summarized=True),
}


def _child(name: str, small: bool) -> None:
    print(json.dumps(FIGURES[name](small)))


def main(argv) -> None:
    small = "--small" in argv
    names = [a for a in argv if not a.startswith("--")] or list(FIGURES)
    if argv and argv[0] == "--child":
        _child(argv[1], "--small" in argv)
        return
    for name in names:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", name] + (["--small"] if small else [])
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        if out.returncode != 0:
            print(f"{name}: failed after {wall:.0f} s\n{out.stderr[-3000:]}")
            continue
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"== {row.pop('figure')} (process wall {wall:.0f} s)")
        for k, v in row.items():
            print(f"  {k}: {v}")


if __name__ == "__main__":
    main(sys.argv[1:])
