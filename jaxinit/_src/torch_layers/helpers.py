"""PyTorch's default layer initialisation, as initializers for Flax layers.

Each helper takes a torch layer's hyperparameters and returns the initializers that give that
layer's parameters the laws torch's ``reset_parameters`` gives them, in Flax's parameter
layout. PyTorch draws a layer's bias from U(±1/sqrt(fan_in)), with the fan_in of the layer's
*weight*; a Flax ``bias_init`` only sees the bias shape, so these helpers take what the fan
needs (``in_features``, ``kernel_size``, ...) and hand back matching sets. For a whole model,
:func:`jaxinit.torch_defaults.reset_parameters` applies them layer by layer.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple, overload

from jaxinit._src import checks
from jaxinit._src.composite import Concat, ZeroRow
from jaxinit._src.export import public
from jaxinit._src.factories import ones, zeros
from jaxinit._src.initializer import Initializer
from jaxinit._src.torch_layers import formulas
from jaxinit._src.torch_layers.formulas import RecurrentBias, symmetric, xavier_bound


@public("jaxinit.torch_defaults")
class LayerInit(NamedTuple):
    """``kernel_init`` and ``bias_init`` of one layer; ``**init.kwargs()`` passes both to Flax."""

    kernel_init: Initializer
    bias_init: Initializer

    def kwargs(self) -> dict[str, Initializer]:
        return self._asdict()


@public("jaxinit.torch_defaults")
class NormInit(NamedTuple):
    """``scale_init`` and ``bias_init`` of a normalisation layer."""

    scale_init: Initializer
    bias_init: Initializer

    def kwargs(self) -> dict[str, Initializer]:
        return self._asdict()


@public("jaxinit.torch_defaults")
class ScaleInit(NamedTuple):
    """``scale_init`` of a normalisation layer without a bias (RMSNorm)."""

    scale_init: Initializer

    def kwargs(self) -> dict[str, Initializer]:
        return self._asdict()


@public("jaxinit.torch_defaults")
class RecurrentInit(NamedTuple):
    """The three initializers of a Flax recurrent cell (LSTM, GRU, simple RNN)."""

    kernel_init: Initializer
    recurrent_kernel_init: Initializer
    bias_init: Initializer | Concat  # a Concat for a packed GRU bias

    def kwargs(self) -> dict[str, Initializer | Concat]:
        return self._asdict()


@public("jaxinit.torch_defaults")
class AttentionInit(NamedTuple):
    """The initializers of ``torch.nn.MultiheadAttention``'s parameters, one per Flax projection.

    ``bias_kv_init`` is the law of torch's ``bias_k`` / ``bias_v`` (``add_bias_kv=True``),
    which Flax's attention layers do not have.
    """

    query_kernel_init: Initializer
    key_kernel_init: Initializer
    value_kernel_init: Initializer
    out_kernel_init: Initializer
    bias_init: Initializer
    out_bias_init: Initializer
    bias_kv_init: Initializer

    def kwargs(self) -> dict[str, Initializer]:
        """Keywords for ``nnx.MultiHeadAttention`` / ``linen.MultiHeadDotProductAttention``.

        Flax takes one ``kernel_init`` for the query, key and value projections; when torch
        draws them with different laws (``kdim`` or ``vdim`` other than ``embed_dim``) this is
        a ``ValueError``: use :func:`jaxinit.torch_defaults.reset_parameters` instead.
        """
        if not self.query_kernel_init == self.key_kernel_init == self.value_kernel_init:
            raise ValueError(
                "the query, key and value kernels follow different laws (kdim or vdim "
                "differs from embed_dim), and Flax takes one kernel_init for the three; "
                "use jaxinit.torch_defaults.reset_parameters on the model instead"
            )
        return {
            "kernel_init": self.query_kernel_init,
            "out_kernel_init": self.out_kernel_init,
            "bias_init": self.bias_init,
            "out_bias_init": self.out_bias_init,
        }


@public("jaxinit.torch_defaults")
class EncoderLayerInit(NamedTuple):
    """The sublayers of ``torch.nn.TransformerEncoderLayer``, under torch's attribute names."""

    self_attn: AttentionInit
    linear1: LayerInit
    linear2: LayerInit
    norm1: NormInit
    norm2: NormInit


