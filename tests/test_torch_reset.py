"""reset_parameters as an API: frameworks, keys, paths, unknown layers, user rules, errors."""

import math

import equinox as eqx
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jaxinit
from jaxinit import torch_defaults as td
from jaxinit._src.torch_layers import rules

pytestmark = pytest.mark.slow  # a framework-parity suite: in the full run, not the edit-test loop


@pytest.fixture(autouse=True)
def no_user_rules(monkeypatch):
    """Rules registered by a test stay in that test."""
    monkeypatch.setattr(rules, "_USER", {})


class MLP(nnx.Module):
    def __init__(self, rngs, extra=False):
        self.fc1 = nnx.Linear(16, 32, rngs=rngs)
        if extra:
            self.extra = nnx.Linear(32, 32, rngs=rngs)
        self.fc2 = nnx.Linear(32, 4, rngs=rngs)

    def __call__(self, x):
        return self.fc2(nnx.relu(self.fc1(x)))


class WithPosition(nnx.Module):
    def __init__(self, rngs):
        self.fc = nnx.Linear(4, 4, rngs=rngs)
        self.position = nnx.Param(jnp.ones((3, 4)))


def params_of(model):
    return {
        "/".join(map(str, p)): np.asarray(v.get_value())
        for p, v in nnx.iter_graph(model)
        if isinstance(v, nnx.Param)
    }


# -- NNX -----------------------------------------------------------------------------------


def test_nnx_in_place_same_key_same_values_and_path_keys(key):
    model = MLP(nnx.Rngs(0))
    assert td.reset_parameters(model, key) is model
    first = params_of(model)
    again = params_of(td.reset_parameters(MLP(nnx.Rngs(5)), key))
    assert all((first[p] == again[p]).all() for p in first)
    # a layer added in between changes nothing else: keys come from paths
    bigger = params_of(td.reset_parameters(MLP(nnx.Rngs(0), extra=True), key))
    assert all((first[p] == bigger[p]).all() for p in first)
    other = params_of(td.reset_parameters(MLP(nnx.Rngs(0)), jax.random.key(1)))
    assert not (first["fc1/kernel"] == other["fc1/kernel"]).any()
    assert np.abs(first["fc1/kernel"]).max() <= 1 / 4 and np.abs(first["fc2/bias"]).max() <= 1 / math.sqrt(32)


def test_nnx_rngs_as_key(key):
    a = params_of(td.reset_parameters(MLP(nnx.Rngs(0)), nnx.Rngs(params=7)))
    b = params_of(td.reset_parameters(MLP(nnx.Rngs(0)), nnx.Rngs(7)))  # the default stream
    assert (a["fc1/kernel"] == b["fc1/kernel"]).all()
    with pytest.raises(TypeError, match="nnx.Rngs without a 'params' or 'default' stream"):
        td.reset_parameters(MLP(nnx.Rngs(0)), nnx.Rngs(dropout=0))
    with pytest.raises(TypeError, match="`key` must be a PRNG key"):
        td.reset_parameters(MLP(nnx.Rngs(0)), 0)


def test_abstract_nnx_model_is_made_and_runs(key):
    model = nnx.eval_shape(lambda: MLP(nnx.Rngs(0)))
    assert isinstance(model.fc1.kernel.get_value(), jax.ShapeDtypeStruct)
    td.reset_parameters(model, key)
    assert model(jnp.ones((2, 16))).shape == (2, 4)
    assert (
        params_of(model)["fc1/kernel"] == params_of(td.reset_parameters(MLP(nnx.Rngs(0)), key))["fc1/kernel"]
    ).all()


def test_abstract_state_that_is_not_a_parameter_is_an_error(key):
    model = nnx.eval_shape(lambda: nnx.RNN(nnx.LSTMCell(4, 8, rngs=nnx.Rngs(0))))
    with pytest.raises(ValueError, match=r"these arrays would stay without a value: rngs/count, rngs/key"):
        td.reset_parameters(model, key)
    assert isinstance(model.cell.ii.kernel.get_value(), jax.ShapeDtypeStruct)  # nothing was changed
    concrete = nnx.RNN(nnx.LSTMCell(4, 8, rngs=nnx.Rngs(0)))
    assert td.reset_parameters(concrete, key)(jnp.ones((1, 3, 4))).shape == (1, 3, 8)
    rngless = nnx.eval_shape(lambda: nnx.RNN(nnx.LSTMCell(4, 8, rngs=nnx.Rngs(0)), rngs=False))
    td.reset_parameters(rngless, key)


