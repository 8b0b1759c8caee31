"""Quantized layers (op_dtypes): W8A8 and W4A8 linear layers are bit-exact to an integer
numpy reference written here, and the quantized design verifies."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn as tnn  # noqa: E402

import allo  # noqa: E402
from allo.errors import AlloError  # noqa: E402


def model_and_input():
    torch.manual_seed(11)
    model = tnn.Sequential(tnn.Linear(8, 12), tnn.ReLU(), tnn.Linear(12, 4)).eval()
    return model, torch.randn(3, 8)


def int_reference(x, weight, bias, bits):
    """Symmetric per-tensor quantization, integer product, float32 dequantization."""
    f32 = np.float32
    qmax_w = 2 ** (bits - 1) - 1
    x_scale = f32(np.abs(x).max() / 127.0)
    w_scale = f32(np.abs(weight).max() / qmax_w)
    xq = np.clip(np.floor(x / x_scale + f32(0.5)), -128, 127).astype(np.int32)
    wq = np.clip(np.floor(weight / w_scale + f32(0.5)), -qmax_w - 1, qmax_w).astype(np.int32)
    acc = xq @ wq.T                                  # exact in int32 at these sizes
    return acc.astype(f32) * f32(x_scale * w_scale) + bias, wq


@pytest.mark.parametrize("scheme, bits", [("int8", 8), ("int4", 4)])
def test_quantized_mlp_is_bit_exact_and_verifies(scheme, bits):
    model, x = model_and_input()
    mod = allo.frontend.from_pytorch(model, [x], op_dtypes={"linear": scheme}, verify=True)
    w0, b0 = (p.detach().numpy() for p in model[0].parameters())
    w1, b1 = (p.detach().numpy() for p in model[2].parameters())
    # the design computes layer 0 quantized; layer 1's activation scale is calibrated on
    # the float model's hidden activation (the example run)
    h, wq0 = int_reference(x.numpy(), w0, b0, bits)
    h = np.maximum(h, np.float32(0))
    calib = model[1](model[0](x)).detach().numpy()
    x_scale1 = np.float32(np.abs(calib).max() / 127.0)
    qmax = 2 ** (bits - 1) - 1
    w_scale1 = np.float32(np.abs(w1).max() / qmax)
    wq1 = np.clip(np.floor(w1 / w_scale1 + np.float32(0.5)), -qmax - 1, qmax).astype(np.int32)
    xq1 = np.clip(np.floor(h / x_scale1 + np.float32(0.5)), -128, 127).astype(np.int32)
    ref = (xq1 @ wq1.T).astype(np.float32) * np.float32(x_scale1 * w_scale1) + b1
    out = mod(x)
    first, second = sorted(mod.quantized)
    np.testing.assert_array_equal(mod.quantized[first]["w_q"], wq0)
    np.testing.assert_array_equal(mod.quantized[second]["w_q"], wq1)
    np.testing.assert_array_equal(out, ref)
    # and it still approximates the float model
    np.testing.assert_allclose(out, model(x).detach().numpy(), atol=0.15 if bits == 4 else 0.05)
    assert f"nn.linear2d[int8, int{bits}, int32, " in mod.source


def test_first_layer_bit_exact_against_integer_reference():
    """One quantized layer, its whole output compared with the integer reference above."""
    torch.manual_seed(12)
    layer, x = tnn.Linear(16, 8).eval(), torch.randn(4, 16)
    for scheme, bits in (("w8a8", 8), ("w4a8", 4)):
        mod = allo.frontend.from_pytorch(layer, [x], op_dtypes={"linear": scheme})
        ref, _ = int_reference(x.numpy(), layer.weight.detach().numpy(),
                               layer.bias.detach().numpy(), bits)
        np.testing.assert_array_equal(mod(x), ref)
        assert mod.verify()


def test_bad_scheme_is_an_error():
    model, x = model_and_input()
    with pytest.raises(AlloError, match="not a quantization scheme"):
        allo.frontend.from_pytorch(model, [x], op_dtypes={"linear": "int3"})


def test_w4a8_gpt2_imports_verifies_and_approximates():
    """The paper's data-type customization on a (tiny) GPT2Model: every linear layer W4A8."""
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(13)
    config = transformers.GPT2Config(n_layer=1, n_head=2, n_embd=16, n_positions=8, vocab_size=16,
                                     use_cache=False, bos_token_id=0, eos_token_id=0)
    model = transformers.GPT2Model(config).eval()
    ids = torch.randint(0, 16, (1, 8))
    mod = allo.frontend.from_pytorch(model, [ids], op_dtypes={"linear": "w4a8"}, verify=True)
    assert len(mod.quantized) == 4 and all(r["bits"] == 4 for r in mod.quantized.values())
    assert all(np.abs(r["w_q"]).max() <= 8 for r in mod.quantized.values())
    assert mod.source.count("nn.linear2d[int8, int4, int32, ") == 4
    ref = model(ids).last_hidden_state.detach().numpy()
    out = mod(ids)
    assert np.abs(out - ref).max() < 0.25 * np.abs(ref).max()