@public("jaxinit.torch_defaults")
class DecoderLayerInit(NamedTuple):
    """The sublayers of ``torch.nn.TransformerDecoderLayer``, under torch's attribute names."""

    self_attn: AttentionInit
    multihead_attn: AttentionInit
    linear1: LayerInit
    linear2: LayerInit
    norm1: NormInit
    norm2: NormInit
    norm3: NormInit


def kernel_size_tuple(kernel_size: int | Sequence[int]) -> tuple[int, ...]:
    """``kernel_size`` as a tuple of positive ints: an int-like (``3``, ``np.int64(3)``) or a
    sequence of them; anything else is a ``TypeError`` naming the argument."""
    if isinstance(kernel_size, (str, bytes)):
        raise TypeError(f"`kernel_size` must be an int or a sequence of ints, got {kernel_size!r}")
    given: Any = kernel_size  # whatever the caller passed: told apart at run time
    try:
        operator.index(given)
    except TypeError:
        pass
    else:
        return (checks.integer("kernel_size", kernel_size, minimum=1),)
    try:
        entries = tuple(given)
    except TypeError:
        raise TypeError(f"`kernel_size` must be an int or a sequence of ints, got {kernel_size!r}") from None
    if not entries:
        raise ValueError(f"`kernel_size` must have at least one entry, got {kernel_size!r}")
    out = []
    for k in entries:
        try:
            out.append(checks.integer("kernel_size", k, minimum=1))
        except TypeError:
            raise TypeError(f"`kernel_size` entries must be integers, got {k!r} in {kernel_size!r}") from None
    return tuple(out)


def _groups(groups: int, feature_group_count: int | None) -> int:
    if feature_group_count is not None:
        warnings.warn(
            "`feature_group_count` is deprecated here: every torch_defaults helper "
            "names the group count `groups`, as torch does",
            DeprecationWarning,
            stacklevel=3,
        )
        if groups != 1:
            raise TypeError(
                f"pass `groups` only, got groups={groups!r} and feature_group_count={feature_group_count!r}"
            )
        groups = feature_group_count
    return checks.integer("groups", groups, minimum=1)


def _divides(groups: int, name: str, channels: int) -> None:
    if channels % groups:
        raise ValueError(f"`groups` must divide `{name}`, got {groups} and {channels}")


@public("jaxinit.torch_defaults")
def dense(in_features: int) -> LayerInit:
    r"""``torch.nn.Linear``'s defaults for a Flax ``Dense`` / ``nnx.Linear`` with ``in_features``
    inputs: weight and bias both :math:`\mathcal{U}(\pm 1/\sqrt{\text{in\_features}})`.

    torch writes the weight's law as ``kaiming_uniform_(w, a=math.sqrt(5))``: with gain
    :math:`\sqrt{2/(1+5)}` its bound :math:`\text{gain}\sqrt{3/\text{fan\_in}}` is
    :math:`1/\sqrt{\text{fan\_in}}`, which is what both initializers here are (fixed
    laws: the same as ``torch_defaults.reset_parameters`` gives a Linear).

    >>> import jaxinit
    >>> init = jaxinit.torch_defaults.dense(64)
    >>> init.bias_init
    uniform(a=-0.125, b=0.125)
    """
    fan_in = checks.integer("in_features", in_features, minimum=1)
    return LayerInit(formulas.linear(fan_in), formulas.linear(fan_in))


@public("jaxinit.torch_defaults")
def bilinear(in1_features: int) -> LayerInit:
    r"""``torch.nn.Bilinear``'s defaults: weight ``(out, in1, in2)`` and bias both
    :math:`\mathcal{U}(\pm 1/\sqrt{\text{in1\_features}})` (torch takes the bound from the
    weight's second axis only). Flax has no bilinear layer; use these for your own.

    >>> import jaxinit
    >>> jaxinit.torch_defaults.bilinear(16).kernel_init
    uniform(a=-0.25, b=0.25)
    """
    bound = 1.0 / math.sqrt(checks.integer("in1_features", in1_features, minimum=1))
    return LayerInit(symmetric(bound), symmetric(bound))


