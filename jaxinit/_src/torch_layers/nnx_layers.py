"""Flax NNX: the torch counterpart of each layer, and the in-place reset of a module graph."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeAlias

import jax
from flax import nnx

from jaxinit._src.recipe import Recipe
from jaxinit._src.torch_layers import rules
from jaxinit._src.torch_layers.rules import TorchParam, builtin
from jaxinit._src.torch_layers.walk import (
    Leaf,
    Path,
    check_concrete,
    draw,
    path_name,
    plan,
    shape_struct,
)
from jaxinit.typing import Initializer

Params: TypeAlias = Mapping[str, jax.ShapeDtypeStruct]

_TRACKED = (nnx.Param, nnx.BatchStat)

rules.kind("linear", "kernel", "bias", nnx.Linear, nnx.LinearGeneral)
rules.kind("conv", "kernel", "bias", nnx.Conv)
rules.kind("conv_transpose", "kernel", "bias", nnx.ConvTranspose)
rules.kind("embedding", "embedding", None, nnx.Embed)
rules.kind(
    "norm", "scale", "bias", nnx.LayerNorm, nnx.RMSNorm, nnx.GroupNorm, nnx.InstanceNorm, nnx.BatchNorm
)


@builtin(nnx.Linear)
def _linear(layer: nnx.Linear, params: Params) -> dict[str, TorchParam]:
    return rules.linear(layer.in_features, layer.out_features)


@builtin(nnx.LinearGeneral)
def _linear_general(layer: nnx.LinearGeneral, params: Params) -> dict[str, TorchParam]:
    # a Linear from the flattened input axes to the flattened output axes (per batch entry)
    return rules.linear(math.prod(layer.in_features), math.prod(layer.out_features))


@builtin(nnx.Conv)
def _conv(layer: nnx.Conv, params: Params) -> dict[str, TorchParam]:
    groups = layer.feature_group_count
    return rules.conv(layer.in_features // groups, layer.out_features, tuple(layer.kernel_size))


@builtin(nnx.ConvTranspose)
def _conv_transpose(layer: nnx.ConvTranspose, params: Params) -> dict[str, TorchParam]:
    # Flax's ConvTranspose has no groups
    return rules.conv_transpose(layer.in_features, layer.out_features, 1, tuple(layer.kernel_size))


@builtin(nnx.Embed)
def _embed(layer: nnx.Embed, params: Params) -> dict[str, TorchParam]:
    return rules.embedding(layer.num_embeddings, layer.features, "embedding")


@builtin(nnx.LayerNorm, nnx.RMSNorm, nnx.GroupNorm, nnx.InstanceNorm)
def _norm(layer: nnx.Module, params: Params) -> dict[str, TorchParam]:
    return rules.affine(params, "scale", "bias")


@builtin(nnx.BatchNorm)
def _batch_norm(layer: nnx.BatchNorm, params: Params) -> dict[str, TorchParam]:
    return {**rules.affine(params, "scale", "bias"), **rules.running_stats(params, "mean", "var")}


@builtin(nnx.PReLU)
def _prelu(layer: nnx.PReLU, params: Params) -> dict[str, TorchParam]:
    return rules.prelu("negative_slope")


@builtin(nnx.MultiHeadAttention)
def _attention(layer: nnx.MultiHeadAttention, params: Params) -> dict[str, TorchParam]:
    rules.check_attention(
        "nnx.MultiHeadAttention",
        layer.in_features,
        (layer.qkv_features,),
        layer.out_features,
        getattr(layer, "num_kv_heads", layer.num_heads) == layer.num_heads,
        layer.normalize_qk,
    )  # older flax has no grouped key/value heads
    names = {p: f"{p}/kernel" for p in ("query", "key", "value", "out")}
    names.update({f"{p}_bias": f"{p}/bias" for p in ("query", "key", "value", "out")})
    return rules.attention(layer.in_features, layer.in_kv_features, layer.in_kv_features, names)


_LSTM_GATES = ("i", "f_", "g", "o")  # nnx names the forget-gate layers if_ and hf


@builtin(nnx.LSTMCell)
def _lstm(layer: nnx.LSTMCell, params: Params) -> dict[str, TorchParam]:
    r = rules.Recurrent(4, layer.in_features, layer.hidden_features)
    out: dict[str, TorchParam] = {}
    for gate in _LSTM_GATES:
        out[f"i{gate}/kernel"] = r.input_kernel()
        hidden = f"h{gate.rstrip('_')}"
        out[f"{hidden}/kernel"] = r.hidden_kernel()
        out[f"{hidden}/bias"] = r.summed_bias()
    return out


@builtin(nnx.OptimizedLSTMCell)
def _optimized_lstm(layer: nnx.OptimizedLSTMCell, params: Params) -> dict[str, TorchParam]:
    r = rules.Recurrent(4, layer.in_features, layer.hidden_features)
    return {
        "dense_i/kernel": r.input_kernel(),
        "dense_h/kernel": r.hidden_kernel(),
        "dense_h/bias": r.summed_bias(),
    }


@builtin(nnx.GRUCell)
def _gru(layer: nnx.GRUCell, params: Params) -> dict[str, TorchParam]:
    # nnx's GRU has no b_hn (torch's hidden bias of the candidate gate, inside r * (...))
    r = rules.Recurrent(3, layer.in_features, layer.hidden_features)
    return {
        "dense_i/kernel": r.input_kernel(),
        "dense_i/bias": r.gru_input_bias(),
        "dense_h/kernel": r.hidden_kernel(),
    }


@builtin(nnx.SimpleCell)
def _simple(layer: nnx.SimpleCell, params: Params) -> dict[str, TorchParam]:
    r = rules.Recurrent(1, layer.in_features, layer.hidden_features)
    return {
        "dense_i/kernel": r.input_kernel(),
        "dense_i/bias": r.summed_bias(),
        "dense_h/kernel": r.hidden_kernel(),
    }


def _value(variable: nnx.Variable[Any]) -> Any:
    return variable.get_value() if hasattr(variable, "get_value") else variable.value


def collect(
    model: nnx.Module,
) -> tuple[list[tuple[Path, nnx.Module]], dict[Path, Leaf], dict[Path, nnx.Variable[Any]], list[Path]]:
    """The layers; the parameters and batch statistics (as Leafs) and their Variables; and the
    paths of variables that hold no value (an abstract model's)."""
    modules: list[tuple[Path, nnx.Module]] = []
    leaves: dict[Path, Leaf] = {}
    variables: dict[Path, nnx.Variable[Any]] = {}
    abstract: list[Path] = []
    for parts, node in nnx.iter_graph(model):
        path = tuple(parts)
        if isinstance(node, nnx.Module):
            modules.append((path, node))
        elif isinstance(node, nnx.Variable):
            value = _value(node)
            if isinstance(value, jax.ShapeDtypeStruct):
                abstract.append(path)
            if isinstance(node, _TRACKED) and hasattr(value, "shape") and hasattr(value, "dtype"):
                leaves[path] = Leaf(shape_struct(value), path_name(path))
                variables[path] = node
    return modules, leaves, variables, abstract


def initializers(model: nnx.Module, *, strict: bool, recipe: Recipe) -> dict[str, Initializer]:
    modules, leaves, _, _ = collect(model)
    return {leaves[p].name: init for p, init in plan(modules, leaves, strict=strict, recipe=recipe).items()}


def reset(model: nnx.Module, key: jax.Array, *, strict: bool, recipe: Recipe) -> nnx.Module:
    modules, leaves, variables, abstract = collect(model)
    inits = plan(modules, leaves, strict=strict, recipe=recipe)
    check_concrete(inits, abstract)
    values = draw(inits, leaves, key)
    for path, value in values.items():
        variable = variables[path]
        if hasattr(variable, "set_value"):  # flax >= 0.12 deprecates `.value`
            variable.set_value(value)
        else:  # pragma: no cover - older flax
            variable.value = value
    return model
