"""PyTorch's ``reset_parameters`` laws, written once, from the torch layer's hyperparameters.

Both faces of the torch defaults read this table: the per-layer helpers
(:mod:`jaxinit._src.torch_layers.helpers`, ``kernel_init``/``bias_init`` for one Flax layer)
and the layer rules of the model walk (:mod:`jaxinit._src.torch_layers.rules`, which also name
the torch tensor's shape). Each law here is a fixed initializer: its parameters come from the
hyperparameters, never from the shape it is called with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, TypeAlias, cast

from jaxinit._src import checks
from jaxinit._src.composite import Concat
from jaxinit._src.factories import constant, normal, triangular, uniform, xavier_uniform, zeros
from jaxinit._src.initializer import Initializer
from jaxinit._src.laws import Uniform

BIAS_LAWS = ("sum", "single", "gru")
#: The laws :func:`recurrent_bias` may give a Flax cell's bias.
RecurrentBias: TypeAlias = Literal["sum", "single", "gru"]


def symmetric(bound: float) -> Initializer:
    """U(±bound)."""
    init: Initializer = uniform(-bound, bound)
    return init


def xavier_bound(torch_shape: Sequence[int]) -> float:
    """The bound of ``torch.nn.init.xavier_uniform_`` on a tensor of ``torch_shape``."""
    law = cast(Uniform, xavier_uniform(layout="torch").distribution(tuple(torch_shape)))
    return cast(float, law.high)


def linear(fan_in: int) -> Initializer:
    r"""``torch.nn.Linear`` / ``Conv*d`` / ``ConvTranspose*d`` weight and bias:
    :math:`\mathcal{U}(\pm 1/\sqrt{\text{fan\_in}})`, ``fan_in`` the torch weight's.

    torch writes the weight's law as ``kaiming_uniform_(w, a=math.sqrt(5))``, whose bound
    ``sqrt(3) * sqrt(2 / 6) / sqrt(fan_in)`` is the same number up to the last bit; the bound
    here is ``1 / sqrt(fan_in)`` (the bias's, as torch writes it) for the weight too.
    """
    return symmetric(1.0 / math.sqrt(fan_in))


def embedding() -> Initializer:
    """``torch.nn.Embedding`` / ``EmbeddingBag``: N(0, 1)."""
    init: Initializer = normal(0.0, 1.0)
    return init


def prelu() -> Initializer:
    """``torch.nn.PReLU``: 0.25."""
    init: Initializer = constant(0.25)
    return init


def recurrent_weight(hidden_size: int) -> Initializer:
    """Every weight (and each single bias) of ``torch.nn.RNN`` / ``LSTM`` / ``GRU``: U(±1/sqrt(hidden))."""
    return symmetric(1.0 / math.sqrt(hidden_size))


def recurrent_bias(hidden_size: int, bias: RecurrentBias = "sum") -> Initializer | Concat:
    """A Flax cell's bias: ``"sum"`` b_ih + b_hh (triangular(±2k)), ``"single"`` one torch bias
    (U(±k)), ``"gru"`` a packed (r, z, n) bias, sum on r and z and single on n."""
    checks.choice("bias", bias, BIAS_LAWS)
    hidden = checks.integer("hidden_size", hidden_size, minimum=1)
    bound = 1.0 / math.sqrt(hidden)
    if bias == "single":
        return symmetric(bound)
    summed: Initializer = triangular(-2.0 * bound, 2.0 * bound)
    if bias == "sum":
        return summed
    return Concat((summed, 2 * hidden), (symmetric(bound), hidden))


def in_projections(embed_dim: int, kdim: int, vdim: int) -> tuple[tuple[Initializer, tuple[int, int]], ...]:
    """``torch.nn.MultiheadAttention``'s query, key and value projections: each law and the
    shape of the torch tensor it is drawn as. With ``kdim == vdim == embed_dim`` torch packs
    them in one ``in_proj_weight`` ``(3E, E)``, drawn by ``xavier_uniform``; otherwise each
    projection ``(E, dim)`` is drawn by ``xavier_uniform`` of its own shape."""
    e = embed_dim
    if kdim == e and vdim == e:
        packed = symmetric(xavier_bound((3 * e, e)))
        return tuple((packed, (3 * e, e)) for _ in range(3))
    return tuple((symmetric(xavier_bound((e, d))), (e, d)) for d in (e, kdim, vdim))


def out_projection(embed_dim: int, in_transformer: bool = False) -> Initializer:
    """``MultiheadAttention.out_proj.weight``: Linear's law, or ``xavier_uniform`` inside
    ``torch.nn.Transformer``."""
    e = embed_dim
    return symmetric(xavier_bound((e, e))) if in_transformer else linear(e)


def bias_kv(embed_dim: int, in_transformer: bool = False) -> Initializer:
    """``bias_k`` / ``bias_v`` (``add_bias_kv=True``): ``xavier_normal`` of ``(1, 1, E)``."""
    e = embed_dim
    if in_transformer:
        return symmetric(xavier_bound((1, 1, e)))
    init: Initializer = normal(0.0, 1.0 / math.sqrt(e))
    return init


def attention_bias() -> Initializer:
    """``in_proj_bias`` and ``out_proj.bias``: zero."""
    init: Initializer = zeros()
    return init
