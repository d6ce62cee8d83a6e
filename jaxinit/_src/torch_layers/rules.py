"""Layer rules: which law each parameter of a layer type gets, and the registry of rules.

A rule is ``rule(layer, params) -> {relative path: initializer}``. ``layer`` is the layer
object (an ``nnx.Module``, an ``eqx.Module``, or the linen module as it was called during
``init``); ``params`` maps the path of each parameter under the layer (``"kernel"``,
``"query/kernel"``) to a ``jax.ShapeDtypeStruct``. A value may be a :class:`TorchParam`, which
also names the shape of the torch tensor the parameter stands for, so that
``reset_parameters(..., transformer=...)`` can apply ``nn.Transformer``'s ``xavier_uniform``.

The built-in rules below are written from the torch layer's side (its hyperparameters); the
framework modules (``nnx_layers``, ``linen_layers``, ``equinox_layers``) read those
hyperparameters from their layers and name their parameters.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import sys
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeAlias, TypeVar, cast, overload

import jax

from jaxinit._src.export import public
from jaxinit._src.factories import ones, zeros
from jaxinit._src.recipe import KINDS
from jaxinit._src.torch_layers import formulas
from jaxinit.typing import Initializer


@public("jaxinit.torch_defaults")
class TorchParam(NamedTuple):
    """A rule's answer for one parameter: its initializer, and the shape of the torch tensor it
    stands for (``nn.Transformer`` re-draws torch tensors with more than one dimension)."""

    init: Initializer
    torch_shape: tuple[int, ...]


#: ``rule(layer, params) -> {relative path: initializer or TorchParam}``; ``params`` maps each
#: parameter's path under the layer to its shape and dtype.
Rule: TypeAlias = Callable[[Any, Mapping[str, jax.ShapeDtypeStruct]], Mapping[str, Initializer | TorchParam]]
RuleT = TypeVar("RuleT", bound=Rule)

_USER: dict[type, Rule] = {}
_BUILTIN: dict[type, Rule] = {}


def builtin(*layer_types: type) -> Callable[[RuleT], RuleT]:
    def wrap(rule: RuleT) -> RuleT:
        for layer_type in layer_types:
            _BUILTIN[layer_type] = rule
        return rule

    return wrap


@dataclasses.dataclass(frozen=True)
class Kind:
    """What a layer type is, for the recipes (:mod:`jaxinit._src.recipe`): one of
    :data:`KINDS`, and the paths of its weight and bias under the layer (``None``: it has none)."""

    kind: str
    weight: str | None
    bias: str | None = None


_KINDS: dict[type, Kind] = {}


def kind(name: str, weight: str | None, bias: str | None, *layer_types: type) -> None:
    """Declare the kind of built-in layer types (torch's Linear, Conv, Embedding or a norm)."""
    assert name in KINDS, name
    for layer_type in layer_types:
        _KINDS[layer_type] = Kind(name, weight, bias)


def kind_of(layer_type: type) -> Kind | None:
    """The kind of exactly this type (a subclass may differ: no inheritance, as :func:`lookup`)."""
    return _KINDS.get(layer_type)


def lookup(layer_type: type) -> Rule | None:
    """The rule for exactly this type (a subclass may add or change parameters: no inheritance)."""
    return _USER.get(layer_type) or _BUILTIN.get(layer_type)


def type_name(layer_type: type) -> str:
    return f"{layer_type.__module__}.{layer_type.__qualname__}"


#: The frameworks with built-in rules: the module prefix of their layer types, and the module
#: of this package that declares those rules (imported on first use: each framework is optional).
_FRAMEWORKS = (
    ("flax.nnx", "nnx", "nnx_layers"),
    ("flax.linen", "linen", "linen_layers"),
    ("equinox", "equinox", "equinox_layers"),
)


def load_builtins_for(layer_type: type) -> None:
    """Import the built-in rules of the framework ``layer_type`` comes from (if it is one)."""
    module = layer_type.__module__
    for prefix, _, rules in _FRAMEWORKS:
        if module == prefix or module.startswith(prefix + "."):
            importlib.import_module(f"jaxinit._src.torch_layers.{rules}")


def framework_of(model: Any) -> str | None:
    """``"nnx"``, ``"linen"`` or ``"equinox"`` for a module of that framework, else ``None``
    (a plain pytree). Checked without importing a framework that is not loaded."""
    for prefix, name, _ in _FRAMEWORKS:
        framework = sys.modules.get(prefix)
        module_type = getattr(framework, "Module", None)
        if isinstance(module_type, type) and isinstance(model, module_type):
            return name
    return None


@overload
def register_layer(layer_type: type, rule: RuleT, *, like: None = None) -> RuleT: ...
@overload
def register_layer(layer_type: type, rule: None = None, *, like: type) -> Rule: ...
@overload
def register_layer(layer_type: type, rule: None = None, *, like: None = None) -> Callable[[RuleT], RuleT]: ...
@public("jaxinit.torch_defaults")
def register_layer(
    layer_type: type, rule: Rule | None = None, *, like: type | None = None
) -> Rule | Callable[[Rule], Rule]:
    """Teach :func:`reset_parameters` a layer type: give its parameters' initializers.

    ``rule(layer, params)`` receives the layer and a dict from each parameter's path under the
    layer (``"weight"``, ``"proj/kernel"``) to its ``jax.ShapeDtypeStruct``, and returns a dict
    from those paths to initializers (any ``init(key, shape, dtype)`` callable, or a
    :class:`TorchParam`). Parameters it leaves out stay uncovered, unless a sublayer's rule
    covers them. ``like=nnx.Linear`` reuses the rule of a known type, for a subclass that keeps
    its parent's parameters. Registering a known type replaces its built-in rule. Usable as a
    decorator: ``@register_layer(MyLayer)``.

    >>> import jax, jax.numpy as jnp, jaxinit
    >>> from flax import nnx
    >>> class Scale(nnx.Module):
    ...     def __init__(self, n):
    ...         self.gain = nnx.Param(jnp.zeros(n))
    >>> _ = jaxinit.torch_defaults.register_layer(Scale, lambda layer, params: {"gain": jaxinit.ones()})
    >>> jaxinit.torch_defaults.reset_parameters(Scale(3), jax.random.key(0)).gain[...]
    Array([1., 1., 1.], dtype=float32)
    """
    if not isinstance(layer_type, type):
        raise TypeError(f"`layer_type` must be a class, got {layer_type!r}")
    if like is not None:
        if rule is not None:
            raise TypeError("pass either `rule` or `like`, not both")
        load_builtins_for(like)
        rule = lookup(like)
        if rule is None:
            raise ValueError(f"`like` must be a layer type with a rule, got {type_name(like)}")
    if rule is None:
        return lambda fn: register_layer(layer_type, fn)
    if not callable(rule):
        raise TypeError(f"`rule` must be a callable (layer, params) -> dict, got {rule!r}")
    _USER[layer_type] = rule
    return rule


# -- the laws of torch's layers, by torch hyperparameters --------------------------------


def _linear(
    fan_in: int, weight: tuple[int, ...], bias: tuple[int, ...], kernel: str, bias_name: str
) -> dict[str, TorchParam]:
    law = formulas.linear(fan_in)
    return {kernel: TorchParam(law, weight), bias_name: TorchParam(law, bias)}


def linear(
    in_features: int, out_features: int, kernel: str = "kernel", bias: str = "bias"
) -> dict[str, TorchParam]:
    """torch.nn.Linear(in_features, out_features): weight and bias U(+-1/sqrt(in_features))."""
    return _linear(in_features, (out_features, in_features), (out_features,), kernel, bias)


def conv(
    in_per_group: int,
    out_channels: int,
    kernel_size: tuple[int, ...],
    kernel: str = "kernel",
    bias: str = "bias",
) -> dict[str, TorchParam]:
    """torch.nn.ConvNd: weight (out, in/groups, *k); both U(+-1/sqrt(in/groups * prod(k)))."""
    return _linear(
        in_per_group * math.prod(kernel_size),
        (out_channels, in_per_group, *kernel_size),
        (out_channels,),
        kernel,
        bias,
    )


def conv_transpose(
    in_channels: int,
    out_per_group: int,
    groups: int,
    kernel_size: tuple[int, ...],
    kernel: str = "kernel",
    bias: str = "bias",
) -> dict[str, TorchParam]:
    """torch.nn.ConvTransposeNd: weight (in, out/groups, *k), whose fan_in is out/groups * prod(k)."""
    return _linear(
        out_per_group * math.prod(kernel_size),
        (in_channels, out_per_group, *kernel_size),
        (out_per_group * groups,),
        kernel,
        bias,
    )


def embedding(num_embeddings: int, dim: int, table: str) -> dict[str, TorchParam]:
    """torch.nn.Embedding: N(0, 1)."""
    return {table: TorchParam(formulas.embedding(), (num_embeddings, dim))}


def affine(params: Mapping[str, jax.ShapeDtypeStruct], scale: str, bias: str) -> dict[str, TorchParam]:
    """Norm layers' weight 1 and bias 0 (the torch tensor has the parameter's own shape)."""
    out: dict[str, TorchParam] = {}
    if scale in params:
        out[scale] = TorchParam(ones(), tuple(params[scale].shape))
    if bias in params:
        out[bias] = TorchParam(zeros(), tuple(params[bias].shape))
    return out


def running_stats(params: Mapping[str, jax.ShapeDtypeStruct], mean: str, var: str) -> dict[str, TorchParam]:
    """BatchNorm's running_mean 0 and running_var 1 (torch's reset_running_stats)."""
    out: dict[str, TorchParam] = {}
    if mean in params:
        out[mean] = TorchParam(zeros(), tuple(params[mean].shape))
    if var in params:
        out[var] = TorchParam(ones(), tuple(params[var].shape))
    return out


def prelu(name: str) -> dict[str, TorchParam]:
    """torch.nn.PReLU(): one slope, 0.25."""
    return {name: TorchParam(formulas.prelu(), (1,))}


def attention(embed_dim: int, kdim: int, vdim: int, names: Mapping[str, str]) -> dict[str, TorchParam]:
    """torch.nn.MultiheadAttention(embed_dim, kdim=, vdim=): see torch_defaults.multihead_attention.

    ``names`` maps ``query``, ``key``, ``value``, ``out`` (kernels) and ``query_bias``,
    ``key_bias``, ``value_bias``, ``out_bias`` to the layer's parameter paths.
    """
    e = embed_dim
    out = {
        names[p]: TorchParam(init, shape)
        for p, (init, shape) in zip(("query", "key", "value"), formulas.in_projections(e, kdim, vdim))
    }
    out[names["out"]] = TorchParam(formulas.out_projection(e), (e, e))
    # in_proj_bias (3E,) and out_proj.bias (E,) are zero
    for p in ("query_bias", "key_bias", "value_bias"):
        out[names[p]] = TorchParam(formulas.attention_bias(), (3 * e,))
    out[names["out_bias"]] = TorchParam(formulas.attention_bias(), (e,))
    return out


def check_attention(
    layer_name: str,
    embed_dim: int,
    projected: tuple[int, ...],
    out: int,
    same_heads: bool = True,
    normalize_qk: bool = False,
) -> None:
    """torch's MultiheadAttention projects to embed_dim and back: other shapes have no counterpart."""
    problems = []
    if any(size != embed_dim for size in projected):
        problems.append(f"projections to {sorted(set(projected))} features, not the input's {embed_dim}")
    if out != embed_dim:
        problems.append(f"output features {out} != input features {embed_dim}")
    if not same_heads:
        problems.append("fewer key/value heads than query heads")
    if normalize_qk:
        problems.append("query/key normalisation")
    if problems:
        raise ValueError(
            f"{layer_name} has no torch.nn.MultiheadAttention counterpart: {'; '.join(problems)}"
        )


class Recurrent:
    """torch.nn.RNN / LSTM / GRU with ``gates`` gates: every weight and bias U(+-1/sqrt(hidden))."""

    def __init__(self, gates: int, input_size: int, hidden: int) -> None:
        self.gates, self.input_size, self.hidden = gates, input_size, hidden
        self.weight = formulas.recurrent_weight(hidden)

    def input_kernel(self) -> TorchParam:
        return TorchParam(self.weight, (self.gates * self.hidden, self.input_size))

    def hidden_kernel(self) -> TorchParam:
        return TorchParam(self.weight, (self.gates * self.hidden, self.hidden))

    def single_bias(self) -> TorchParam:
        """One of torch's two biases (b_ih or b_hh)."""
        return TorchParam(self.weight, (self.gates * self.hidden,))

    def summed_bias(self) -> TorchParam:
        """b_ih + b_hh: triangular(+-2/sqrt(hidden))."""
        return TorchParam(
            cast(Initializer, formulas.recurrent_bias(self.hidden, "sum")), (self.gates * self.hidden,)
        )

    def gru_input_bias(self) -> TorchParam:
        """A packed (r, z, n) bias: b_ih + b_hh on r and z, b_in alone on n."""
        return TorchParam(cast(Initializer, formulas.recurrent_bias(self.hidden, "gru")), (3 * self.hidden,))
