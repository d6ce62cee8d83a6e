"""jaxinit.recipes as an API: the factories' checks, roles, frameworks, keys, and
``reset_parameters == apply(recipes.torch())``. (Against the reference code itself:
``tests/test_recipes_reference.py``.)"""

import math

import equinox as eqx
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jaxinit
from jaxinit import recipes, torch_defaults as td


class Block(nnx.Module):
    """A GPT-2 block's parameters under nanoGPT's / HF's names."""

    def __init__(self, rngs, d=16):
        self.ln_1 = nnx.LayerNorm(d, rngs=rngs)
        self.c_attn = nnx.Linear(d, 3 * d, rngs=rngs)
        self.c_proj = nnx.Linear(d, d, rngs=rngs)
        self.mlp = MLP(d, rngs)


class MLP(nnx.Module):
    def __init__(self, d, rngs):
        self.c_fc = nnx.Linear(d, 4 * d, rngs=rngs)
        self.c_proj = nnx.Linear(4 * d, d, rngs=rngs)


class Net(nnx.Module):
    def __init__(self, rngs):
        self.conv = nnx.Conv(3, 8, (3, 3), rngs=rngs)
        self.bn = nnx.BatchNorm(8, rngs=rngs)
        self.lstm = nnx.RNN(nnx.LSTMCell(8, 16, rngs=rngs))
        self.attn = nnx.MultiHeadAttention(2, 16, decode=False, rngs=rngs)
        self.fc = nnx.Linear(16, 4, rngs=rngs)


def same(a, b):
    """Two fan-free initializers with the same law, up to rounding of its parameters."""
    la, lb = a.distribution((2, 2)), b.distribution((2, 2))
    return type(la) is type(lb) and all(
        math.isclose(la.params[k], lb.params[k], rel_tol=1e-12) for k in la.params
    )


def values(model):
    return {
        "/".join(map(str, p)): np.asarray(v.get_value())
        for p, v in nnx.iter_graph(model)
        if isinstance(v, (nnx.Param, nnx.BatchStat))
    }


# -- torch(): reset_parameters, bit for bit --------------------------------------------------


@pytest.mark.slow  # builds several models: in the full run
def test_reset_parameters_is_apply_of_the_torch_recipe(key):
    a = values(td.reset_parameters(Net(nnx.Rngs(0)), key))
    b = values(recipes.apply(Net(nnx.Rngs(1)), key, recipes.torch()))
    assert a.keys() == b.keys()
    assert all((a[p] == b[p]).all() for p in a)
    assert td.initializers(Net(nnx.Rngs(0))) == recipes.initializers(Net(nnx.Rngs(0)), recipes.torch())
    # linen and Equinox too
    x = jnp.ones((1, 8))
    la = td.reset_parameters(nn.Dense(4), key, x)
    lb = recipes.apply(nn.Dense(4), key, recipes.torch(), x)
    assert jax.tree.all(jax.tree.map(lambda u, v: bool((u == v).all()), la, lb))
    mlp = eqx.nn.MLP(8, 2, 16, 2, key=jax.random.key(1))
    ea, eb = td.reset_parameters(mlp, key), recipes.apply(mlp, key, recipes.torch())
    arrays = [jax.tree.leaves(eqx.filter(m, eqx.is_array)) for m in (ea, eb)]
    assert len(arrays[0]) == 6 and all((u == v).all() for u, v in zip(*arrays))


