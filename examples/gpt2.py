"""A GPT-2 layer two ways: written by hand from library kernels and customized kernel by
kernel (the seed slides' ``GPT_layer`` + ``s.compose([s_qkv, ..., s_gelu])``), and
imported from PyTorch (``allo.frontend.from_pytorch`` on a transformers ``GPT2Block``).
Both use the same weights, both are proved equivalent to their un-customized hierarchy,
and both are compared with ``block(x)`` in torch.

Run: ``python examples/gpt2.py`` (``--seq``, ``--hidden``, ``--heads`` change the sizes;
needs the ``[torch]`` extra). ``allo verify examples/gpt2.py`` checks the hand-written
design.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import allo
from allo.ir.types import float32
from allo.library import nn

L, D, H = 8, 32, 4          # sequence length, hidden size, heads (the defaults; --seq ...)
DH, FF = D // H, 4 * D


def split_heads(X: float32[L, D]) -> float32[H, L, DH]:
    """[L, D] -> [heads, L, head size]."""
    Y: float32[H, L, DH]
    for h, i, j in allo.grid(H, L, DH, name="split"):
        Y[h, i, j] = X[i, h * DH + j]
    return Y


def merge_heads(X: float32[H, L, DH]) -> float32[L, D]:
    """[heads, L, head size] -> [L, D]."""
    Y: float32[L, D]
    for i, h, j in allo.grid(L, H, DH, name="merge"):
        Y[i, h * DH + j] = X[h, i, j]
    return Y


def GPT_layer(inp: float32[L, D], g1: float32[D], b1: float32[D],
              Wq: float32[D, D], Bq: float32[D], Wk: float32[D, D], Bk: float32[D],
              Wv: float32[D, D], Bv: float32[D], Wo: float32[D, D], Bo: float32[D],
              g2: float32[D], b2: float32[D], W1: float32[FF, D], B1: float32[FF],
              W2: float32[D, FF], B2: float32[D]) -> float32[L, D]:
    # 1. Multi-head attention (pre-norm, causal)
    ln1 = nn.layer_norm[float32, L, D, "ln1"](inp, g1, b1)
    Q = nn.linear2d[float32, float32, float32, L, D, D, "q"](ln1, Wq, Bq)
    K = nn.linear2d[float32, float32, float32, L, D, D, "k"](ln1, Wk, Bk)
    V = nn.linear2d[float32, float32, float32, L, D, D, "v"](ln1, Wv, Bv)
    Qh = split_heads(Q)
    Kh = split_heads(K)
    Vh = split_heads(V)
    attn = nn.causal_attention[float32, H, L, DH, 1](Qh, Kh, Vh)
    proj = nn.linear2d[float32, float32, float32, L, D, D, "proj"](merge_heads(attn), Wo, Bo)
    res1 = nn.residual_add[float32, L, D, "res1"](proj, inp)
    # 2. Feed-forward network
    ln2 = nn.layer_norm[float32, L, D, "ln2"](res1, g2, b2)
    ffn1 = nn.linear2d[float32, float32, float32, L, FF, D, "ffn1"](ln2, W1, B1)
    act = nn.GeLU[float32, L, FF](ffn1)
    ffn2 = nn.linear2d[float32, float32, float32, L, D, FF, "ffn2"](act, W2, B2)
    ffn_res_outp = nn.residual_add[float32, L, D, "res2"](ffn2, res1)
    return ffn_res_outp


def schedule_linear(n: int, k: int, name: str):
    """Row-stationary linear layer: i-k-j order, a row buffer of Z, j pipelined, the weight
    banked along its output dimension so two columns are read per cycle."""
    s = allo.customize(nn.linear2d, instantiate=[float32, float32, float32, L, n, k])
    s.reorder("mac:k", "mac:j")
    s.buffer_at(s.Z, axis="mac:i")
    s.pipeline("mac:j")
    s.pipeline("bias:j")
    s.partition(s.W, allo.Partition.Cyclic, dim=1, factor=2)
    return s, name


def design_gpt_layer():
    """The hand-written layer, customized kernel by kernel and composed (the slides'
    ``s.compose([s_qkv, ..., s_gelu])``)."""
    s_ln = nn.schedule_layernorm(allo.customize(nn.layer_norm, instantiate=[float32, L, D]))
    s_attn = allo.customize(nn.causal_attention, instantiate=[float32, H, L, DH, 1])
    s_attn.reorder("qk:k", "qk:j")
    s_attn.pipeline("qk:j")
    s_attn.pipeline("exp_sum:j")
    s_attn.reorder("pv:k", "pv:j")
    s_attn.buffer_at(s_attn.Z, axis="pv:i")
    s_attn.pipeline("pv:j")
    s_gelu = allo.customize(nn.GeLU, instantiate=[float32, L, FF])
    s_gelu.pipeline("gelu:j")
    s_res = allo.customize(nn.residual_add, instantiate=[float32, L, D])
    s_res.pipeline("add:j")
    s_split = allo.customize(split_heads)
    s_split.pipeline("split:j")
    s_merge = allo.customize(merge_heads)
    s_merge.pipeline("merge:j")
    s = allo.customize(GPT_layer)
    for sub, name in (schedule_linear(D, D, "q"), schedule_linear(D, D, "k"),
                      schedule_linear(D, D, "v"), schedule_linear(D, D, "proj"),
                      schedule_linear(FF, D, "ffn1"), schedule_linear(D, FF, "ffn2")):
        s.compose(sub, id=name)
    s.compose([s_ln, s_attn, s_gelu, s_res, s_split, s_merge])
    return s


def torch_block(seed: int = 0):
    """A transformers GPT2Block with the layer's sizes (local config, fixed seed), called
    with GPT-2's causal mask (a standalone block attends everywhere unless given a mask;
    GPT2Model builds the mask, here a constant that the import folds)."""
    import torch
    from transformers import GPT2Config
    from transformers.models.gpt2.modeling_gpt2 import GPT2Block

    class CausalBlock(torch.nn.Module):
        def __init__(self, config):
            super().__init__()
            self.block = GPT2Block(config)

        def forward(self, x):
            n = x.shape[1]
            mask = torch.full((n, n), float("-inf")).triu(1)[None, None]
            out = self.block(x, attention_mask=mask)
            return out[0] if isinstance(out, tuple) else out

    torch.manual_seed(seed)
    config = GPT2Config(n_layer=1, n_head=H, n_embd=D, n_positions=L, vocab_size=64,
                        use_cache=False, bos_token_id=0, eos_token_id=0)
    config._attn_implementation = "eager"  # transformers' own attention code, op by op
    return CausalBlock(config).eval()


def block_weights(block):
    """The block's parameters in GPT_layer's argument order (GPT-2's Conv1D stores
    weights as [in, out]; linear2d takes [out, in])."""
    p = {k.removeprefix("block."): v.detach().numpy() for k, v in block.state_dict().items()}
    Wqkv, Bqkv = p["attn.c_attn.weight"].T, p["attn.c_attn.bias"]
    W = [np.ascontiguousarray(Wqkv[k * D:(k + 1) * D]) for k in range(3)]
    B = [Bqkv[k * D:(k + 1) * D] for k in range(3)]
    return [p["ln_1.weight"], p["ln_1.bias"], W[0], B[0], W[1], B[1], W[2], B[2],
            np.ascontiguousarray(p["attn.c_proj.weight"].T), p["attn.c_proj.bias"],
            p["ln_2.weight"], p["ln_2.bias"],
            np.ascontiguousarray(p["mlp.c_fc.weight"].T), p["mlp.c_fc.bias"],
            np.ascontiguousarray(p["mlp.c_proj.weight"].T), p["mlp.c_proj.bias"]]


def main(argv=None) -> int:
    global L, D, H, DH, FF
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seq", type=int, default=L)
    parser.add_argument("--hidden", type=int, default=D)
    parser.add_argument("--heads", type=int, default=H)
    args = parser.parse_args(argv)
    L, D, H = args.seq, args.hidden, args.heads
    DH, FF = D // H, 4 * D
    import torch

    block = torch_block()
    x = torch.randn(1, L, D)
    ref = block(x).detach().numpy()[0]
    failures = 0

    print(f"== hand-written GPT_layer (L={L}, D={D}, H={H}), customized kernel by kernel ==")
    start = time.perf_counter()
    s = design_gpt_layer()
    verdict = s.verify()
    out = s.build()(x.numpy()[0], *block_weights(block))
    diff = float(np.abs(out - ref).max())
    print(f"  {len(s.history)} primitives composed; verdict: {verdict.status} "
          f"({verdict.method}; exact IEEE float: no schedule reorders a float reduction)")
    print(f"  LLVM vs torch GPT2Block: max |diff| = {diff:.2e}   [{time.perf_counter() - start:.1f} s]")
    failures += not (verdict and np.allclose(out, ref, rtol=1e-4, atol=1e-5))

    print("== the same layer imported from torch (from_pytorch on GPT2Block) ==")
    start = time.perf_counter()
    mod = allo.frontend.from_pytorch(block, [x])
    for label, v in mod.kernel_verdicts.items():
        print(f"  {label:<58} {v.status}")
    verdict = mod.verify()
    diff = float(np.abs(mod(x)[0] - ref).max())
    print(f"  composed design vs its un-customized hierarchy: {verdict.status} ({verdict.method})")
    print(f"  LLVM vs torch GPT2Block: max |diff| = {diff:.2e}   [{time.perf_counter() - start:.1f} s]")
    failures += not (verdict and diff <= 1e-4 * max(1.0, float(np.abs(ref).max())))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
