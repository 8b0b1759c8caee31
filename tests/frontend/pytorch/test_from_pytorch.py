"""from_pytorch on an MLP, a small CNN, attention blocks, a transformers GPT-2 block and a
2-layer GPT2Model: each equals torch, each library schedule and the composed design verify;
unsupported operators give a located error; weights as arguments."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import allo  # noqa: E402
from allo.errors import AlloError  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def close(out, ref, rtol=1e-4, atol=1e-5):
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=rtol, atol=atol)


def mlp():
    torch.manual_seed(0)
    return tnn.Sequential(tnn.Linear(8, 16), tnn.ReLU(), tnn.Linear(16, 4)).eval()


def test_mlp_equals_torch_and_verifies():
    model, x = mlp(), torch.randn(2, 8)
    mod = allo.frontend.from_pytorch(model, [x], verify=True)
    close(mod(x), model(x))
    assert mod.kernel_verdicts and all(mod.kernel_verdicts.values())
    assert "nn.linear2d[" in mod.source and "nn.relu2d[" in mod.source
    assert mod.verify()


def test_mlp_with_fx_tracer_and_leaf_modules():
    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.fc = tnn.Linear(6, 6)

        def forward(self, x):
            return torch.tanh(self.fc(x)) * 0.5 + x

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.out = tnn.Linear(6, 3)

        def forward(self, x):
            return F.gelu(self.out(self.block(x)))

    torch.manual_seed(1)
    model, x = Net().eval(), torch.randn(4, 6)
    mod = allo.frontend.from_pytorch(model, [x], leaf_modules=[tnn.Linear])
    close(mod(x), model(x))
    assert "gelu_erf" in mod.source


class SmallCNN(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv = tnn.Conv2d(2, 4, 3, padding=1)
        self.bn = tnn.BatchNorm2d(4)
        self.pool = tnn.MaxPool2d(2)
        self.avg = tnn.AvgPool2d(2)
        self.fc = tnn.Linear(4 * 2 * 2, 3)

    def forward(self, x):
        x = self.avg(self.pool(F.relu(self.bn(self.conv(x)))))
        return self.fc(torch.flatten(x, 1))


def test_small_cnn_equals_torch_and_verifies():
    torch.manual_seed(2)
    model = SmallCNN()
    with torch.no_grad():  # non-trivial running statistics
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 1.5)
    model.eval()
    x = torch.randn(1, 2, 8, 8)
    for tracer in ("export", "fx"):
        mod = allo.frontend.from_pytorch(model, [x], tracer=tracer)
        close(mod(x), model(x))
    for name in ("conv2d", "batchnorm2d", "relu4d", "maxpool2d", "avgpool2d", "linear2d"):
        assert f"nn.{name}[" in mod.source
    assert mod.verify()


class Attention(tnn.Module):
    """Hand-written causal self-attention: the ops GPT-style code uses."""

    def __init__(self, d=16, heads=2, seq=8):
        super().__init__()
        self.h, self.d = heads, d
        self.qkv = tnn.Linear(d, 3 * d)
        self.proj = tnn.Linear(d, d)
        self.register_buffer("mask", torch.tril(torch.ones(seq, seq)).view(1, 1, seq, seq))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(self.d, dim=2)
        q = q.view(B, T, self.h, C // self.h).transpose(1, 2)
        k = k.view(B, T, self.h, C // self.h).transpose(1, 2)
        v = v.view(B, T, self.h, C // self.h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class SDPAAttention(Attention):
    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (t.reshape(B, T, self.h, C // self.h).permute(0, 2, 1, 3) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.permute(0, 2, 1, 3).reshape(B, T, C))


@pytest.mark.parametrize("cls", [Attention, SDPAAttention])
def test_attention_block_equals_torch_and_verifies(cls):
    torch.manual_seed(3)
    model, x = cls().eval(), torch.randn(1, 8, 16)
    mod = allo.frontend.from_pytorch(model, [x])
    close(mod(x), model(x))
    assert mod.verify()


def gpt2_config(layers=2, embd=32, heads=4, seq=16, vocab=32):
    transformers = pytest.importorskip("transformers")
    return transformers.GPT2Config(n_layer=layers, n_head=heads, n_embd=embd, n_positions=seq,
                                   vocab_size=vocab, use_cache=False, bos_token_id=0,
                                   eos_token_id=0)


class CausalGPT2Block(tnn.Module):
    """A GPT2Block given GPT-2's additive causal mask (a standalone block attends
    everywhere without one); the mask depends only on shapes, so the import folds it."""

    def __init__(self, config):
        super().__init__()
        from transformers.models.gpt2.modeling_gpt2 import GPT2Block

        config._attn_implementation = "eager"
        self.block = GPT2Block(config)

    def forward(self, x):
        n = x.shape[1]
        out = self.block(x, attention_mask=torch.full((n, n), float("-inf")).triu(1)[None, None])
        return out[0] if isinstance(out, tuple) else out


def test_gpt2_block_equals_torch():
    torch.manual_seed(4)
    block = CausalGPT2Block(gpt2_config()).eval()
    x = torch.randn(1, 16, 32)
    mod = allo.frontend.from_pytorch(block, [x])
    close(mod(x), block(x))
    # a standalone block runs transformers' eager attention: matmuls, a folded causal mask
    # and a softmax; its gelu_new arithmetic (eight aten nodes) is recognized as GeLU
    assert "nn.bmm[" in mod.source and "nn.softmax_rows[" in mod.source
    assert "nn.GeLU[" in mod.source and "allo.tanh(" not in mod.source


def test_gpt2_model_two_layers_from_token_ids():
    """The seed's from_pytorch snippet, on a locally built 2-layer GPT2Model (no hub)."""
    from transformers import GPT2Model

    torch.manual_seed(5)
    model = GPT2Model(gpt2_config()).eval()
    ids = torch.randint(0, 32, (1, 16))
    mod = allo.frontend.from_pytorch(model, example_inputs=[ids])
    close(mod(ids), model(ids).last_hidden_state)
    assert all(mod.kernel_verdicts.values())
    verdict = mod.verify()
    assert verdict, str(verdict)