def test_dtypes_are_kept(key):
    layer = td.reset_parameters(nnx.Linear(8, 8, param_dtype=jnp.bfloat16, rngs=nnx.Rngs(0)), key)
    assert layer.kernel.get_value().dtype == jnp.bfloat16


# -- unknown layers and user rules -------------------------------------------------------


def test_unknown_layer_is_an_error_listing_it(key):
    with pytest.raises(
        ValueError,
        match=r"knows no torch initialisation for these layer types: "
        r"test_torch_reset\.WithPosition \(parameters position\)",
    ):
        td.reset_parameters(WithPosition(nnx.Rngs(0)), key)
    model = td.reset_parameters(WithPosition(nnx.Rngs(0)), key, strict=False)
    assert (model.position.get_value() == 1).all()  # left as it was
    assert np.abs(np.asarray(model.fc.kernel.get_value())).max() <= 0.5


def test_register_a_rule_for_your_own_layer(key):
    td.register_layer(WithPosition, lambda layer, params: {"position": jaxinit.normal(std=0.02)})
    inits = td.initializers(WithPosition(nnx.Rngs(0)))
    assert inits == {
        "fc/kernel": jaxinit.uniform(-0.5, 0.5),
        "fc/bias": jaxinit.uniform(-0.5, 0.5),
        "position": jaxinit.normal(std=0.02),
    }  # the sublayer keeps its own rule
    model = td.reset_parameters(WithPosition(nnx.Rngs(0)), key)
    assert np.asarray(model.position.get_value()).std() < 0.1

    @td.register_layer(MLP)
    def whole_mlp(layer, params):
        assert set(params) == {"fc1/kernel", "fc1/bias", "fc2/kernel", "fc2/bias"}
        assert params["fc1/kernel"].shape == (16, 32)
        return {path: jaxinit.zeros() for path in params}

    assert not params_of(td.reset_parameters(MLP(nnx.Rngs(0)), key))["fc1/kernel"].any()


def test_subclasses_need_their_own_rule(key):
    class MyLinear(nnx.Linear):
        pass

    with pytest.raises(ValueError, match="MyLinear"):
        td.reset_parameters(MyLinear(4, 4, rngs=nnx.Rngs(0)), key)
    td.register_layer(MyLinear, like=nnx.Linear)
    assert td.initializers(MyLinear(4, 4, rngs=nnx.Rngs(0)))["bias"] == jaxinit.uniform(-0.5, 0.5)


def test_rule_and_registration_errors(key):
    with pytest.raises(TypeError, match="`layer_type` must be a class, got 3"):
        td.register_layer(3, lambda layer, params: {})
    with pytest.raises(TypeError, match="`rule` must be a callable"):
        td.register_layer(WithPosition, "zeros")
    with pytest.raises(TypeError, match="pass either `rule` or `like`"):
        td.register_layer(WithPosition, lambda layer, params: {}, like=nnx.Linear)
    td.register_layer(WithPosition, lambda layer, params: {"position": 0.0})
    with pytest.raises(TypeError, match=r"gave 'position' something that is not an initializer: 0.0"):
        td.reset_parameters(WithPosition(nnx.Rngs(0)), key)
    td.register_layer(WithPosition, lambda layer, params: ["position"])
    with pytest.raises(TypeError, match="must return a dict from parameter paths to initializers"):
        td.reset_parameters(WithPosition(nnx.Rngs(0)), key)


def test_layers_without_a_torch_counterpart_say_why(key):
    model = nnx.MultiHeadAttention(4, 32, qkv_features=16, decode=False, rngs=nnx.Rngs(0))
    with pytest.raises(
        ValueError,
        match=r"the model \(flax.nnx.nn.attention.MultiHeadAttention\): "
        r"nnx.MultiHeadAttention has no torch.nn.MultiheadAttention counterpart: "
        r"projections to \[16\] features, not the input's 32",
    ):
        td.reset_parameters(model, key)


