"""Planning a reset, whatever the framework: which rule covers each parameter, then the draws.

A framework module hands over the model's layers as ``(path, layer)`` pairs and its
parameters as ``{path: Leaf}``; paths are tuples of names and indices. Rules are applied
outermost layer first, so a layer's rule covers its sublayers (an LSTM cell's gates are
``Linear`` layers that must not get ``Linear``'s law).
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias, cast

import jax
import jax.numpy as jnp

from jaxinit._src.recipe import Law, Recipe, resolve
from jaxinit._src.torch_layers.formulas import symmetric, xavier_bound
from jaxinit._src.torch_layers.rules import TorchParam, kind_of, load_builtins_for, lookup, type_name
from jaxinit._src.tree import Leaf as TreeLeaf, draw_leaves
from jaxinit.typing import Initializer

#: Where a layer or a parameter sits in the model: its attribute names and indices.
Path: TypeAlias = tuple[Hashable, ...]


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One parameter: its shape and dtype, and the name its key is derived from."""

    struct: jax.ShapeDtypeStruct
    name: str


def shape_struct(value: Any, keep_sharding: bool = True) -> jax.ShapeDtypeStruct:
    """An array's ``jax.ShapeDtypeStruct``. An abstract model's parameter keeps its sharding
    (it is then made with it); a concrete array's is not kept (it is re-drawn as an
    initializer call would draw it)."""
    make = cast(Callable[..., jax.ShapeDtypeStruct], jax.ShapeDtypeStruct)
    abstract = isinstance(value, jax.ShapeDtypeStruct) and keep_sharding
    sharding = value.sharding if abstract else None
    return make(value.shape, value.dtype, sharding=sharding)


def path_name(path: Path) -> str:
    return "/".join(str(p) for p in path)


def _check_answer(layer: Any, answer: object) -> Mapping[str, Initializer | TorchParam]:
    if not isinstance(answer, Mapping):
        raise TypeError(
            f"the rule for {type_name(type(layer))} must return a dict from parameter "
            f"paths to initializers, got {answer!r}"
        )
    for rel, init in answer.items():
        target = init.init if isinstance(init, TorchParam) else init
        if not callable(target):
            raise TypeError(
                f"the rule for {type_name(type(layer))} gave {rel!r} something that is "
                f"not an initializer: {init!r}"
            )
    return answer