def test_unsupported_operator_is_located():
    class Bad(tnn.Module):
        def forward(self, x):
            y = x + 1
            return torch.cumsum(y, dim=1)  # the unsupported line

    with pytest.raises(AlloError) as info:
        allo.frontend.from_pytorch(Bad(), [torch.randn(2, 3)])
    text = str(info.value)
    assert "cumsum" in text and "fx node 'cumsum'" in text
    assert "test_from_pytorch.py" in text and "the unsupported line" in text
    assert "Supported operators:" in text and "linear" in text


def test_unsupported_use_of_a_supported_op_is_located():
    class Bad(tnn.Module):
        def forward(self, x):
            return F.softmax(x, dim=0)

    with pytest.raises(AlloError, match=r"softmax over dim 0"):
        allo.frontend.from_pytorch(Bad(), [torch.randn(2, 3)])


def test_weights_as_arguments():
    model, x = mlp(), torch.randn(2, 8)
    mod = allo.frontend.from_pytorch(model, [x], weights_as_args=True)
    assert len(mod.weights) == 4 and all(n.startswith("w_") for n in mod.weight_names)
    assert "c_" not in mod.source
    close(mod(x, *mod.weights), model(x))
    changed = [w * 2 for w in mod.weights]
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2)
    close(mod(x, *changed), model(x))


def test_mlir_target_returns_the_composed_schedule():
    model, x = mlp(), torch.randn(2, 8)
    s = allo.frontend.from_pytorch(model, [x], target="mlir")
    assert isinstance(s, allo.Schedule)
    assert "func.func @Sequential" in str(s.module)
    assert s.history  # the composed library schedules


def test_import_allo_does_not_import_torch():
    code = "import sys, allo, allo.library, allo.frontend; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_missing_torch_names_the_extra():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import allo\n"
            "try:\n"
            "    allo.frontend.from_pytorch(object(), [])\n"
            "except allo.AlloError as e:\n"
            "    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr
    assert "allo[torch]" in out.stdout and "not installed" in out.stdout


def test_gpt2_block_hls_csim_equals_torch(tmp_path):
    """HLS C++ of one imported GPT-2 block, compiled and run by C simulation (the HLS
    build gate proves the composed design first)."""
    torch.manual_seed(6)
    block = CausalGPT2Block(gpt2_config(layers=1, embd=16, heads=2, seq=8)).eval()
    x = torch.randn(1, 8, 16)
    mod = allo.frontend.from_pytorch(block, [x], target="vitis_hls", mode="csim",
                                     project=str(tmp_path / "gpt2_block.prj"))
    assert "Verified: equivalent" in str(mod)
    out = np.zeros((1, 8, 16), np.float32)
    mod(x.numpy(), out)
    close(out, block(x))
    assert (tmp_path / "gpt2_block.prj" / "kernel.cpp").exists()


def test_a_wrong_lowering_is_caught_by_the_check_against_torch(monkeypatch):
    """The built design runs once on the example inputs; a lowering bug (here: relu
    lowered as the identity) is an error, never a silently wrong module."""
    from allo.frontend.pytorch import ops

    monkeypatch.setitem(ops.HANDLERS, "relu", lambda ctx, node, op, x, *a, **k: x)
    model, x = mlp(), torch.randn(2, 8)
    with pytest.raises(AlloError, match="differs from torch on the example inputs"):
        allo.frontend.from_pytorch(model, [x])


def test_gelu_tanh_arithmetic_becomes_the_library_kernel_only_when_private():
    """The tanh-GELU written out as arithmetic maps to nn.GeLU; when an inner value is
    also used elsewhere, the arithmetic is kept (absorbing it would lose that value)."""
    c = math.sqrt(2.0 / math.pi)

    class Gelu(tnn.Module):
        def forward(self, x):
            return 0.5 * x * (1.0 + torch.tanh(c * (x + 0.044715 * torch.pow(x, 3.0))))

    class Shared(tnn.Module):
        def forward(self, x):
            t = torch.tanh(c * (x + 0.044715 * torch.pow(x, 3.0)))
            return 0.5 * x * (1.0 + t) + t

    x = torch.randn(2, 3, 4)
    mod = allo.frontend.from_pytorch(Gelu(), [x])
    assert "nn.GeLU[" in mod.source and "allo.tanh(" not in mod.source
    close(mod(x), Gelu()(x))
    mod = allo.frontend.from_pytorch(Shared(), [x])
    assert "nn.GeLU[" not in mod.source
    close(mod(x), Shared()(x))
