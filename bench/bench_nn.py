"""from_pytorch figures: the 2-layer GPT-2's import + compose + verify + build time, and the
LLVM inference time of one GPT-2 block against torch eager on one thread (a ratio, both
measured in this run on the same input).

Run: ``python bench/bench_nn.py`` (``--hidden 64 --heads 4 --seq 16 --layers 2`` are the
defaults; needs the ``[torch]`` extra).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout

import numpy as np


def gpt2_config(layers: int, hidden: int, heads: int, seq: int):
    from transformers import GPT2Config

    return GPT2Config(n_layer=layers, n_head=heads, n_embd=hidden, n_positions=seq,
                      vocab_size=64, use_cache=False, bos_token_id=0, eos_token_id=0)


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_figure(args) -> None:
    import torch
    from transformers import GPT2Model

    import allo

    torch.manual_seed(0)
    model = GPT2Model(gpt2_config(args.layers, args.hidden, args.heads, args.seq)).eval()
    ids = torch.randint(0, 64, (1, args.seq))
    start = time.perf_counter()
    mod = allo.frontend.from_pytorch(model, [ids], verify=True)
    total = time.perf_counter() - start
    ref = model(ids).last_hidden_state.detach().numpy()
    diff = float(np.abs(mod(ids) - ref).max())
    print(f"== import + compose + verify + build: {args.layers}-layer GPT-2 "
          f"(hidden {args.hidden}, {args.heads} heads, seq {args.seq}) ==")
    print(f"{'stage':<28} {'seconds':>8}")
    for stage, seconds in mod.timings.items():
        print(f"{stage:<28} {seconds:8.2f}")
    print(f"{'total':<28} {total:8.2f}   (goal: under 60 s)   max |allo - torch| = {diff:.1e}")
    print(f"{len(mod.kernel_verdicts)} library instances, each schedule proved; the composed "
          f"design proved against its un-customized hierarchy (exact IEEE floats)")


def inference_figure(args) -> None:
    import torch
    from transformers.models.gpt2.modeling_gpt2 import GPT2Block

    import allo

    torch.set_num_threads(1)
    torch.manual_seed(1)
    config = gpt2_config(1, args.hidden, args.heads, args.seq)
    config._attn_implementation = "eager"
    block = GPT2Block(config).eval()
    x = torch.randn(1, args.seq, args.hidden)
    print(f"== one GPT-2 block (hidden {args.hidden}, seq {args.seq}): LLVM vs torch eager, "
          f"1 thread, median of {args.repeats} ==")
    with torch.no_grad():
        t_torch = best_of(lambda: block(x), args.repeats)
    print(f"{'contender':<44} {'ms':>8} {'allo / torch':>13}")
    print(f"{'torch eager (1 thread)':<44} {t_torch * 1e3:8.3f} {'':>13}")
    xn = x.numpy()
    for label, unroll in (("allo LLVM, from_pytorch default (no unroll)", False),
                          ("allo LLVM, with loop unrolling", True)):
        s = allo.frontend.from_pytorch(block, [x], target="mlir")
        start = time.perf_counter()
        mod = s.build(unroll=unroll)
        compile_s = time.perf_counter() - start
        out = mod(xn)
        with torch.no_grad():
            ref = block(x)
        ref = (ref[0] if isinstance(ref, tuple) else ref).numpy()
        assert np.allclose(out, ref, rtol=1e-4, atol=1e-5)
        t_allo = best_of(lambda: mod(xn), args.repeats)
        print(f"{label:<44} {t_allo * 1e3:8.3f} {t_allo / t_torch:12.2f}x   "
              f"(LLVM compile {compile_s:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--seq", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    import_figure(args)
    inference_figure(args)


if __name__ == "__main__":
    main()