def plan(
    modules: Iterable[tuple[Path, Any]],
    leaves: Mapping[Path, Leaf],
    *,
    strict: bool = True,
    recipe: Recipe | None = None,
    missing: Callable[[list[Path]], str] | None = None,
) -> dict[Path, Initializer]:
    """The initializer of every covered parameter, by path: each layer's torch rule, then the
    recipe's laws for the layer's kind, then its roles (``recipe=None``: torch's defaults).
    ``missing`` words the error for uncovered parameters (default: by their layers' types)."""
    modules = sorted(modules, key=lambda m: len(m[0]))  # outer layers first
    for _, layer in modules:
        load_builtins_for(type(layer))
    under: dict[Path, list[Path]] = defaultdict(list)  # module path -> the parameters under it
    for path in leaves:
        for depth in range(len(path)):
            under[path[:depth]].append(path)

    covered: dict[Path, Initializer | TorchParam] = {}
    slots: dict[
        Path, tuple[str, tuple[int, ...]]
    ] = {}  # weight/bias of a kind layer: slot, torch weight shape
    for mpath, layer in modules:
        rule = lookup(type(layer))
        if rule is None:
            continue
        mine = {path_name(p[len(mpath) :]): p for p in under.get(mpath, ()) if p not in covered}
        if not mine:
            continue
        try:
            answer = rule(layer, {rel: leaves[p].struct for rel, p in mine.items()})
        except (TypeError, ValueError) as error:
            where = path_name(mpath) or "the model"
            raise type(error)(f"{where} ({type_name(type(layer))}): {error}") from error
        answer = dict(_check_answer(layer, answer))
        kind = kind_of(type(layer)) if recipe is not None else None
        if recipe is not None and kind is not None and kind.weight in answer and kind.weight in mine:
            weight = answer[kind.weight]
            torch_shape = (
                weight.torch_shape
                if isinstance(weight, TorchParam)
                else tuple(leaves[mine[kind.weight]].struct.shape)
            )
            for slot, rel in (("weight", kind.weight), ("bias", kind.bias)):
                if rel is None or rel not in answer or rel not in mine:
                    continue
                slots[mine[rel]] = (slot, torch_shape)
                law = recipe.law(kind.kind, slot)
                if law is not None:
                    answer[rel] = _recipe_param(law, torch_shape, answer[rel], recipe, mine[rel])
        for rel, init in answer.items():
            if rel in mine:
                covered[mine[rel]] = init

    if recipe is not None and recipe.roles:
        _apply_roles(recipe, modules, leaves, covered, slots, strict)

    # floating parameters must be covered; integer or boolean state (a batch counter) may be
    uncovered = [
        p for p in leaves if p not in covered and jnp.issubdtype(leaves[p].struct.dtype, jnp.inexact)
    ]
    if uncovered and strict and missing is not None:
        raise ValueError(missing(uncovered))
    if uncovered and strict:
        owners: dict[str, list[str]] = defaultdict(list)
        module_types = dict(modules)
        for p in uncovered:
            owner = next(module_types[p[:d]] for d in range(len(p) - 1, -1, -1) if p[:d] in module_types)
            owners[type_name(type(owner))].append(path_name(p))
        listed = "; ".join(
            f"{name} (parameters {', '.join(paths[:3])}{' ...' if len(paths) > 3 else ''})"
            for name, paths in owners.items()
        )
        if recipe is None or not recipe.layers and not recipe.roles:
            raise ValueError(
                f"reset_parameters knows no torch initialisation for these layer types: "
                f"{listed}. Register one with jaxinit.torch_defaults.register_layer(type, rule), "
                f"or pass strict=False to leave their parameters as they are"
            )
        raise ValueError(
            f"the recipe {recipe!r} has no law for these parameters, and PyTorch's defaults "
            f"know no such layer types: {listed}. Give them a role of the recipe, register "
            f"the layer type with jaxinit.torch_defaults.register_layer(type, rule), or pass "
            f"strict=False to leave them as they are"
        )

    transformer = recipe.transformer if recipe is not None else ()
    if transformer:
        names = {path_name(m): m for m, _ in modules}
        for glob in transformer:
            roots = [m for name, m in names.items() if fnmatch.fnmatchcase(name, glob)]
            if not roots:
                shown = ", ".join(repr(n) for n in list(names)[:8]) + (" ..." if len(names) > 8 else "")
                raise ValueError(
                    f"`transformer` pattern {glob!r} matches no layer; the layer paths are: {shown}"
                )
            for root in roots:
                for p in under.get(root, ()):
                    if p in covered:
                        covered[p] = _xavier(covered[p], p)

    def unwrap(init: Initializer | TorchParam) -> Initializer:
        return init.init if isinstance(init, TorchParam) else init

    return {p: unwrap(covered[p]) for p in leaves if p in covered}  # in the model's order


def _recipe_param(
    law: Law, torch_shape: tuple[int, ...], old: Initializer | TorchParam | None, recipe: Recipe, path: Path
) -> TorchParam:
    """A recipe's law for one parameter, as a TorchParam (the torch tensor's shape kept)."""
    try:
        init = resolve(law, torch_shape, path_name(path))
    except (TypeError, ValueError) as error:
        raise type(error)(f"{path_name(path)!r} ({recipe!r}): {error}") from error
    shape = old.torch_shape if isinstance(old, TorchParam) else torch_shape
    return TorchParam(cast(Initializer, init), shape)


