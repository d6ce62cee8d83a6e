"""Equinox: the torch counterpart of each layer, and the reset of a module pytree (a new module).

Equinox's own defaults are close to torch's but not identical:

* ``ConvTranspose*``: Equinox takes the bound from the *input* channels,
  U(±1/sqrt(in/groups · prod(k))); torch from the output channels, U(±1/sqrt(out/groups · prod(k))).
* ``LSTMCell``: one bias U(±k) where torch adds two (``b_ih + b_hh``: triangular(±2k));
  ``GRUCell``: the same for the reset and update gates (``bias[:2 * hidden]``); its ``bias_n``
  and the candidate gate's input bias are single torch biases, as in torch.
* ``MultiheadAttention``: every projection U(±1/sqrt(fan_in)) and no biases by default; torch
  draws the query/key/value weights with ``xavier_uniform`` (±sqrt(6 / (4 E)) when packed)
  and has zero biases.
* ``BatchNorm``: with ``mode="ema"`` the running statistics start empty and are replaced by
  the first batch's; torch starts at mean 0 and variance 1. ``reset_parameters`` writes 0 and
  1 into the module's copy of the initial state; make the ``eqx.nn.State`` from the reset model.

Linear, Conv, Embedding (N(0, 1)), LayerNorm, GroupNorm, RMSNorm and PReLU (0.25) agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

import equinox as eqx
import jax
import numpy as np

from jaxinit._src.factories import ones, zeros
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

rules.kind("linear", "weight", "bias", eqx.nn.Linear)
rules.kind("conv", "weight", "bias", eqx.nn.Conv, eqx.nn.Conv1d, eqx.nn.Conv2d, eqx.nn.Conv3d)
rules.kind(
    "conv_transpose",
    "weight",
    "bias",
    eqx.nn.ConvTranspose,
    eqx.nn.ConvTranspose1d,
    eqx.nn.ConvTranspose2d,
    eqx.nn.ConvTranspose3d,
)
rules.kind("embedding", "weight", None, eqx.nn.Embedding)
rules.kind("norm", "weight", "bias", eqx.nn.LayerNorm, eqx.nn.GroupNorm, eqx.nn.RMSNorm, eqx.nn.BatchNorm)


def _features(n: int | Literal["scalar"]) -> int:
    return 1 if n == "scalar" else n


@builtin(eqx.nn.Linear)
def _linear(layer: eqx.nn.Linear, params: Params) -> dict[str, TorchParam]:
    return rules.linear(_features(layer.in_features), _features(layer.out_features), "weight", "bias")


@builtin(eqx.nn.Conv, eqx.nn.Conv1d, eqx.nn.Conv2d, eqx.nn.Conv3d)
def _conv(layer: eqx.nn.Conv, params: Params) -> dict[str, TorchParam]:
    return rules.conv(
        layer.in_channels // layer.groups, layer.out_channels, tuple(layer.kernel_size), "weight", "bias"
    )


@builtin(eqx.nn.ConvTranspose, eqx.nn.ConvTranspose1d, eqx.nn.ConvTranspose2d, eqx.nn.ConvTranspose3d)
def _conv_transpose(layer: eqx.nn.ConvTranspose, params: Params) -> dict[str, TorchParam]:
    groups = layer.groups
    return rules.conv_transpose(
        layer.in_channels, layer.out_channels // groups, groups, tuple(layer.kernel_size), "weight", "bias"
    )


@builtin(eqx.nn.Embedding)
def _embedding(layer: eqx.nn.Embedding, params: Params) -> dict[str, TorchParam]:
    return rules.embedding(layer.num_embeddings, layer.embedding_size, "weight")


@builtin(eqx.nn.LayerNorm, eqx.nn.GroupNorm, eqx.nn.RMSNorm)
def _norm(layer: eqx.Module, params: Params) -> dict[str, TorchParam]:
    return rules.affine(params, "weight", "bias")


@builtin(eqx.nn.BatchNorm)
def _batch_norm(layer: eqx.nn.BatchNorm, params: Params) -> dict[str, TorchParam]:
    out = rules.affine(params, "weight", "bias")
    for state in ("ema_state_index", "batch_state_index"):  # the module's copy of the initial state
        out.update(rules.running_stats(params, f"{state}/init/0", f"{state}/init/1"))
    # torch's num_batches_tracked starts at 0; eqx's "ema" mode starts by taking the first batch
    if "batch_counter/init" in params:
        out["batch_counter/init"] = rules.TorchParam(zeros(), ())
    if "ema_first_time_index/init" in params:
        out["ema_first_time_index/init"] = rules.TorchParam(ones(), ())
    return out


@builtin(eqx.nn.PReLU)
def _prelu(layer: eqx.nn.PReLU, params: Params) -> dict[str, TorchParam]:
    return rules.prelu("negative_slope")


@builtin(eqx.nn.MultiheadAttention)
def _attention(layer: eqx.nn.MultiheadAttention, params: Params) -> dict[str, TorchParam]:
    e, heads = layer.query_size, layer.num_heads
    rules.check_attention(
        "eqx.nn.MultiheadAttention", e, (heads * layer.qk_size, heads * layer.vo_size), layer.output_size
    )
    names = {
        "query": "query_proj/weight",
        "key": "key_proj/weight",
        "value": "value_proj/weight",
        "out": "output_proj/weight",
        "query_bias": "query_proj/bias",
        "key_bias": "key_proj/bias",
        "value_bias": "value_proj/bias",
        "out_bias": "output_proj/bias",
    }
    return rules.attention(e, layer.key_size, layer.value_size, names)


@builtin(eqx.nn.LSTMCell)
def _lstm(layer: eqx.nn.LSTMCell, params: Params) -> dict[str, TorchParam]:
    r = rules.Recurrent(4, layer.input_size, layer.hidden_size)
    return {"weight_ih": r.input_kernel(), "weight_hh": r.hidden_kernel(), "bias": r.summed_bias()}


@builtin(eqx.nn.GRUCell)
def _gru(layer: eqx.nn.GRUCell, params: Params) -> dict[str, TorchParam]:
    r = rules.Recurrent(3, layer.input_size, layer.hidden_size)
    hidden_bias = rules.TorchParam(r.single_bias().init, (3 * layer.hidden_size,))  # b_hn, a slice of b_hh
    return {
        "weight_ih": r.input_kernel(),
        "weight_hh": r.hidden_kernel(),
        "bias": r.gru_input_bias(),
        "bias_n": hidden_bias,
    }


def _entry(key: Any) -> Any:
    for attr in ("name", "key", "idx"):
        if hasattr(key, attr):
            return getattr(key, attr)
    return str(key)  # pragma: no cover - other key kinds


def _is_array(leaf: Any) -> bool:
    return isinstance(leaf, (jax.Array, np.ndarray, jax.ShapeDtypeStruct))


def collect(model: Any) -> tuple[list[tuple[Path, eqx.Module]], dict[Path, Leaf], list[Path]]:
    """The modules (eqx.Module nodes) and array leaves of ``model``, by path; and the paths of
    the leaves that hold no value (an abstract model's)."""
    modules: list[tuple[Path, eqx.Module]] = []
    leaves: dict[Path, Leaf] = {}
    abstract: list[Path] = []

    def visit(node: Any, prefix: Path) -> None:
        if isinstance(node, eqx.Module):
            modules.append((prefix, node))
        children = jax.tree_util.tree_flatten_with_path(
            node, is_leaf=lambda x: x is not node and isinstance(x, eqx.Module)
        )[0]
        for key_path, child in children:
            path = prefix + tuple(_entry(k) for k in key_path)
            if isinstance(child, eqx.Module) and child is not node:
                visit(child, path)
            elif _is_array(child):  # floating ones must be covered; integer/bool state may be
                leaves[path] = Leaf(shape_struct(child), path_name(path))
                if isinstance(child, jax.ShapeDtypeStruct):
                    abstract.append(path)

    visit(model, ())
    return modules, leaves, abstract


def initializers(model: Any, *, strict: bool, recipe: Recipe) -> dict[str, Initializer]:
    modules, leaves, _ = collect(model)
    return {leaves[p].name: init for p, init in plan(modules, leaves, strict=strict, recipe=recipe).items()}


def reset(model: Any, key: jax.Array, *, strict: bool, recipe: Recipe) -> Any:
    modules, leaves, abstract = collect(model)
    inits = plan(modules, leaves, strict=strict, recipe=recipe)
    check_concrete(inits, abstract)
    values = draw(inits, leaves, key)
    return jax.tree_util.tree_map_with_path(
        lambda key_path, leaf: values.get(tuple(_entry(k) for k in key_path), leaf), model
    )
