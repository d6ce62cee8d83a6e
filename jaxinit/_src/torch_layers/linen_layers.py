"""Flax linen: the torch counterpart of each layer, learnt by intercepting ``init``.

A linen module holds no parameters and its submodules exist only while it runs, so the model
is run once abstractly (``jax.eval_shape`` of ``model.init``, no arrays made) inside
``nn.intercept_methods``: every module call is recorded with the module's path, type and
hyperparameters. The parameter shapes come from the same abstract ``init``; a rule reads a
layer's input size from its kernel only in the layout the layer type defines, checked against
the layer's attributes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax.core import FrozenDict, freeze, unfreeze

from jaxinit._src.recipe import Recipe
from jaxinit._src.torch_layers import rules
from jaxinit._src.torch_layers.rules import TorchParam, builtin
from jaxinit._src.torch_layers.walk import Leaf, Path, draw, path_name, plan, shape_struct
from jaxinit.typing import Initializer

if TYPE_CHECKING:
    from flax.linen.module import InterceptorContext

COLLECTIONS = ("params", "batch_stats")
Params: TypeAlias = Mapping[str, jax.ShapeDtypeStruct]

rules.kind("linear", "kernel", "bias", nn.Dense, nn.DenseGeneral)
rules.kind("conv", "kernel", "bias", nn.Conv)
rules.kind("conv_transpose", "kernel", "bias", nn.ConvTranspose)
rules.kind("embedding", "embedding", None, nn.Embed)
rules.kind("norm", "scale", "bias", nn.LayerNorm, nn.RMSNorm, nn.GroupNorm, nn.InstanceNorm, nn.BatchNorm)


def _tuple(x: Any) -> tuple[Any, ...]:
    """An int (or anything else) as a 1-tuple; a tuple or list as a tuple."""
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _kernel(layer: nn.Module, params: Params, name: str, trailing: tuple[int | None, ...]) -> tuple[int, ...]:
    """The kernel's shape, checked against what the layer's attributes say its last axes are.

    Sizes are read from the trailing axes, so a layer stacked by ``nn.scan`` / ``nn.vmap``
    along leading axes is read right; anything else is an error, not a guess.
    """
    shape = tuple(params[name].shape)
    ok = len(shape) >= len(trailing) and all(
        want is None or got == want for got, want in zip(shape[len(shape) - len(trailing) :], trailing)
    )
    if not ok:
        raise ValueError(
            f"{name!r} of this {type(layer).__name__} has shape {shape}, where its attributes "
            f"say the last axes are {tuple('?' if t is None else t for t in trailing)}; a layer "
            f"stacked along other than leading axes is not supported"
        )
    return shape


@builtin(nn.Dense)
def _dense(layer: nn.Dense, params: Params) -> dict[str, TorchParam]:
    shape = _kernel(layer, params, "kernel", (None, layer.features))  # (in, features)
    return rules.linear(shape[-2], layer.features)


@builtin(nn.DenseGeneral)
def _dense_general(layer: nn.DenseGeneral, params: Params) -> dict[str, TorchParam]:
    features, axis = _tuple(layer.features), _tuple(layer.axis)  # kernel: (*batch, *in, *features)
    shape = _kernel(layer, params, "kernel", (None,) * len(axis) + features)
    n_out, n_in = len(features), len(axis)
    return rules.linear(math.prod(shape[len(shape) - n_out - n_in : len(shape) - n_out]), math.prod(features))


@builtin(nn.Conv)
def _conv(layer: nn.Conv, params: Params) -> dict[str, TorchParam]:
    size = _tuple(layer.kernel_size)  # kernel: (*kernel_size, in / groups, features)
    shape = _kernel(layer, params, "kernel", size + (None, layer.features))
    return rules.conv(shape[-2], layer.features, size)


@builtin(nn.ConvTranspose)
def _conv_transpose(layer: nn.ConvTranspose, params: Params) -> dict[str, TorchParam]:
    size = _tuple(layer.kernel_size)  # (*kernel_size, in, features), or (..., features, in) transposed
    trailing = (layer.features, None) if layer.transpose_kernel else (None, layer.features)
    shape = _kernel(layer, params, "kernel", size + trailing)
    in_features = shape[-1] if layer.transpose_kernel else shape[-2]
    return rules.conv_transpose(in_features, layer.features, 1, size)


@builtin(nn.Embed)
def _embed(layer: nn.Embed, params: Params) -> dict[str, TorchParam]:
    return rules.embedding(layer.num_embeddings, layer.features, "embedding")


@builtin(nn.LayerNorm, nn.RMSNorm, nn.GroupNorm, nn.InstanceNorm)
def _norm(layer: nn.Module, params: Params) -> dict[str, TorchParam]:
    return rules.affine(params, "scale", "bias")


@builtin(nn.BatchNorm)
def _batch_norm(layer: nn.BatchNorm, params: Params) -> dict[str, TorchParam]:
    return {**rules.affine(params, "scale", "bias"), **rules.running_stats(params, "mean", "var")}


@builtin(nn.PReLU)
def _prelu(layer: nn.PReLU, params: Params) -> dict[str, TorchParam]:
    return rules.prelu("negative_slope")


@builtin(nn.MultiHeadDotProductAttention, nn.MultiHeadAttention, nn.SelfAttention)
def _attention(layer: nn.MultiHeadDotProductAttention, params: Params) -> dict[str, TorchParam]:
    heads = layer.num_heads  # query/key/value kernels: (in, heads, head_dim); out: (heads, head_dim, out)
    query = _kernel(layer, params, "query/kernel", (None, heads, None))
    key = _kernel(layer, params, "key/kernel", (None, heads, query[-1]))
    value = _kernel(layer, params, "value/kernel", (None, heads, query[-1]))
    out = _kernel(layer, params, "out/kernel", (heads, query[-1], None))
    e = query[-3]
    rules.check_attention(
        f"linen.{type(layer).__name__}", e, (heads * query[-1],), out[-1], normalize_qk=layer.normalize_qk
    )
    names = {p: f"{p}/kernel" for p in ("query", "key", "value", "out")}
    names.update({f"{p}_bias": f"{p}/bias" for p in ("query", "key", "value", "out")})
    return rules.attention(e, key[-3], value[-3], names)


@builtin(nn.LSTMCell, nn.OptimizedLSTMCell)  # both name their gate layers ii ... and hi ...
def _lstm(layer: nn.LSTMCell | nn.OptimizedLSTMCell, params: Params) -> dict[str, TorchParam]:
    r = rules.Recurrent(4, _kernel(layer, params, "ii/kernel", (None, layer.features))[-2], layer.features)
    out: dict[str, TorchParam] = {}
    for gate in "ifgo":
        out.update(
            {
                f"i{gate}/kernel": r.input_kernel(),
                f"h{gate}/kernel": r.hidden_kernel(),
                f"h{gate}/bias": r.summed_bias(),
            }
        )
    return out


@builtin(nn.GRUCell)
def _gru(layer: nn.GRUCell, params: Params) -> dict[str, TorchParam]:
    # linen keeps torch's four biases apart where torch does: b_ir + b_hr in ir, b_in, b_hn
    r = rules.Recurrent(3, _kernel(layer, params, "ir/kernel", (None, layer.features))[-2], layer.features)
    out = {f"{p}/kernel": r.input_kernel() for p in ("ir", "iz", "in")}
    out.update({f"{p}/kernel": r.hidden_kernel() for p in ("hr", "hz", "hn")})
    out.update(
        {
            "ir/bias": r.summed_bias(),
            "iz/bias": r.summed_bias(),
            "in/bias": r.single_bias(),
            "hn/bias": r.single_bias(),
        }
    )
    return out


@builtin(nn.SimpleCell)
def _simple(layer: nn.SimpleCell, params: Params) -> dict[str, TorchParam]:
    r = rules.Recurrent(1, _kernel(layer, params, "i/kernel", (None, layer.features))[-2], layer.features)
    return {"i/kernel": r.input_kernel(), "i/bias": r.summed_bias(), "h/kernel": r.hidden_kernel()}


def _names(key_path: Iterable[Any]) -> Path:
    return tuple(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k))) for k in key_path)


def trace(
    model: nn.Module, key: jax.Array, example_inputs: tuple[Any, ...], call_kwargs: Mapping[str, Any]
) -> tuple[list[tuple[Path, nn.Module]], dict[str, Any]]:
    """Run ``model.init`` abstractly: the modules it called (by path) and the variables' shapes."""
    modules: dict[Path, nn.Module] = {}

    def record(
        next_fun: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        context: InterceptorContext,
    ) -> Any:
        modules.setdefault(tuple(context.module.path), context.module)
        return next_fun(*args, **kwargs)

    with nn.intercept_methods(record):
        shapes = jax.eval_shape(lambda k: model.init(k, *example_inputs, **call_kwargs), key)
    return list(modules.items()), unfreeze(shapes)