def _apply_roles(
    recipe: Recipe,
    modules: Sequence[tuple[Path, Any]],
    leaves: Mapping[Path, Leaf],
    covered: dict[Path, Initializer | TorchParam],
    slots: Mapping[Path, tuple[str, tuple[int, ...]]],
    strict: bool,
) -> None:
    """Each role's laws on the weights and biases of the layers it matches (or that hold a
    parameter it matches), and on the matched parameters no layer rule covers. A role that
    changes nothing is an error with ``strict``."""
    used = [False] * len(recipe.roles)
    for p, leaf in leaves.items():
        if not jnp.issubdtype(leaf.struct.dtype, jnp.inexact):
            continue
        slot = slots.get(p)
        if slot is None and p in covered:
            continue  # a torch rule's own parameter (attention, recurrent, running statistics)
        names = [path_name(p[:d]) for d in range(len(p), 0, -1)]
        for i, role in enumerate(recipe.roles):
            if not any(role.matches(name) for name in names):
                continue
            law = role.bias if slot is not None and slot[0] == "bias" else role.weight
            if law is None:
                continue
            torch_shape = slot[1] if slot is not None else tuple(leaf.struct.shape)
            covered[p] = _recipe_param(law, torch_shape, covered.get(p), recipe, p)
            used[i] = True
            break
    unused = [role for role, u in zip(recipe.roles, used) if not u]
    if unused and strict:
        shown = sorted({path_name(m) for m, _ in modules if m} | {path_name(p) for p in leaves})
        listed = ", ".join(shown[:12]) + (" ..." if len(shown) > 12 else "")
        raise ValueError(
            "; ".join(
                f"role {role.name!r} of {recipe!r} (pattern {role.pattern!r}) matches "
                f"no layer or parameter it gives a law to"
                for role in unused
            )
            + f". The paths are: {listed}. Pass the right pattern to the recipe's factory "
            f"(`{unused[0].name}=...`), None to leave the role out, or strict=False"
        )


def _xavier(init: Initializer | TorchParam, path: Path) -> TorchParam:
    """``nn.Transformer``'s post-construction re-draw: xavier_uniform on torch tensors of 2+ dims."""
    if not isinstance(init, TorchParam):
        raise ValueError(
            f"{path_name(path)!r} is inside a `transformer` layer, but its rule gave a plain "
            f"initializer: return TorchParam(init, torch_shape) from the rule so that the "
            f"torch tensor's dimensions are known"
        )
    if len(init.torch_shape) > 1:
        return TorchParam(symmetric(xavier_bound(init.torch_shape)), init.torch_shape)
    return init


def check_concrete(initializers: Mapping[Path, Initializer], abstract: Iterable[Path]) -> None:
    """An abstract model (``nnx.eval_shape``, ``eqx.filter_eval_shape``) must come out whole:
    every array it holds without a value must be one that the reset makes."""
    left = [path_name(p) for p in abstract if p not in initializers]
    if left:
        raise ValueError(
            f"the model is abstract, and reset_parameters makes only parameters; these "
            f"arrays would stay without a value: {', '.join(left[:6])}{' ...' if len(left) > 6 else ''}. "
            f"Build the model for real (not under eval_shape), or keep such state out of it "
            f"(for example nnx.RNN(cell, rngs=False))"
        )


def draw(
    initializers: Mapping[Path, Initializer], leaves: Mapping[Path, Leaf], key: jax.Array
) -> dict[Path, jax.Array]:
    """New values: each parameter drawn with ``path_key(key, its name)``, in its own dtype (and
    with its sharding, when an abstract model's parameter carries one), through the whole-tree
    path: parameters of one law, shape and dtype are drawn together (:func:`draw_leaves`)."""
    paths = list(initializers)
    requests = [
        TreeLeaf(
            leaves[p].name,
            initializers[p],
            tuple(leaves[p].struct.shape),
            leaves[p].struct.dtype,
            leaves[p].struct.sharding,
            where=leaves[p].name,
        )
        for p in paths
    ]
    return dict(zip(paths, draw_leaves(requests, key)))