@public("jaxinit.torch_defaults")
def conv(
    in_features: int,
    kernel_size: int | Sequence[int],
    groups: int = 1,
    *,
    feature_group_count: int | None = None,
) -> LayerInit:
    r"""``torch.nn.Conv{1,2,3}d``'s defaults for a Flax ``Conv`` (kernel ``(*spatial, in/groups, out)``):
    weight and bias :math:`\mathcal{U}(\pm 1/\sqrt{\text{fan\_in}})` with
    :math:`\text{fan\_in} = \text{in\_features} / \text{groups} \cdot \prod \text{kernel\_size}`.

    ``groups`` is Flax's ``feature_group_count`` (the old keyword still works, with a
    ``DeprecationWarning``).

    >>> import jaxinit
    >>> jaxinit.torch_defaults.conv(16, (3, 3), groups=4).bias_init
    uniform(a=-0.16666666666666666, b=0.16666666666666666)
    """
    groups = _groups(groups, feature_group_count)
    channels = checks.integer("in_features", in_features, minimum=1)
    size = kernel_size_tuple(kernel_size)
    _divides(groups, "in_features", channels)
    fan_in = channels // groups * math.prod(size)
    return LayerInit(formulas.linear(fan_in), formulas.linear(fan_in))


@public("jaxinit.torch_defaults")
def conv_transpose(out_features: int, kernel_size: int | Sequence[int], groups: int = 1) -> LayerInit:
    r"""``torch.nn.ConvTranspose{1,2,3}d``'s defaults for a Flax ``ConvTranspose``.

    torch stores that weight as ``(in, out/groups, *spatial)`` and so takes its fan_in from the
    *output* channels: both laws are
    :math:`\mathcal{U}(\pm 1/\sqrt{\text{out\_features}/\text{groups} \cdot \prod \text{kernel\_size}})`.

    >>> import jaxinit
    >>> jaxinit.torch_defaults.conv_transpose(8, 2).bias_init
    uniform(a=-0.25, b=0.25)
    """
    groups = checks.integer("groups", groups, minimum=1)
    channels = checks.integer("out_features", out_features, minimum=1)
    size = kernel_size_tuple(kernel_size)
    _divides(groups, "out_features", channels)
    fan_in = channels // groups * math.prod(size)
    return LayerInit(formulas.linear(fan_in), formulas.linear(fan_in))


@public("jaxinit.torch_defaults")
def embed(padding_idx: int | None = None) -> Initializer | ZeroRow:
    r"""``torch.nn.Embedding`` / ``EmbeddingBag``'s default: :math:`\mathcal{N}(0, 1)` (Flax's
    ``Embed`` default is variance scaling), with row ``padding_idx`` zero when it is given.

    >>> import jax, jaxinit
    >>> jaxinit.torch_defaults.embed()
    normal(mean=0.0, std=1.0)
    >>> table = jaxinit.torch_defaults.embed(padding_idx=0)(jax.random.key(0), (5, 3))
    >>> table[0]
    Array([0., 0., 0.], dtype=float32)
    """
    if padding_idx is None:
        return formulas.embedding()
    return ZeroRow(formulas.embedding(), checks.integer("padding_idx", padding_idx))


@public("jaxinit.torch_defaults")
def norm() -> NormInit:
    """``torch.nn.LayerNorm`` / ``BatchNorm*d`` / ``GroupNorm`` / ``InstanceNorm*d(affine=True)``
    defaults: scale 1, bias 0.

    torch's BatchNorm starts its running mean at 0 and its running variance at 1, as Flax's
    ``BatchNorm`` does (its batch statistics take no initializer).
    """
    return NormInit(ones(), zeros())


