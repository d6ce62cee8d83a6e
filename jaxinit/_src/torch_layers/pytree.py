"""Plain pytrees by path: a dict of arrays (linen ``variables``, their ``"params"``, a Haiku
params dict, any pytree of arrays or ``jax.ShapeDtypeStruct``), without the module.

Without a module there are no layer types, so a parameter's layer is read off its name, as
Flax names its parameters: a layer is a path whose children include

* ``kernel`` with 2 axes: a **Linear** (Flax layout ``(in, out)``, torch ``(out, in)``);
* ``kernel`` with 3 or more axes under a layer whose name says Conv (``conv`` in it, any case,
  but not ``transpose``: linen's ``Conv_0``, a ``conv1``): a **Conv** (``(*kernel_size,
  in / groups, out)``, torch ``(out, in / groups, *kernel_size)``), its ``fan_in`` the product
  of all but the last axis;
* ``embedding`` (2 axes): an **Embedding** ``(num_embeddings, features)``;
* ``scale``: a **norm** (LayerNorm, RMSNorm, GroupNorm, BatchNorm's affine part);

and the ``bias`` beside such a ``kernel`` or ``scale`` is that layer's bias. These pseudo-layers
then go through the one walker (:func:`jaxinit._src.torch_layers.walk.plan`) as a module's
layers do: roles first, then the recipe's law for the kind, then PyTorch's default for it. A
``DenseGeneral`` or ``ConvTranspose`` kernel cannot be told from a Conv kernel by its shape
(linen's attention ``query/kernel`` is ``(in, heads, head_dim)``): a kernel of 3 or more axes
whose layer's name does not say Conv needs a role. Every other floating leaf (a
``pos_embed``, a ``cls_token``, a kernel under another name) needs a role of the recipe, else
it is a ``ValueError`` naming it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeAlias

import jax
import numpy as np

from jaxinit._src.recipe import Recipe
from jaxinit._src.torch_layers import rules
from jaxinit._src.torch_layers.rules import TorchParam, builtin
from jaxinit._src.torch_layers.walk import Leaf, Path, check_concrete, draw, path_name, plan, shape_struct
from jaxinit._src.tree import path_str
from jaxinit.typing import Initializer

Params: TypeAlias = Mapping[str, jax.ShapeDtypeStruct]

#: The parameter names a pseudo-layer is recognised by (Flax's).
NAMES = ("kernel", "bias", "embedding", "scale")


@dataclasses.dataclass(frozen=True)
class Dense:
    """A ``kernel`` of 2 axes, ``(in, out)``: torch.nn.Linear(in, out)."""

    in_features: int
    out_features: int


@dataclasses.dataclass(frozen=True)
class Conv:
    """A ``kernel`` of 3+ axes, ``(*kernel_size, in / groups, out)``: torch.nn.ConvNd."""

    in_per_group: int
    out_channels: int
    kernel_size: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Embed:
    """An ``embedding`` ``(num_embeddings, features)``: torch.nn.Embedding."""

    num_embeddings: int
    features: int


@dataclasses.dataclass(frozen=True)
class Norm:
    """A ``scale`` (and a ``bias``): a norm layer's affine parameters."""


rules.kind("linear", "kernel", "bias", Dense)
rules.kind("conv", "kernel", "bias", Conv)
rules.kind("embedding", "embedding", None, Embed)
rules.kind("norm", "scale", "bias", Norm)


@builtin(Dense)
def _dense(layer: Dense, params: Params) -> dict[str, TorchParam]:
    return rules.linear(layer.in_features, layer.out_features)


@builtin(Conv)
def _conv(layer: Conv, params: Params) -> dict[str, TorchParam]:
    return rules.conv(layer.in_per_group, layer.out_channels, layer.kernel_size)


@builtin(Embed)
def _embed(layer: Embed, params: Params) -> dict[str, TorchParam]:
    return rules.embedding(layer.num_embeddings, layer.features, "embedding")


@builtin(Norm)
def _norm(layer: Norm, params: Params) -> dict[str, TorchParam]:
    return rules.affine(params, "scale", "bias")