def collect(
    model: nn.Module, key: jax.Array, example_inputs: tuple[Any, ...], call_kwargs: Mapping[str, Any]
) -> tuple[list[tuple[Path, nn.Module]], dict[Path, Leaf], tuple[dict[str, Any], dict[Path, str]]]:
    modules, shapes = trace(model, key, example_inputs, call_kwargs)
    leaves: dict[Path, Leaf] = {}
    full: dict[Path, str] = {}
    for collection in COLLECTIONS:
        for key_path, struct in jax.tree_util.tree_flatten_with_path(shapes.get(collection, {}))[0]:
            names = _names(key_path)
            if not jnp.issubdtype(struct.dtype, jnp.inexact):
                continue
            if names in leaves:
                raise ValueError(
                    f"{path_name(names)!r} is both a parameter and a batch statistic; "
                    f"reset_parameters cannot tell them apart"
                )
            leaves[names] = Leaf(shape_struct(struct, keep_sharding=False), path_name((collection,) + names))
            full[names] = collection
    return modules, leaves, (shapes, full)


def initializers(
    model: nn.Module,
    example_inputs: tuple[Any, ...],
    call_kwargs: Mapping[str, Any],
    *,
    strict: bool,
    recipe: Recipe,
) -> dict[str, Initializer]:
    modules, leaves, _ = collect(model, jax.random.key(0), example_inputs, call_kwargs)
    return {leaves[p].name: init for p, init in plan(modules, leaves, strict=strict, recipe=recipe).items()}


