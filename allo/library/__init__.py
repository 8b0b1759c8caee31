"""Allo's kernel library: parameterized kernel templates with verified default schedules.

* :mod:`allo.library.nn`: neural-network operators (``linear2d``, ``layer_norm``,
  ``softmax``, ``conv2d``, attention, ...), each with ``schedule_<name>(s)``;
* :mod:`allo.library.systolic`: ``systolic`` / ``systolic_tile``, a systolic GEMM.

``KERNEL2SCHEDULE`` maps each kernel to its default schedule function.

Example::

    >>> import allo
    >>> from allo.ir.types import float32
    >>> from allo.library import KERNEL2SCHEDULE, nn
    >>> s = allo.customize(nn.relu2d, instantiate=[float32, 2, 4])
    >>> bool(KERNEL2SCHEDULE[nn.relu2d](s).verify())
    True
"""

from . import nn  # noqa: F401
from .nn import *  # noqa: F401,F403
from .systolic import (packed_systolic, schedule_packed_systolic, schedule_systolic,
                       schedule_systolic_tile, systolic, systolic_tile)

KERNEL2SCHEDULE = {
    systolic: schedule_systolic,
    packed_systolic: schedule_packed_systolic,
    systolic_tile: schedule_systolic_tile,
    nn.linear2d: nn.schedule_linear2d,
    nn.linear3d: nn.schedule_linear3d,
    nn.relu2d: nn.schedule_relu2d,
    nn.relu3d: nn.schedule_relu3d,
    nn.relu4d: nn.schedule_relu4d,
    nn.softmax: nn.schedule_softmax,
    nn.softmax_rows: nn.schedule_softmax_rows,
    nn.log_softmax: nn.schedule_log_softmax,
    nn.layer_norm: nn.schedule_layernorm,
    nn.GeLU: nn.schedule_gelu,
    nn.gelu_erf: nn.schedule_gelu_erf,
    nn.residual_add: nn.schedule_residual_add,
    nn.scaled_dot_product_attention: nn.schedule_scaled_dot_product_attention,
    nn.causal_attention: nn.schedule_causal_attention,
    nn.bmm: nn.schedule_bmm,
    nn.RoPE: nn.schedule_rope,
    nn.modulate_fused: nn.schedule_modulate_fused,
    nn.conv2d: nn.schedule_conv2d,
    nn.maxpool2d: nn.schedule_maxpool2d,
    nn.avgpool2d: nn.schedule_avgpool2d,
    nn.sumpool2d: nn.schedule_sumpool2d,
    nn.batchnorm2d: nn.schedule_batchnorm2d,
    nn.batchnorm1d_2d: nn.schedule_batchnorm1d_2d,
    nn.batchnorm1d_3d: nn.schedule_batchnorm1d_3d,
    nn.repeat_batch3d: nn.schedule_repeat_batch3d,
    nn.concat: nn.schedule_concat,
    nn.transpose: nn.schedule_transpose,
    nn.embedding: nn.schedule_embedding,
}