def test_model_and_argument_errors(key):
    with pytest.raises(
        TypeError,
        match="`model` must be a Flax NNX module, a Flax linen module or an Equinox module, got dict",
    ):
        td.reset_parameters({"w": jnp.ones(3)}, key)
    with pytest.raises(TypeError, match="example inputs, `variables` and call keywords are for Flax linen"):
        td.reset_parameters(MLP(nnx.Rngs(0)), key, jnp.ones((1, 16)))
    with pytest.raises(
        ValueError, match=r"`transformer` pattern 'encoder' matches no layer; the layer paths are"
    ):
        td.reset_parameters(MLP(nnx.Rngs(0)), key, transformer="encoder")
    with pytest.raises(TypeError, match="`transformer` entries must be glob strings, got 3"):
        td.reset_parameters(MLP(nnx.Rngs(0)), key, transformer=[3])


def test_transformer_option_needs_torch_shapes(key):
    td.register_layer(WithPosition, lambda layer, params: {"position": jaxinit.zeros()})
    with pytest.raises(
        ValueError, match=r"'position' is inside a `transformer` layer, but its rule gave a plain"
    ):
        td.reset_parameters(WithPosition(nnx.Rngs(0)), key, transformer="*")
    td.register_layer(
        WithPosition, lambda layer, params: {"position": td.TorchParam(jaxinit.zeros(), (3, 4))}
    )
    inits = td.initializers(WithPosition(nnx.Rngs(0)), transformer="*")
    assert inits["position"] == jaxinit.uniform(-math.sqrt(6 / 7), math.sqrt(6 / 7))  # xavier of (3, 4)
    assert inits["fc/kernel"] == jaxinit.uniform(-math.sqrt(6 / 8), math.sqrt(6 / 8))
    assert inits["fc/bias"] == jaxinit.uniform(-0.5, 0.5)  # one dimension: Linear's own law


# -- Equinox -------------------------------------------------------------------------------


def test_equinox_returns_a_new_module(key):
    mlp = eqx.nn.MLP(16, 4, 32, 2, key=jax.random.key(0))
    new = td.reset_parameters(mlp, key)
    assert new is not mlp and (mlp.layers[0].weight != new.layers[0].weight).any()
    assert float(abs(new.layers[0].weight).max()) <= 0.25
    assert set(td.initializers(mlp)) == {f"layers/{i}/{p}" for i in range(3) for p in ("weight", "bias")}
    assert new(jnp.ones(16)).shape == (4,)


def test_equinox_abstract_batch_norm(key):
    bn = eqx.filter_eval_shape(lambda: eqx.nn.BatchNorm(4, "batch", mode="batch"))
    bn = td.reset_parameters(bn, key)
    assert bn.batch_counter.init.dtype == jnp.int32 and int(bn.batch_counter.init) == 0
    assert (bn.batch_state_index.init[1] == 1).all()


def test_equinox_defaults_that_differ_from_torch(key):
    """The documented differences: eqx's own init is not torch's for these layers."""
    t = eqx.nn.ConvTranspose2d(4, 12, 3, key=jax.random.key(0))
    assert float(abs(t.weight).max()) > 1 / math.sqrt(12 * 9)  # eqx: bound from the input channels
    assert float(abs(td.reset_parameters(t, key).weight).max()) <= 1 / math.sqrt(12 * 9)
    cell = eqx.nn.LSTMCell(8, 16, key=jax.random.key(0))
    assert td.initializers(cell)["bias"] == jaxinit.triangular(-0.5, 0.5)  # eqx: one U(+-0.25)


# -- linen ---------------------------------------------------------------------------------


class LinenNet(nn.Module):
    @nn.compact
    def __call__(self, x, train: bool = False):
        x = nn.Dense(8)(x)
        x = nn.BatchNorm(use_running_average=not train)(x)
        return nn.Dense(2)(x)


