"""Recipes: the initial weights of the models people train, checked against their reference code.

A recipe is a model's own initialisation scheme (HF transformers' ``_init_weights``, timm's ViT
``init_weights(mode)``, Megatron's scaled init, OLMo-core's ``InitMethod``, DiT's adaLN-Zero)
as laws by layer kind and laws by role, the roles found by the reference's module names.
:func:`apply` gives a Flax NNX, linen or Equinox model those laws in one call.

>>> import jax
>>> from flax import nnx
>>> from jaxinit import recipes
>>> layer = recipes.apply(nnx.Linear(64, 64, rngs=nnx.Rngs(0)), jax.random.key(0), recipes.llama())
>>> recipes.initializers(layer, recipes.llama())["kernel"]
normal(mean=0.0, std=0.02)
"""

from jaxinit._src.recipe import FanInTruncNormal, Laws, NegLogBias, PerLayer, Recipe, Role, Shaped
from jaxinit._src.recipe_book import bert, dit, gpt2, llama, megatron, olmo_core, t5, torch, vit
from jaxinit._src.torch_layers.models import apply, recipe_initializers as initializers

__all__ = [
    "FanInTruncNormal",
    "Laws",
    "NegLogBias",
    "PerLayer",
    "Recipe",
    "Role",
    "Shaped",
    "apply",
    "bert",
    "dit",
    "gpt2",
    "initializers",
    "llama",
    "megatron",
    "olmo_core",
    "t5",
    "torch",
    "vit",
]