# -- the factories ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, error, message",
    [
        (lambda: recipes.gpt2(0), ValueError, r"`n_layer` must be >= 1, got 0"),
        (lambda: recipes.gpt2(2.5), TypeError, r"`n_layer` must be an integer, got 2.5"),
        (
            lambda: recipes.gpt2(2, initializer_range=-0.02),
            ValueError,
            r"`initializer_range` must be > 0, got -0.02",
        ),
        (lambda: recipes.llama(0.0), ValueError, r"`initializer_range` must be > 0, got 0.0"),
        (lambda: recipes.bert(pad_token_id=1.5), TypeError, r"`pad_token_id` must be an integer, got 1.5"),
        (lambda: recipes.t5(d_kv=0), ValueError, r"`d_kv` must be >= 1, got 0"),
        (lambda: recipes.t5(factor=float("nan")), ValueError, r"`factor` must be finite, got nan"),
        (
            lambda: recipes.vit("timm"),
            ValueError,
            r"`mode` must be one of '', 'jax', 'jax_nlhb', 'moco', 'reset', got 'timm'",
        ),
        (lambda: recipes.megatron(0.02, 0), ValueError, r"`num_layers` must be >= 1, got 0"),
        (lambda: recipes.megatron(-1.0, 2), ValueError, r"`sigma` must be > 0, got -1.0"),
        (
            lambda: recipes.olmo_core("mitchell", d_model=8, n_layers=2),
            ValueError,
            r"`init_method` must be one of 'normal', 'llama', 'llama_depth', 'normalized', 'fan_in', "
            r"got 'mitchell'",
        ),
        (lambda: recipes.olmo_core(d_model=8, n_layers=0), ValueError, r"`n_layers` must be >= 1, got 0"),
        (lambda: recipes.olmo_core(d_model=0, n_layers=2), ValueError, r"`d_model` must be >= 1, got 0"),
        (
            lambda: recipes.olmo_core(d_model=8, n_layers=2, init_std=-0.02),
            ValueError,
            r"`init_std` must be > 0, got -0.02",
        ),
        (
            lambda: recipes.olmo_core(d_model=8, n_layers=2, embedding_init_std=0.0),
            ValueError,
            r"`embedding_init_std` must be > 0, got 0.0",
        ),
        (
            lambda: recipes.olmo_core("fan_in", d_model=8, n_layers=2, embed_scale=float("inf")),
            ValueError,
            r"`embed_scale` must be finite, got inf",
        ),
        (
            lambda: recipes.olmo_core(d_model=8, n_layers=2, blocks=""),
            TypeError,
            r"`blocks` must be a non-empty glob string, got ''",
        ),
        (lambda: recipes.PerLayer(()), ValueError, r"`laws` must hold a law for each layer, got none"),
        (
            lambda: recipes.PerLayer((recipes.PerLayer((jaxinit.zeros(),)),)),
            TypeError,
            r"`laws` must hold jaxinit initializers",
        ),
        (lambda: recipes.FanInTruncNormal(cut=0), ValueError, r"`cut` must be > 0, got 0.0"),
        (
            lambda: recipes.gpt2(2, residual=3),
            TypeError,
            r"`residual` must be a glob string, a sequence of them or None, got 3",
        ),
        (
            lambda: recipes.torch(transformer=[3]),
            TypeError,
            r"`transformer` entries must be glob strings, got 3",
        ),
        (
            lambda: recipes.Role("x", "a", weight=jaxinit.xavier_uniform),
            TypeError,
            r"`weight` must be a jaxinit initializer",
        ),
        (
            lambda: recipes.Recipe("mine", layers=(("dense", recipes.Laws()),)),
            ValueError,
            r"`kind` must be one of 'linear'",
        ),
        (
            lambda: recipes.apply(Block(nnx.Rngs(0)), jax.random.key(0), "gpt2"),
            TypeError,
            r"`recipe` must be a jaxinit.recipes.Recipe",
        ),
    ],
)
def test_bad_hyperparameters_raise_at_the_factory(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_recipes_are_values():
    assert recipes.gpt2(12) == recipes.gpt2(12) and hash(recipes.gpt2(12)) == hash(recipes.gpt2(12))
    assert recipes.gpt2(12) != recipes.gpt2(24)
    assert repr(recipes.vit("jax")) == "vit(mode='jax')"
    assert repr(recipes.megatron(0.02, 24)) == "megatron(sigma=0.02, num_layers=24)"
    for obj in (
        recipes.Recipe,
        recipes.Role,
        recipes.Laws,
        recipes.Shaped,
        recipes.NegLogBias,
        recipes.PerLayer,
        recipes.FanInTruncNormal,
        recipes.olmo_core,
        recipes.apply,
        recipes.initializers,
        recipes.gpt2,
        recipes.torch,
    ):
        assert obj.__module__ == "jaxinit.recipes"
    assert recipes.initializers.__name__ == "initializers"


# -- roles --------------------------------------------------------------------------------------


def test_gpt2_roles_on_nnx(key):
    inits = recipes.initializers(Block(nnx.Rngs(0)), recipes.gpt2(n_layer=8))
    assert inits == {
        "ln_1/scale": jaxinit.ones(),
        "ln_1/bias": jaxinit.zeros(),
        "c_attn/kernel": jaxinit.normal(0.0, 0.02),
        "c_attn/bias": jaxinit.zeros(),
        "c_proj/kernel": jaxinit.normal(0.0, 0.005),
        "c_proj/bias": jaxinit.zeros(),
        "mlp/c_fc/kernel": jaxinit.normal(0.0, 0.02),
        "mlp/c_fc/bias": jaxinit.zeros(),
        "mlp/c_proj/kernel": jaxinit.normal(0.0, 0.005),
        "mlp/c_proj/bias": jaxinit.zeros(),
    }
    # a user's own name for the residual projections; "mlp/c_proj" is that layer only
    inits = recipes.initializers(Block(nnx.Rngs(0)), recipes.gpt2(8, residual="mlp/c_proj"))
    assert inits["c_proj/kernel"] == jaxinit.normal(0.0, 0.02)
    assert inits["mlp/c_proj/kernel"] == jaxinit.normal(0.0, 0.005)
    model = recipes.apply(Block(nnx.Rngs(0)), key, recipes.gpt2(n_layer=8))
    assert abs(float(model.mlp.c_proj.kernel[...].std()) - 0.005) < 0.0005
    assert (model.c_attn.bias[...] == 0).all() and (model.ln_1.scale[...] == 1).all()


def test_a_role_that_matches_nothing_is_an_error(key):
    with pytest.raises(
        ValueError,
        match=r"role 'residual' of gpt2\(.*\) \(pattern \('out_proj',\)\) matches no "
        r"layer or parameter .* The paths are: c_attn, ",
    ):
        recipes.apply(Block(nnx.Rngs(0)), key, recipes.gpt2(4, residual="out_proj"))
    # strict=False: the role is skipped
    inits = recipes.initializers(Block(nnx.Rngs(0)), recipes.gpt2(4, residual="out_proj"), strict=False)
    assert inits["c_proj/kernel"] == jaxinit.normal(0.0, 0.02)
    # a tail of a path, not any substring
    with pytest.raises(ValueError, match="role 'residual'"):
        recipes.initializers(Block(nnx.Rngs(0)), recipes.gpt2(4, residual="proj"))


class ViT(nnx.Module):
    def __init__(self, rngs, classes=10, d=16):
        self.patch_embed = nnx.Conv(3, d, (4, 4), strides=4, rngs=rngs)
        self.pos_embed = nnx.Param(jnp.zeros((1, 5, d)))
        self.cls_token = nnx.Param(jnp.zeros((1, 1, d)))
        self.qkv = nnx.Linear(d, 3 * d, rngs=rngs)
        self.mlp = MLP(d, rngs)
        self.norm = nnx.LayerNorm(d, rngs=rngs)
        self.head = nnx.Linear(d, classes, rngs=rngs)


@pytest.mark.slow  # builds several models: in the full run
def test_vit_modes_and_raw_parameters(key):
    d = 16
    inits = recipes.initializers(ViT(nnx.Rngs(0)), recipes.vit("jax_nlhb"))
    assert inits["pos_embed"] == jaxinit.trunc_normal(0.0, 0.02, -2.0, 2.0)
    assert inits["cls_token"] == jaxinit.normal(0.0, 1e-6)
    assert inits["head/kernel"] == jaxinit.zeros() and inits["head/bias"] == jaxinit.constant(-math.log(10))
    assert inits["mlp/c_fc/bias"] == jaxinit.normal(0.0, 1e-6) and inits["qkv/bias"] == jaxinit.zeros()
    bound = math.sqrt(6 / (d + 3 * d))
    assert same(inits["qkv/kernel"], jaxinit.uniform(-bound, bound))
    std = math.sqrt(1 / (3 * 16)) / 0.87962566103423978
    assert same(inits["patch_embed/kernel"], jaxinit.trunc_normal(0.0, std, -2 * std, 2 * std))
    moco = recipes.initializers(ViT(nnx.Rngs(0)), recipes.vit("moco"))
    bound = math.sqrt(6 / (d + d))
    assert same(moco["qkv/kernel"], jaxinit.uniform(-bound, bound))
    assert moco["patch_embed/kernel"] == td.initializers(ViT(nnx.Rngs(0)), strict=False)["patch_embed/kernel"]
    # a raw parameter no role covers: an error naming it
    with pytest.raises(ValueError, match=r"has no law for these parameters.*pos_embed"):
        recipes.initializers(ViT(nnx.Rngs(0)), recipes.vit("", pos_embed=None))


class DiTBlock(nnx.Module):
    def __init__(self, rngs, d=16):
        self.attn = MLP(d, rngs)
        self.adaLN_modulation = nnx.Sequential(nnx.silu, nnx.Linear(d, 6 * d, rngs=rngs))


class DiT(nnx.Module):
    def __init__(self, rngs, d=16):
        self.x_embedder = nnx.Conv(4, d, (2, 2), strides=2, rngs=rngs)
        self.y_embedder = nnx.Embed(11, d, rngs=rngs)
        self.t_embedder = nnx.Module()
        self.t_embedder.mlp = nnx.Sequential(
            nnx.Linear(8, d, rngs=rngs), nnx.silu, nnx.Linear(d, d, rngs=rngs)
        )
        self.blocks = nnx.List([DiTBlock(rngs, d) for _ in range(2)])
        self.final_layer = nnx.Module()
        self.final_layer.adaLN_modulation = nnx.Sequential(nnx.silu, nnx.Linear(d, 2 * d, rngs=rngs))
        self.final_layer.linear = nnx.Linear(d, 4 * 4, rngs=rngs)


@pytest.mark.slow  # builds several models: in the full run
def test_dit_adaln_zero(key):
    d = 16
    inits = recipes.initializers(DiT(nnx.Rngs(0)), recipes.dit())
    zero = [p for p, i in inits.items() if i == jaxinit.zeros() and p.endswith("kernel")]
    assert sorted(zero) == [
        "blocks/0/adaLN_modulation/layers/1/kernel",
        "blocks/1/adaLN_modulation/layers/1/kernel",
        "final_layer/adaLN_modulation/layers/1/kernel",
        "final_layer/linear/kernel",
    ]
    assert all(i == jaxinit.zeros() for p, i in inits.items() if p.endswith("bias"))
    assert inits["t_embedder/mlp/layers/0/kernel"] == jaxinit.normal(0.0, 0.02)
    assert inits["y_embedder/embedding"] == jaxinit.normal(0.0, 0.02)
    bound = math.sqrt(6 / (4 * 2 * 2 + d))  # xavier of the weight seen as (out, in * kh * kw)
    assert same(inits["x_embedder/kernel"], jaxinit.uniform(-bound, bound))
    bound = math.sqrt(6 / (d + 4 * d))
    assert same(inits["blocks/0/attn/c_fc/kernel"], jaxinit.uniform(-bound, bound))
    model = recipes.apply(DiT(nnx.Rngs(0)), key, recipes.dit())
    assert (model.final_layer.linear.kernel[...] == 0).all()


@pytest.mark.slow  # builds several models: in the full run
def test_megatron_scaled_output_layers():
    class Layer(nnx.Module):
        def __init__(self, rngs):
            self.linear_qkv = nnx.Linear(8, 24, rngs=rngs)
            self.linear_proj = nnx.Linear(8, 8, rngs=rngs)
            self.linear_fc1 = nnx.Linear(8, 32, rngs=rngs)
            self.linear_fc2 = nnx.Linear(32, 8, rngs=rngs)
            self.embedding = nnx.Embed(50, 8, rngs=rngs)

    inits = recipes.initializers(Layer(nnx.Rngs(0)), recipes.megatron(0.01, num_layers=32))
    assert (
        inits["linear_qkv/kernel"]
        == inits["linear_fc1/kernel"]
        == inits["embedding/embedding"]
        == jaxinit.normal(0.0, 0.01)
    )
    assert inits["linear_proj/kernel"] == inits["linear_fc2/kernel"] == jaxinit.normal(0.0, 0.01 / 8)


class OlmoBlock(nnx.Module):
    """An OLMo-core block's parameters under its names (``attention.w_q``, ``feed_forward.w1``)."""

    def __init__(self, rngs, d=16, hidden=40):
        self.attention_norm = nnx.RMSNorm(d, rngs=rngs)
        self.attention = nnx.Dict(
            {name: nnx.Linear(d, d, use_bias=False, rngs=rngs) for name in ("w_q", "w_k", "w_v", "w_out")}
        )
        self.feed_forward_norm = nnx.RMSNorm(d, rngs=rngs)
        self.feed_forward = nnx.Dict(
            w1=nnx.Linear(d, hidden, use_bias=False, rngs=rngs),
            w2=nnx.Linear(hidden, d, use_bias=False, rngs=rngs),
            w3=nnx.Linear(d, hidden, use_bias=False, rngs=rngs),
        )


class Olmo(nnx.Module):
    def __init__(self, rngs, n_layers=3, d=16, vocab=50):
        self.embeddings = nnx.Embed(vocab, d, rngs=rngs)
        self.blocks = nnx.List([OlmoBlock(rngs, d) for _ in range(n_layers)])
        self.lm_head = nnx.Dict(
            norm=nnx.RMSNorm(d, rngs=rngs), w_out=nnx.Linear(d, vocab, use_bias=False, rngs=rngs)
        )


def olmo_trunc(std):
    return jaxinit.trunc_normal(0.0, std, -3 * std, 3 * std)


@pytest.mark.parametrize("method", ["normal", "llama", "llama_depth", "normalized", "fan_in"])
def test_olmo_core_std_per_layer(method):
    d, hidden, n, s = 16, 40, 3, 0.05
    inits = recipes.initializers(
        Olmo(nnx.Rngs(0)), recipes.olmo_core(method, d_model=d, n_layers=n, init_std=s)
    )
    embedding = {"normal": olmo_trunc(s), "normalized": jaxinit.normal(0.0, d**-0.5)}
    assert same(inits["embeddings/embedding"], embedding.get(method, jaxinit.normal(0.0, 1.0)))
    assert same(inits["lm_head/w_out/kernel"], olmo_trunc(s if method == "normal" else d**-0.5))
    assert inits["lm_head/norm/scale"] == jaxinit.ones()
    for i in range(n):
        deep = {
            "normal": s,
            "llama": s / math.sqrt(2 * n),
            "llama_depth": s / math.sqrt(2 * (i + 1)),
            "normalized": 1 / math.sqrt(2 * n * d),
        }
        wide = 1 / math.sqrt(d) if method == "normalized" else s
        want = {
            "attention/w_q": wide,
            "attention/w_k": wide,
            "attention/w_v": wide,
            "attention/w_out": deep.get(method),
            "feed_forward/w1": wide,
            "feed_forward/w2": deep.get(method),
            "feed_forward/w3": wide if method == "normalized" else deep.get(method),
        }
        fans = {"attention/w_out": d, "feed_forward/w2": hidden}
        for name, std in want.items():
            if method == "fan_in":
                std = fans.get(name, d) ** -0.5
            assert same(inits[f"blocks/{i}/{name}/kernel"], olmo_trunc(std)), (method, i, name)
        assert inits[f"blocks/{i}/attention_norm/scale"] == jaxinit.ones()


def test_olmo_core_layer_index():
    recipe = recipes.olmo_core("llama_depth", d_model=16, n_layers=2)
    with pytest.raises(
        ValueError,
        match=r"'blocks/2/attention/w_out/kernel' is under layer 2, but the recipe has laws for 2 layers",
    ):
        recipes.initializers(Olmo(nnx.Rngs(0), n_layers=3), recipe)

    # another name for the stack: an index found after it, or a clear error
    class Renamed(nnx.Module):
        def __init__(self, rngs):
            self.layers = nnx.List([OlmoBlock(rngs) for _ in range(2)])

    with pytest.raises(ValueError, match=r"has no layer index after `blocks` 'blocks'"):
        recipes.initializers(Renamed(nnx.Rngs(0)), recipe, strict=False)
    # an index is ASCII digits: "²" is a digit to str.isdigit, not to int()
    for path in ("blocks/²/w2/kernel", "blocks/x/w2/kernel", "w2/kernel"):
        with pytest.raises(ValueError, match=rf"the path '{path}' has no layer index after `blocks`"):
            recipes.PerLayer((jaxinit.zeros(),)).law(path)
    renamed = recipes.olmo_core("llama_depth", d_model=16, n_layers=2, blocks="layers", lm_head=None)
    inits = recipes.initializers(Renamed(nnx.Rngs(0)), renamed)
    assert same(inits["layers/1/feed_forward/w2/kernel"], olmo_trunc(0.02 / 2))
    assert same(inits["layers/0/feed_forward/w2/kernel"], olmo_trunc(0.02 / math.sqrt(2)))
    # a role that matches nothing (a tied head: no lm_head weight) is an error, as for every recipe
    with pytest.raises(
        ValueError, match=r"role 'lm_head' of olmo_core\(.*\) \(pattern \('lm_head/w_out',\)\)"
    ):
        recipes.initializers(Renamed(nnx.Rngs(0)), recipes.olmo_core(d_model=16, n_layers=2, blocks="layers"))


@pytest.mark.slow  # draws a model: in the full run
def test_olmo_core_draws_within_three_std(key):
    model = recipes.apply(
        Olmo(nnx.Rngs(0), d=64), key, recipes.olmo_core("llama_depth", d_model=64, n_layers=3)
    )
    w = np.asarray(model.blocks[2].attention["w_out"].kernel[...])
    std = 0.02 / math.sqrt(6)
    assert np.abs(w).max() <= 3 * std and np.abs(w).max() > 2.5 * std
    assert 0.9 * std < w.std() < std  # the truncated law's std is 0.986 of the normal's


# -- frameworks, keys and abstract models --------------------------------------------------------


class LinenBlock(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.LayerNorm(name="ln_1")(x)
        x = nn.Dense(48, name="c_attn")(x)
        return nn.Dense(16, name="c_proj")(x[..., :16])


class EqxBlock(eqx.Module):
    ln_1: eqx.nn.LayerNorm
    c_attn: eqx.nn.Linear
    c_proj: eqx.nn.Linear

    def __init__(self, key):
        a, b = jax.random.split(key)
        self.ln_1 = eqx.nn.LayerNorm(16)
        self.c_attn = eqx.nn.Linear(16, 48, key=a)
        self.c_proj = eqx.nn.Linear(16, 16, key=b)


def test_linen_and_equinox(key):
    recipe = recipes.gpt2(n_layer=2)
    x = jnp.ones((1, 16))
    inits = recipes.initializers(LinenBlock(), recipe, x)
    assert inits["params/c_proj/kernel"] == jaxinit.normal(0.0, 0.01)
    assert inits["params/c_attn/kernel"] == jaxinit.normal(0.0, 0.02)
    variables = recipes.apply(LinenBlock(), key, recipe, x)
    assert (
        variables["params"]["c_proj"]["bias"].shape == (16,)
        and (variables["params"]["ln_1"]["scale"] == 1).all()
    )
    # each parameter drawn with path_key(key, its path)
    expected = jaxinit.normal(0.0, 0.01)(jaxinit.path_key(key, "params/c_proj/kernel"), (16, 16))
    assert (variables["params"]["c_proj"]["kernel"] == expected).all()
    block = recipes.apply(EqxBlock(jax.random.key(1)), key, recipe)
    assert recipes.initializers(block, recipe)["c_proj/weight"] == jaxinit.normal(0.0, 0.01)
    assert (
        block.c_proj.weight == jaxinit.normal(0.0, 0.01)(jaxinit.path_key(key, "c_proj/weight"), (16, 16))
    ).all()
    assert (block.c_proj.bias == 0).all()


def test_abstract_nnx_model_and_rngs(key):
    recipe = recipes.gpt2(n_layer=2)
    abstract = nnx.eval_shape(lambda: Block(nnx.Rngs(0)))
    made = values(recipes.apply(abstract, key, recipe))
    real = values(recipes.apply(Block(nnx.Rngs(3)), key, recipe))
    assert made.keys() == real.keys()
    assert all((made[p] == real[p]).all() for p in made)
    # an nnx.Rngs stands for its params stream's next key, as in reset_parameters
    by_rngs = values(recipes.apply(Block(nnx.Rngs(3)), nnx.Rngs(params=5), recipe))
    by_key = values(recipes.apply(Block(nnx.Rngs(3)), nnx.Rngs(params=5).params(), recipe))
    assert all((by_rngs[p] == by_key[p]).all() for p in by_rngs)