def test_linen_variables(key):
    model, x = LinenNet(), jnp.ones((3, 5))
    made = td.reset_parameters(model, key, x)
    assert set(made) == {"params", "batch_stats"}
    assert float(abs(made["params"]["Dense_0"]["kernel"]).max()) <= 1 / math.sqrt(5)
    assert (made["batch_stats"]["BatchNorm_0"]["var"] == 1).all()
    variables = model.init(jax.random.key(3), x)
    full = td.reset_parameters(model, key, x, variables=variables)
    params_only = td.reset_parameters(model, key, x, variables=variables["params"])
    for tree in (full["params"], params_only):
        np.testing.assert_array_equal(tree["Dense_1"]["bias"], made["params"]["Dense_1"]["bias"])
    assert model.apply(full, x).shape == (3, 2)
    # keys from the collection path, as reinit derives them from the variables tree
    kernel = made["params"]["Dense_0"]["kernel"]
    expected = td.initializers(model, x)["params/Dense_0/kernel"](
        jaxinit.path_key(key, "params/Dense_0/kernel"), kernel.shape, kernel.dtype
    )
    np.testing.assert_array_equal(kernel, expected)
    # call keywords reach the model
    assert set(td.initializers(model, x, train=True)) == set(td.initializers(model, x))
    with pytest.raises(ValueError, match="`variables` must be what model.init"):
        td.reset_parameters(model, key, jnp.ones((3, 6)), variables=variables)


