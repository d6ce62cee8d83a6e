"""recipes.apply on plain pytrees (no module): layers read off Flax's parameter names, roles by
path, values ``init(path_key(key, path), shape, dtype)``; and the one key resolver."""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jaxinit
from jaxinit import recipes, torch_defaults as td


class Net(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.Embed(10, 8)(x)
        x = nn.LayerNorm()(x)
        x = nn.Dense(16)(x)
        return nn.Conv(4, (3,))(x)


X = jnp.zeros((2, 5), jnp.int32)
KEY = jax.random.key(1)


def leaves(tree):
    return {jaxinit._src.tree.path_str(p): v for p, v in jax.tree_util.tree_flatten_with_path(tree)[0]}


@pytest.mark.parametrize(
    "recipe",
    [
        recipes.torch(),
        recipes.gpt2(n_layer=2, residual="Dense_0"),
        recipes.vit("jax", head=None, mlp=None, pos_embed=None, cls_token=None),
        recipes.llama(embed_tokens=None),
    ],
    ids=repr,
)
def test_linen_variables_as_a_pytree_equal_the_module(recipe):
    variables = Net().init(jax.random.key(0), X)
    drawn = recipes.apply(variables, KEY, recipe)
    by_module = recipes.apply(Net(), KEY, recipe, X)
    inits = recipes.initializers(variables, recipe)
    assert inits == recipes.initializers(Net(), recipe, X)
    got, want = leaves(drawn), leaves(by_module)
    assert set(got) == set(want) == set(inits)
    for path, value in got.items():
        np.testing.assert_array_equal(value, want[path])
        np.testing.assert_array_equal(
            value, inits[path](jaxinit.path_key(KEY, path), value.shape, value.dtype)
        )


def test_kinds_from_flax_names():
    params = {
        "fc": {"kernel": jnp.ones((4, 3)), "bias": jnp.ones(3)},
        "conv": {"kernel": jnp.ones((3, 3, 2, 5)), "bias": jnp.ones(5)},
        "tok": {"embedding": jnp.ones((7, 4))},
        "ln": {"scale": jnp.ones(4), "bias": jnp.ones(4)},
    }
    inits = recipes.initializers(params, recipes.torch())
    assert inits == {
        "fc/kernel": jaxinit.uniform(-0.5, 0.5),
        "fc/bias": jaxinit.uniform(-0.5, 0.5),
        "conv/kernel": td.conv(2, (3, 3)).bias_init,
        "conv/bias": td.conv(2, (3, 3)).bias_init,
        "tok/embedding": jaxinit.normal(0.0, 1.0),
        "ln/scale": jaxinit.ones(),
        "ln/bias": jaxinit.zeros(),
    }
    # a Shaped law reads the torch weight's shape: (out, in) for a 2-axis kernel
    moco = recipes.initializers(
        {"qkv": {"kernel": jnp.ones((8, 24)), "bias": jnp.ones(24)}},
        recipes.vit("moco", pos_embed=None, cls_token=None),
    )
    bound = math.sqrt(6 / (8 + 8))
    assert moco["qkv/kernel"].distribution((8, 24)).high == pytest.approx(bound, rel=1e-12)


def test_roles_by_path_and_other_leaves_kept():
    tree = {
        "pos_embed": jnp.ones((1, 4, 8)),
        "cls_token": jnp.ones((1, 1, 8)),
        "step": jnp.array(3),
        "name": "vit",
        "head": {"kernel": jnp.ones((8, 10)), "bias": jnp.ones(10)},
    }
    recipe = recipes.vit("jax_nlhb", mlp=None)
    inits = recipes.initializers(tree, recipe)
    assert inits["cls_token"] == jaxinit.normal(0.0, 1e-6) and inits["head/kernel"] == jaxinit.zeros()
    assert inits["head/bias"] == jaxinit.constant(-math.log(10))
    new = recipes.apply(tree, KEY, recipe)
    assert new["name"] == "vit" and int(new["step"]) == 3  # not parameters: kept
    np.testing.assert_array_equal(
        new["pos_embed"], inits["pos_embed"](jaxinit.path_key(KEY, "pos_embed"), (1, 4, 8))
    )


def test_abstract_pytree_is_made():
    abstract = jax.eval_shape(lambda: Net().init(jax.random.key(0), X))
    made = recipes.apply(abstract, KEY, recipes.torch())
    concrete = recipes.apply(Net().init(jax.random.key(0), X), KEY, recipes.torch())
    assert all(isinstance(v, jax.Array) for v in leaves(made).values())
    for path, value in leaves(concrete).items():
        np.testing.assert_array_equal(leaves(made)[path], value)


def test_errors_name_what_is_missing():
    tree = {"w": jnp.ones(3), "fc": {"kernel": jnp.ones((2, 3))}, "lonely": {"bias": jnp.ones(3)}}
    with pytest.raises(
        ValueError,
        match=r"a plain pytree has no layer types, and these parameters have "
        r"no law: 'lonely/bias', 'w'\. Only Flax's parameter names",
    ):
        recipes.apply(tree, KEY, recipes.torch())
    kept = recipes.apply(tree, KEY, recipes.torch(), strict=False)
    assert (kept["w"] == 1).all() and not (kept["fc"]["kernel"] == 1).any()
    with pytest.raises(
        ValueError, match=r"role 'residual' of gpt2\(.*\) \(pattern \('c_proj',\)\) matches no"
    ):
        recipes.apply({"fc": {"kernel": jnp.ones((2, 3))}}, KEY, recipes.gpt2(n_layer=2))
    with pytest.raises(TypeError, match="example inputs, `variables` and call keywords are for Flax linen"):
        recipes.apply({"fc": {"kernel": jnp.ones((2, 3))}}, KEY, recipes.torch(), X)


def test_kernels_of_three_axes_are_conv_only_where_the_layer_says_so():
    """A DenseGeneral's kernel has a Conv kernel's rank: linen's attention as a plain pytree
    is an error naming its kernels (not a Conv's law), until roles give them laws."""
    attention = nn.MultiHeadDotProductAttention(num_heads=2, qkv_features=8)
    x = jnp.ones((1, 3, 8))
    params = jax.eval_shape(lambda: attention.init(jax.random.key(0), x))["params"]
    with pytest.raises(ValueError, match=r"no law: 'key/bias', 'key/kernel', 'out/bias', 'out/kernel'"):
        recipes.initializers(params, recipes.torch())
    # outside a layer, a role's parameter gets its `weight`
    roles = (
        recipes.Role("kernels", ("kernel",), weight=jaxinit.normal(0.0, 0.02)),
        recipes.Role("biases", ("bias",), weight=jaxinit.zeros()),
    )
    recipe = recipes.Recipe("attention", roles=roles)
    inits = recipes.initializers(params, recipe)
    assert inits["query/kernel"] == jaxinit.normal(0.0, 0.02) and inits["out/bias"] == jaxinit.zeros()
    # linen's own names: Conv_0 is a Conv, ConvTranspose_0 is not (its layout and fans differ)
    tree = {
        "Conv_0": {"kernel": jnp.ones((3, 3, 2, 5))},
        "ConvTranspose_0": {"kernel": jnp.ones((3, 3, 2, 5))},
    }
    with pytest.raises(ValueError, match=r"no law: 'ConvTranspose_0/kernel'\. "):
        recipes.initializers(tree, recipes.torch())
    assert recipes.initializers(tree, recipes.torch(), strict=False) == {
        "Conv_0/kernel": td.conv(2, (3, 3)).bias_init
    }


def test_one_key_resolver():
    params = {"fc": {"kernel": jnp.ones((4, 3)), "bias": jnp.ones(3)}}
    by_key = recipes.apply(params, nnx.Rngs(params=7).params(), recipes.torch())
    for source in (nnx.Rngs(params=7), nnx.Rngs(7)):  # the params stream, else the default one
        np.testing.assert_array_equal(
            recipes.apply(params, source, recipes.torch())["fc"]["kernel"], by_key["fc"]["kernel"]
        )
    stream = nnx.Rngs(dropout=7).dropout  # a stream hands out fresh keys, as a Generator does
    first = recipes.apply(params, stream, recipes.torch())["fc"]["kernel"]
    assert not (recipes.apply(params, stream, recipes.torch())["fc"]["kernel"] == first).all()
    g = jaxinit.Generator(3)
    key = jaxinit.Generator(3).next_key()
    np.testing.assert_array_equal(
        recipes.apply(params, g, recipes.torch())["fc"]["kernel"],
        recipes.apply(params, key, recipes.torch())["fc"]["kernel"],
    )
    with pytest.raises(ValueError, match=r"`key` is an nnx.Rngs without a 'params' or 'default' stream"):
        recipes.apply(params, nnx.Rngs(dropout=0), recipes.torch())


def test_one_linear_law():
    """The per-layer helpers and the walk read one table: the same initializers."""
    model = nnx.Sequential(
        nnx.Linear(12, 5, rngs=nnx.Rngs(0)), nnx.Conv(4, 6, (3, 3), feature_group_count=2, rngs=nnx.Rngs(0))
    )
    inits = td.initializers(model)
    assert (inits["layers/0/kernel"], inits["layers/0/bias"]) == tuple(td.dense(12))
    assert (inits["layers/1/kernel"], inits["layers/1/bias"]) == tuple(td.conv(4, (3, 3), groups=2))