def _signature(tree: Any) -> dict[str, tuple[tuple[int, ...], np.dtype[Any]]]:
    return {
        path_name(_names(p)): (tuple(x.shape), jnp.dtype(x.dtype))
        for p, x in jax.tree_util.tree_flatten_with_path(unfreeze(tree))[0]
        if hasattr(x, "shape")
    }


def reset(
    model: nn.Module,
    key: jax.Array,
    example_inputs: tuple[Any, ...],
    call_kwargs: Mapping[str, Any],
    variables: Any,
    *,
    strict: bool,
    recipe: Recipe,
) -> Any:
    modules, leaves, (shapes, collection_of) = collect(model, key, example_inputs, call_kwargs)
    values = draw(plan(modules, leaves, strict=strict, recipe=recipe), leaves, key)
    made = {c: shapes[c] for c in COLLECTIONS if c in shapes}
    by_name = {(collection_of[p],) + p: v for p, v in values.items()}

    def fill(tree: Any, prefix: Path) -> Any:
        return jax.tree_util.tree_map_with_path(lambda kp, leaf: by_name.get(prefix + _names(kp), leaf), tree)

    if variables is None:
        missing = [p for p in leaves if p not in values]  # strict=False: nothing to keep them from
        if missing:
            raise ValueError(
                f"with strict=False, pass `variables` to keep the parameters no rule "
                f"covers ({', '.join(leaves[p].name for p in missing[:4])} ...)"
            )
        out = fill(made, ())
        abstract = [
            path_name(_names(kp))
            for kp, x in jax.tree_util.tree_flatten_with_path(out)[0]
            if isinstance(x, jax.ShapeDtypeStruct)
        ]
        if abstract:
            raise ValueError(f"no value for the non-floating variables {abstract[:4]}: pass `variables`")
        return out
    frozen = isinstance(variables, FrozenDict)
    given = unfreeze(variables)
    if (
        isinstance(given, dict)
        and "params" in given
        and _signature({c: given[c] for c in COLLECTIONS if c in given}) == _signature(made)
    ):
        out = fill(given, ())
    elif _signature(given) == _signature(made.get("params", {})):
        out = fill(given, ("params",))
    else:
        raise ValueError(
            "`variables` must be what model.init(key, *example_inputs) returns, or its "
            "'params'; its parameters differ from the ones the model makes"
        )
    return freeze(out) if frozen else out