def _is_array(leaf: Any) -> bool:
    return isinstance(leaf, (jax.Array, np.ndarray, jax.ShapeDtypeStruct))


def _floating(leaf: Leaf) -> bool:
    return bool(np.issubdtype(leaf.struct.dtype, np.inexact))


def _names_a_conv(parent: Path) -> bool:
    """Whether a layer's own name says it is a Conv (and not a ConvTranspose)."""
    name = str(parent[-1]).lower() if parent else ""
    return "conv" in name and "transpose" not in name


def _layer(parent: Path, children: Mapping[str, Leaf]) -> Dense | Conv | Embed | Norm | None:
    """The pseudo-layer the named children of the path ``parent`` make, if any."""
    kernel, table, scale = children.get("kernel"), children.get("embedding"), children.get("scale")
    if kernel is not None and _floating(kernel):
        shape = tuple(kernel.struct.shape)
        if len(shape) == 2:
            return Dense(shape[0], shape[1])
        if len(shape) > 2 and _names_a_conv(parent):  # else a DenseGeneral's, perhaps: a role
            return Conv(shape[-2], shape[-1], shape[:-2])
    elif table is not None and _floating(table) and len(table.struct.shape) == 2:
        return Embed(*table.struct.shape)
    elif scale is not None and _floating(scale):
        return Norm()
    return None


def collect(tree: Any) -> tuple[list[tuple[Path, Any]], dict[Path, Leaf], list[Path]]:
    """The pseudo-layers, the array leaves (by their ``path_str`` parts) and the abstract leaves."""
    leaves: dict[Path, Leaf] = {}
    abstract: list[Path] = []
    for key_path, value in jax.tree_util.tree_flatten_with_path(tree)[0]:
        if not _is_array(value):
            continue
        path: Path = tuple(path_str((entry,)) for entry in key_path)
        leaves[path] = Leaf(shape_struct(value), path_str(key_path))
        if isinstance(value, jax.ShapeDtypeStruct):
            abstract.append(path)
    children: dict[Path, dict[str, Leaf]] = {}
    for path, leaf in leaves.items():
        if path and path[-1] in NAMES:
            children.setdefault(path[:-1], {})[str(path[-1])] = leaf
    modules: list[tuple[Path, Any]] = []
    for parent, named in children.items():
        layer = _layer(parent, named)
        if layer is not None:
            modules.append((parent, layer))
    return modules, leaves, abstract


def _missing(paths: list[Path]) -> str:
    shown = ", ".join(repr(path_name(p)) for p in paths[:6]) + (" ..." if len(paths) > 6 else "")
    return (
        f"a plain pytree has no layer types, and these parameters have no law: {shown}. Only "
        f"Flax's parameter names say a layer (a 2-axis 'kernel': Linear; more axes: Conv, under "
        f"a layer whose name says conv (a DenseGeneral's kernel has 3 axes too); 'embedding'; "
        f"'scale': a norm; the 'bias' beside a kernel or scale); give the others "
        f"a role of the recipe (e.g. recipes.vit(pos_embed='pos_embed')), or pass strict=False "
        f"to leave them as they are"
    )


def initializers(tree: Any, *, strict: bool, recipe: Recipe) -> dict[str, Initializer]:
    modules, leaves, _ = collect(tree)
    inits = plan(modules, leaves, strict=strict, recipe=recipe, missing=_missing)
    return {leaves[p].name: init for p, init in inits.items()}


def reset(tree: Any, key: jax.Array, *, strict: bool, recipe: Recipe) -> Any:
    modules, leaves, abstract = collect(tree)
    inits = plan(modules, leaves, strict=strict, recipe=recipe, missing=_missing)
    check_concrete(inits, abstract)
    values = draw(inits, leaves, key)
    by_name = {leaves[p].name: value for p, value in values.items()}
    return jax.tree_util.tree_map_with_path(lambda kp, leaf: by_name.get(path_str(kp), leaf), tree)
