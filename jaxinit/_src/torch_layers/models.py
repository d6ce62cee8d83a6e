"""``reset_parameters``: PyTorch's initial weights for a whole Flax NNX, linen or Equinox model.

The model is walked by layer type (never by parameter names or shapes); each known layer type
has a rule giving its parameters the laws of the equivalent torch layer's
``reset_parameters`` (:mod:`jaxinit._src.torch_layers.rules`), and each parameter is drawn with
``jaxinit.path_key(key, path)``, as :func:`jaxinit.reinit` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from jaxinit._src.export import public
from jaxinit._src.generator import key_of
from jaxinit._src.recipe import Recipe
from jaxinit._src.recipe_book import torch
from jaxinit._src.torch_layers.rules import TorchParam, framework_of, register_layer
from jaxinit.typing import Initializer, KeyArray

if TYPE_CHECKING:  # flax is optional
    from flax import nnx

__all__ = ["TorchParam", "apply", "initializers", "recipe_initializers", "register_layer", "reset_parameters"]


def _no_inputs(
    framework: str, example_inputs: tuple[Any, ...], variables: Any, call_kwargs: Mapping[str, Any]
) -> None:
    if example_inputs or variables is not None or call_kwargs:
        raise TypeError(
            f"example inputs, `variables` and call keywords are for Flax linen models; "
            f"a {framework} model holds its own parameters, got "
            f"{len(example_inputs)} inputs, variables={'given' if variables is not None else None}, "
            f"keywords {sorted(call_kwargs)}"
        )


@public("jaxinit.torch_defaults")
def reset_parameters(
    model: Any,
    key: KeyArray | nnx.Rngs,
    *example_inputs: Any,
    variables: Any = None,
    strict: bool = True,
    transformer: str | Iterable[str] = (),
    **call_kwargs: Any,
) -> Any:
    r"""Re-initialise every parameter of ``model`` as the equivalent PyTorch model would be.

    * **Flax NNX** (``model`` an ``nnx.Module``): changed in place and returned. ``key`` may be
      a JAX key or an ``nnx.Rngs`` (its ``params`` stream). Works on abstract models too
      (``nnx.eval_shape(lambda: Model(rngs=...))``): the parameters are then made, not re-made.
    * **Equinox** (``model`` an ``eqx.Module``): a new module is returned. Abstract models
      (``eqx.filter_eval_shape``) work too.
    * **Flax linen** (``model`` a ``linen.Module``): ``reset_parameters(model, key, *example_inputs,
      variables=None, **call_kwargs)`` runs ``model.init(key, *example_inputs, **call_kwargs)``
      abstractly (``jax.eval_shape``), intercepting every module call to learn each submodule's
      type and hyperparameters, and returns the variables with ``params`` and ``batch_stats``
      drawn as torch would. Pass ``variables`` (what ``init`` returned, or its ``"params"``) to
      get that structure back, other collections kept.

    Layers are recognised by their exact type: Linear/Dense, LinearGeneral/DenseGeneral, Conv,
    ConvTranspose, Embed/Embedding, LayerNorm, RMSNorm, BatchNorm, GroupNorm, InstanceNorm,
    PReLU, multi-head attention, LSTM/GRU/simple cells (and the RNN wrappers around them).
    Containers without parameters of their own pass through. A parameter no rule covers is a
    ``ValueError`` listing the layer types (``strict=False`` leaves those parameters as they
    are); :func:`register_layer` teaches it new types.

    ``transformer``: glob patterns of layer paths (``"transformer"``, ``"*"``) that stand for a
    ``torch.nn.Transformer``, whose constructor re-draws every parameter with more than one
    dimension by ``xavier_uniform``; inside them those parameters get
    :math:`\mathcal{U}(\pm\sqrt{6/(\text{fan\_in} + \text{fan\_out})})` of the torch tensor.

    Parameter ``path`` gets ``jaxinit.path_key(key, path)``: the values depend only on the key
    and the path (``"conv1/kernel"``; linen: ``"params/Conv_0/kernel"``).

    >>> import jax, jaxinit
    >>> from flax import nnx
    >>> layer = nnx.Linear(64, 10, rngs=nnx.Rngs(0))
    >>> layer = jaxinit.torch_defaults.reset_parameters(layer, jax.random.key(0))
    >>> bool(abs(layer.bias[...]).max() <= 1 / 8)
    True
    """
    _module_only(model)
    return apply(
        model,
        key,
        torch(transformer=transformer),
        *example_inputs,
        variables=variables,
        strict=strict,
        **call_kwargs,
    )


@public("jaxinit.torch_defaults")
def initializers(
    model: Any,
    *example_inputs: Any,
    strict: bool = True,
    transformer: str | Iterable[str] = (),
    **call_kwargs: Any,
) -> dict[str, Initializer]:
    """The initializer :func:`reset_parameters` draws each parameter from, by path.

    Same arguments as :func:`reset_parameters`, without the key (linen: the example inputs and
    call keywords). Each value has ``distribution(shape)``, or ``laws(shape)`` for the few
    parameters made of parts (a GRU's packed bias, an embedding's padding row).

    >>> import jaxinit
    >>> from flax import nnx
    >>> cell = nnx.LSTMCell(8, 16, rngs=nnx.Rngs(0))
    >>> jaxinit.torch_defaults.initializers(cell)["hi/bias"]
    triangular(a=-0.5, b=0.5)
    """
    _module_only(model)
    return recipe_initializers(
        model, torch(transformer=transformer), *example_inputs, strict=strict, **call_kwargs
    )


def _recipe(recipe: object) -> Recipe:
    if not isinstance(recipe, Recipe):
        raise TypeError(
            f"`recipe` must be a jaxinit.recipes.Recipe (built by a factory such as "
            f"recipes.gpt2(n_layer=12)), got {recipe!r}"
        )
    return recipe


def _module_only(model: Any) -> None:
    """``torch_defaults`` recognises layers by type: it takes modules only."""
    if framework_of(model) is None:
        raise TypeError(
            f"`model` must be a Flax NNX module, a Flax linen module or an Equinox module, "
            f"got {type(model).__name__}; for a plain pytree of parameters (layers read off "
            f"Flax's parameter names) use jaxinit.recipes.apply(tree, key, recipes.torch())"
        )


def _framework(model: Any) -> str:
    """``"nnx"``, ``"linen"``, ``"equinox"``, or ``"pytree"`` for anything else."""
    return framework_of(model) or "pytree"


@public("jaxinit.recipes")
def apply(
    model: Any,
    key: KeyArray | nnx.Rngs,
    recipe: Recipe,
    *example_inputs: Any,
    variables: Any = None,
    strict: bool = True,
    **call_kwargs: Any,
) -> Any:
    """Initialise every parameter of ``model`` as ``recipe``'s reference code would.

    * **Flax NNX** (an ``nnx.Module``, concrete or abstract): changed in place and returned.
    * **Equinox** (an ``eqx.Module``): a new module is returned.
    * **Flax linen**: ``apply(model, key, recipe, *example_inputs, variables=None,
      **call_kwargs)`` returns the variables (see ``torch_defaults.reset_parameters``).
    * **A plain pytree** (a dict of arrays such as linen's ``variables`` or their ``"params"``,
      a Haiku params dict, any pytree of arrays or ``jax.ShapeDtypeStruct``): a new pytree, every
      other leaf kept. Without layer types, layers are read off Flax's parameter names: under
      one path, a 2-axis ``kernel`` is a Linear ``(in, out)``, a ``kernel`` of more axes a Conv
      ``(*kernel_size, in/groups, out)``, an ``embedding`` an Embedding, a ``scale`` a norm, and
      the ``bias`` beside a ``kernel`` or ``scale`` their bias. Roles apply by path as for a
      module; every other floating leaf needs a role (else ``ValueError`` naming it), and so do
      ``DenseGeneral`` / ``ConvTranspose`` kernels, which their shape does not tell apart.

    Layers are recognised by type, as ``torch_defaults.reset_parameters`` does: the recipe's
    laws go to its layer kinds (Linear/Dense, Conv, ConvTranspose, Embed, the norms), its roles
    to the layers and parameters their patterns find, and everything else gets PyTorch's layer
    defaults. Parameter ``path`` is drawn with ``jaxinit.path_key(key, path)`` (the keys and
    paths of ``reset_parameters``, which is ``apply(model, key, recipes.torch())``). With
    ``strict`` (default), a parameter nothing covers and a role that matches nothing are
    ``ValueError``; ``strict=False`` leaves such parameters as they are.

    >>> import jax
    >>> from flax import nnx
    >>> from jaxinit import recipes
    >>> class Block(nnx.Module):
    ...     def __init__(self, rngs):
    ...         self.c_fc = nnx.Linear(8, 32, rngs=rngs)
    ...         self.c_proj = nnx.Linear(32, 8, rngs=rngs)
    >>> block = recipes.apply(Block(nnx.Rngs(0)), jax.random.key(0), recipes.gpt2(n_layer=2))
    >>> recipes.initializers(block, recipes.gpt2(n_layer=2))["c_proj/kernel"]
    normal(mean=0.0, std=0.01)
    """
    recipe = _recipe(recipe)
    framework = _framework(model)
    key = key_of(key)
    if framework == "linen":
        from jaxinit._src.torch_layers import linen_layers

        return linen_layers.reset(
            model, key, example_inputs, call_kwargs, variables, strict=strict, recipe=recipe
        )
    _no_inputs(framework, example_inputs, variables, call_kwargs)
    if framework == "pytree":
        from jaxinit._src.torch_layers import pytree

        return pytree.reset(model, key, strict=strict, recipe=recipe)
    if framework == "nnx":
        from jaxinit._src.torch_layers import nnx_layers

        return nnx_layers.reset(model, key, strict=strict, recipe=recipe)
    from jaxinit._src.torch_layers import equinox_layers

    return equinox_layers.reset(model, key, strict=strict, recipe=recipe)


@public("jaxinit.recipes")
def recipe_initializers(
    model: Any, recipe: Recipe, *example_inputs: Any, strict: bool = True, **call_kwargs: Any
) -> dict[str, Initializer]:
    """The initializer :func:`apply` draws each parameter of ``model`` from, by path (linen:
    pass the example inputs and call keywords).

    >>> from flax import nnx
    >>> from jaxinit import recipes
    >>> recipes.initializers(nnx.Embed(100, 16, rngs=nnx.Rngs(0)), recipes.bert(pad_token_id=None))
    {'embedding': normal(mean=0.0, std=0.02)}
    """
    recipe = _recipe(recipe)
    framework = _framework(model)
    if framework == "linen":
        from jaxinit._src.torch_layers import linen_layers

        return linen_layers.initializers(model, example_inputs, call_kwargs, strict=strict, recipe=recipe)
    _no_inputs(framework, example_inputs, None, call_kwargs)
    if framework == "pytree":
        from jaxinit._src.torch_layers import pytree

        return pytree.initializers(model, strict=strict, recipe=recipe)
    if framework == "nnx":
        from jaxinit._src.torch_layers import nnx_layers

        return nnx_layers.initializers(model, strict=strict, recipe=recipe)
    from jaxinit._src.torch_layers import equinox_layers

    return equinox_layers.initializers(model, strict=strict, recipe=recipe)


recipe_initializers.__name__ = recipe_initializers.__qualname__ = (
    "initializers"  # jaxinit.recipes.initializers
)