@public("jaxinit.torch_defaults")
def rms_norm() -> ScaleInit:
    """``torch.nn.RMSNorm``'s default: scale 1 (it has no bias)."""
    return ScaleInit(ones())


@public("jaxinit.torch_defaults")
def prelu() -> Initializer:
    """``torch.nn.PReLU``'s default slope, 0.25 (Flax's ``PReLU`` starts at 0.01 and takes a
    number: ``nnx.PReLU(negative_slope_init=0.25)``)."""
    return formulas.prelu()


@overload
def recurrent_bias(hidden_size: int, bias: Literal["sum", "single"] = "sum") -> Initializer: ...
@overload
def recurrent_bias(hidden_size: int, bias: Literal["gru"]) -> Concat: ...
@overload
def recurrent_bias(hidden_size: int, bias: RecurrentBias = "sum") -> Initializer | Concat: ...
def recurrent_bias(hidden_size: int, bias: RecurrentBias = "sum") -> Initializer | Concat:
    r"""The law of a Flax recurrent cell's bias for torch's recurrent layers (see :func:`recurrent`)."""
    return formulas.recurrent_bias(hidden_size, bias)


@public("jaxinit.torch_defaults")
def recurrent(hidden_size: int, *, bias: RecurrentBias = "sum") -> RecurrentInit:
    r"""``torch.nn.RNN`` / ``LSTM`` / ``GRU`` (and their cells) defaults for a Flax cell.

    torch draws every weight and both biases ``b_ih`` and ``b_hh`` from
    :math:`\mathcal{U}(\pm k)`, :math:`k = 1/\sqrt{\text{hidden\_size}}`, and adds the two
    biases. A Flax cell has one bias per gate, so ``bias`` chooses its law:

    * ``"sum"`` (default): ``triangular(-2k, 2k)``, the law of ``b_ih + b_hh``. This reproduces
      torch for ``LSTMCell``, ``OptimizedLSTMCell`` and ``SimpleCell``, and for the reset and
      update gates of a GRU.
    * ``"single"``: :math:`\mathcal{U}(\pm k)`, one torch bias tensor; right for a GRU's
      candidate gate, whose two biases torch keeps apart (``b_in`` outside and ``b_hn`` inside
      the reset gate's product): linen's ``GRUCell`` biases ``in`` and ``hn``.
    * ``"gru"``: for ``nnx.GRUCell``'s packed ``(3 * hidden,)`` input bias (gates r, z, n):
      ``"sum"`` on r and z, ``"single"`` on n. ``nnx.GRUCell`` has no ``b_hn`` at all.

    One ``bias_init`` cannot give a linen ``GRUCell`` both laws;
    :func:`jaxinit.torch_defaults.reset_parameters` gives every cell its exact laws.

    >>> import jaxinit
    >>> jaxinit.torch_defaults.recurrent(100).bias_init
    triangular(a=-0.2, b=0.2)
    >>> jaxinit.torch_defaults.recurrent(100, bias="single").bias_init
    uniform(a=-0.1, b=0.1)
    """
    law = recurrent_bias(hidden_size, bias)
    weight = formulas.recurrent_weight(hidden_size)
    return RecurrentInit(weight, weight, law)