def test_linen_unknown_module_and_strict_false(key):
    class Scaled(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.Dense(3)(x) * self.param("gain", nn.initializers.ones, (3,))[None]

    x = jnp.ones((1, 4))
    with pytest.raises(ValueError, match=r"\.Scaled \(parameters gain\)"):
        td.reset_parameters(Scaled(), key, x)
    with pytest.raises(ValueError, match="with strict=False, pass `variables`"):
        td.reset_parameters(Scaled(), key, x, strict=False)
    variables = Scaled().init(jax.random.key(0), x)
    out = td.reset_parameters(Scaled(), key, x, variables=variables, strict=False)
    assert (out["params"]["gain"] == 1).all()
    td.register_layer(Scaled, lambda layer, params: {"gain": jaxinit.constant(2.0)})
    assert (td.reset_parameters(Scaled(), key, x)["params"]["gain"] == 2).all()


def test_linen_rnn_and_attention_are_learnt_from_the_module(key):
    class Model(nn.Module):
        @nn.compact
        def __call__(self, tokens):
            x = nn.Embed(20, 8)(tokens)
            x = nn.RNN(nn.GRUCell(6))(x)
            return nn.MultiHeadDotProductAttention(num_heads=2, qkv_features=6)(x)

    inits = td.initializers(Model(), jnp.zeros((1, 5), jnp.int32))
    assert inits["params/GRUCell_0/ir/bias"] == jaxinit.triangular(-2 / math.sqrt(6), 2 / math.sqrt(6))
    assert inits["params/GRUCell_0/hn/bias"] == jaxinit.uniform(-1 / math.sqrt(6), 1 / math.sqrt(6))
    bound = math.sqrt(6 / (4 * 6))
    law = inits["params/MultiHeadDotProductAttention_0/value/kernel"].distribution((6, 2, 3))
    assert law.family == "uniform" and law.high == pytest.approx(bound, rel=1e-15)


def test_linen_stacked_layers_read_their_sizes_from_the_trailing_axes(key):
    stacked = nn.vmap(nn.Dense, variable_axes={"params": 0}, split_rngs={"params": True}, in_axes=0)

    class Model(nn.Module):
        @nn.compact
        def __call__(self, x):
            return stacked(16, name="heads")(x)

    x = jnp.ones((3, 1, 8))
    inits = td.initializers(Model(), x)
    assert inits["params/heads/kernel"] == jaxinit.uniform(-1 / math.sqrt(8), 1 / math.sqrt(8))
    kernel = td.reset_parameters(Model(), key, x)["params"]["heads"]["kernel"]
    assert kernel.shape == (3, 8, 16) and float(abs(kernel).max()) <= 1 / math.sqrt(8)
    assert not (kernel[0] == kernel[1]).all()  # the stacked layers are independent draws


# -- every built-in rule against the formula (no torch needed) ------------------------------


def U(bound):
    return jaxinit.uniform(-bound, bound)


def laws_close(inits, shapes, expected):
    """Each parameter's law equals the expected initializer's law (to 1e-12, relative)."""
    assert set(inits) == set(expected), (sorted(inits), sorted(expected))
    for path, want in expected.items():
        got = td.laws(inits[path], shapes[path])
        ref = td.laws(want, shapes[path])
        assert [r for r, _ in got] == [r for r, _ in ref], path
        for (_, a), (_, b) in zip(got, ref):
            assert a.family == b.family and all(
                math.isclose(a.params[k], b.params[k], rel_tol=1e-12) for k in a.params
            ), (path, a, b)


def nnx_shapes(model):
    return {
        "/".join(map(str, p)): v.get_value().shape
        for p, v in nnx.iter_graph(model)
        if isinstance(v, (nnx.Param, nnx.BatchStat))
    }


H, E = 16, 24
k = 1 / math.sqrt(H)
NNX_FORMULAS = {
    "LinearGeneral": (
        lambda r: nnx.LinearGeneral((2, 3), 5, axis=(-2, -1), rngs=r),
        {"kernel": U(1 / math.sqrt(6)), "bias": U(1 / math.sqrt(6))},
    ),
    "ConvTranspose": (
        lambda r: nnx.ConvTranspose(6, 4, (3, 2), rngs=r),
        {"kernel": U(1 / math.sqrt(4 * 6)), "bias": U(1 / math.sqrt(4 * 6))},
    ),
    "Conv": (
        lambda r: nnx.Conv(6, 4, (3, 3), feature_group_count=2, rngs=r),
        {"kernel": U(1 / math.sqrt(3 * 9)), "bias": U(1 / math.sqrt(3 * 9))},
    ),
    "Embed": (lambda r: nnx.Embed(10, 4, rngs=r), {"embedding": jaxinit.normal(0.0, 1.0)}),
    "BatchNorm": (
        lambda r: nnx.BatchNorm(4, rngs=r),
        {"scale": jaxinit.ones(), "bias": jaxinit.zeros(), "mean": jaxinit.zeros(), "var": jaxinit.ones()},
    ),
    "RMSNorm": (lambda r: nnx.RMSNorm(4, rngs=r), {"scale": jaxinit.ones()}),
    "GroupNorm": (
        lambda r: nnx.GroupNorm(4, num_groups=2, rngs=r),
        {"scale": jaxinit.ones(), "bias": jaxinit.zeros()},
    ),
    "PReLU": (lambda r: nnx.PReLU(), {"negative_slope": jaxinit.constant(0.25)}),
    "MultiHeadAttention": (
        lambda r: nnx.MultiHeadAttention(4, E, in_kv_features=8, decode=False, rngs=r),
        {
            "query/kernel": U(math.sqrt(6 / (2 * E))),
            "key/kernel": U(math.sqrt(6 / (E + 8))),
            "value/kernel": U(math.sqrt(6 / (E + 8))),
            "out/kernel": U(1 / math.sqrt(E)),
            **{f"{p}/bias": jaxinit.zeros() for p in ("query", "key", "value", "out")},
        },
    ),
    "OptimizedLSTMCell": (
        lambda r: nnx.OptimizedLSTMCell(5, H, rngs=r),
        {"dense_i/kernel": U(k), "dense_h/kernel": U(k), "dense_h/bias": jaxinit.triangular(-2 * k, 2 * k)},
    ),
    "GRUCell": (
        lambda r: nnx.GRUCell(5, H, rngs=r),
        {
            "dense_i/kernel": U(k),
            "dense_h/kernel": U(k),
            "dense_i/bias": td.Concat((jaxinit.triangular(-2 * k, 2 * k), 2 * H), (U(k), H)),
        },
    ),
    "SimpleCell": (
        lambda r: nnx.SimpleCell(5, H, rngs=r),
        {"dense_i/kernel": U(k), "dense_h/kernel": U(k), "dense_i/bias": jaxinit.triangular(-2 * k, 2 * k)},
    ),
}


@pytest.mark.parametrize("name", NNX_FORMULAS)
def test_nnx_rules_follow_the_formulas(name):
    make, expected = NNX_FORMULAS[name]
    model = nnx.eval_shape(lambda: make(nnx.Rngs(0)))
    laws_close(td.initializers(model), nnx_shapes(model), expected)


def test_equinox_rules_follow_the_formulas():
    keys = iter(jax.random.split(jax.random.key(0), 8))
    cases = [
        (
            eqx.nn.Conv3d(4, 6, (1, 2, 3), groups=2, key=next(keys)),
            {"weight": U(1 / math.sqrt(2 * 6)), "bias": U(1 / math.sqrt(2 * 6))},
        ),
        (
            eqx.nn.ConvTranspose1d(6, 4, 3, groups=2, key=next(keys)),
            {"weight": U(1 / math.sqrt(2 * 3)), "bias": U(1 / math.sqrt(2 * 3))},
        ),
        (eqx.nn.Linear("scalar", 3, key=next(keys)), {"weight": U(1.0), "bias": U(1.0)}),
        (
            eqx.nn.GRUCell(5, H, key=next(keys)),
            {
                "weight_ih": U(k),
                "weight_hh": U(k),
                "bias_n": U(k),
                "bias": td.Concat((jaxinit.triangular(-2 * k, 2 * k), 2 * H), (U(k), H)),
            },
        ),
        (
            eqx.nn.MultiheadAttention(4, E, key=next(keys)),
            {f"{p}_proj/weight": U(math.sqrt(6 / (4 * E))) for p in ("query", "key", "value")}
            | {"output_proj/weight": U(1 / math.sqrt(E))},
        ),
        (eqx.nn.PReLU(), {"negative_slope": jaxinit.constant(0.25)}),
    ]
    for layer, expected in cases:
        shapes = {
            jaxinit._src.tree.path_str(p): v.shape
            for p, v in jax.tree_util.tree_flatten_with_path(layer)[0]
            if isinstance(v, jax.Array)
        }
        laws_close(td.initializers(layer), shapes, expected)
    with pytest.raises(
        ValueError, match="no torch.nn.MultiheadAttention counterpart: output features 8 != input"
    ):
        td.initializers(eqx.nn.MultiheadAttention(4, E, output_size=8, key=next(keys)))


def test_linen_rules_follow_the_formulas():
    cases = [
        (
            nn.ConvTranspose(4, (3,), transpose_kernel=True),
            jnp.ones((1, 5, 6)),
            {"kernel": U(1 / math.sqrt(4 * 3)), "bias": U(1 / math.sqrt(4 * 3))},
        ),
        (nn.Embed(10, 4), jnp.zeros((1,), jnp.int32), {"embedding": jaxinit.normal(0.0, 1.0)}),
        (nn.InstanceNorm(), jnp.ones((1, 3, 4)), {"scale": jaxinit.ones(), "bias": jaxinit.zeros()}),
        (
            nn.SimpleCell(H),
            (jnp.zeros((1, H)), jnp.ones((1, 5))),
            {"i/kernel": U(k), "h/kernel": U(k), "i/bias": jaxinit.triangular(-2 * k, 2 * k)},
        ),
    ]
    for module, inputs, expected in cases:
        inputs = inputs if isinstance(inputs, tuple) else (inputs,)
        variables = jax.eval_shape(lambda: module.init(jax.random.key(0), *inputs))
        shapes = {
            jaxinit._src.tree.path_str(p): v.shape
            for p, v in jax.tree_util.tree_flatten_with_path(variables)[0]
        }
        laws_close(td.initializers(module, *inputs), shapes, {f"params/{p}": i for p, i in expected.items()})
    with pytest.raises(ValueError, match="query/key normalisation"):
        td.initializers(nn.MultiHeadDotProductAttention(2, normalize_qk=True), jnp.ones((1, 3, 8)))


def test_reset_under_jit_gives_the_eager_values(key):
    @nnx.jit
    def reset(model, key):
        td.reset_parameters(model, key)

    model = MLP(nnx.Rngs(0))
    reset(model, key)
    eager = params_of(td.reset_parameters(MLP(nnx.Rngs(0)), key))
    assert all((params_of(model)[p] == eager[p]).all() for p in eager)
    lin = eqx.nn.Linear(4, 3, key=jax.random.key(0))
    jitted = eqx.filter_jit(td.reset_parameters)(lin, key)
    np.testing.assert_array_equal(jitted.weight, td.reset_parameters(lin, key).weight)