@public("jaxinit.torch_defaults")
def multihead_attention(
    embed_dim: int, kdim: int | None = None, vdim: int | None = None, *, in_transformer: bool = False
) -> AttentionInit:
    r"""``torch.nn.MultiheadAttention``'s defaults, one initializer per Flax projection.

    torch draws its packed ``in_proj_weight`` ``(3E, E)`` with ``xavier_uniform``, so each of
    Flax's query, key and value kernels ``(E, heads, head_dim)`` gets
    :math:`\mathcal{U}(\pm\sqrt{6/(4E)})`. When ``kdim`` or ``vdim`` differ from ``E`` torch
    draws the three projections separately, each with ``xavier_uniform`` of its own shape
    (query :math:`\sqrt{6/(2E)}`, key :math:`\sqrt{6/(E + \text{kdim})}`, ...). The input and
    output biases are zero; the output kernel keeps ``Linear``'s default
    :math:`\mathcal{U}(\pm 1/\sqrt{E})`; ``bias_k`` / ``bias_v`` are ``xavier_normal`` on
    ``(1, 1, E)``: :math:`\mathcal{N}(0, 1/E)`.

    ``in_transformer=True`` gives the laws inside ``torch.nn.Transformer``, which re-draws
    every parameter with more than one dimension by ``xavier_uniform`` after construction:
    the output kernel becomes :math:`\mathcal{U}(\pm\sqrt{6/(2E)})`.

    >>> import jaxinit
    >>> init = jaxinit.torch_defaults.multihead_attention(96)  # sqrt(6 / 384) = 1/8; 1/sqrt(96)
    >>> [round(i.distribution((96, 8, 12)).high, 12) for i in (init.query_kernel_init, init.out_kernel_init)]
    [0.125, 0.102062072616]
    """
    e = checks.integer("embed_dim", embed_dim, minimum=1)
    kdim = e if kdim is None else checks.integer("kdim", kdim, minimum=1)
    vdim = e if vdim is None else checks.integer("vdim", vdim, minimum=1)
    (q, _), (k, _), (v, _) = formulas.in_projections(e, kdim, vdim)
    return AttentionInit(
        q,
        k,
        v,
        formulas.out_projection(e, in_transformer),
        formulas.attention_bias(),
        formulas.attention_bias(),
        formulas.bias_kv(e, in_transformer),
    )


def _feedforward(d_model: int, dim_feedforward: int, in_transformer: bool) -> tuple[LayerInit, LayerInit]:
    dff = checks.integer("dim_feedforward", dim_feedforward, minimum=1)
    layers: list[LayerInit] = []
    for fan_in, fan_out in ((d_model, dff), (dff, d_model)):
        bias = formulas.linear(fan_in)
        weight = symmetric(xavier_bound((fan_out, fan_in))) if in_transformer else formulas.linear(fan_in)
        layers.append(LayerInit(weight, bias))
    return layers[0], layers[1]


@public("jaxinit.torch_defaults")
def transformer_encoder_layer(
    d_model: int, dim_feedforward: int = 2048, *, in_transformer: bool = False
) -> EncoderLayerInit:
    """``torch.nn.TransformerEncoderLayer``'s defaults, sublayer by sublayer: a
    :func:`multihead_attention` ``self_attn``, :func:`dense` ``linear1`` / ``linear2`` and
    :func:`norm` ``norm1`` / ``norm2``. ``in_transformer=True``: the laws inside
    ``torch.nn.Transformer`` (every weight matrix ``xavier_uniform``; biases and norms unchanged).

    ``torch.nn.TransformerEncoder(layer, num_layers)`` deep-copies ``layer``: its layers start
    with *identical* weights, which independent draws do not reproduce (``nn.Transformer``
    re-draws them, so its layers are independent).

    >>> import jaxinit
    >>> layer = jaxinit.torch_defaults.transformer_encoder_layer(64, 256)
    >>> layer.linear2.bias_init
    uniform(a=-0.0625, b=0.0625)
    """
    e = checks.integer("d_model", d_model, minimum=1)
    linear1, linear2 = _feedforward(e, dim_feedforward, in_transformer)
    return EncoderLayerInit(
        multihead_attention(e, in_transformer=in_transformer), linear1, linear2, norm(), norm()
    )


@public("jaxinit.torch_defaults")
def transformer_decoder_layer(
    d_model: int, dim_feedforward: int = 2048, *, in_transformer: bool = False
) -> DecoderLayerInit:
    """``torch.nn.TransformerDecoderLayer``'s defaults: :func:`transformer_encoder_layer`'s
    sublayers plus the cross-attention ``multihead_attn`` and ``norm3``."""
    e = checks.integer("d_model", d_model, minimum=1)
    linear1, linear2 = _feedforward(e, dim_feedforward, in_transformer)
    attention = multihead_attention(e, in_transformer=in_transformer)
    return DecoderLayerInit(attention, attention, linear1, linear2, norm(), norm(), norm())
