"""torch_defaults, reinit, the registry, and the Haiku / Equinox adapters."""

import math
import re
import warnings

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

pytestmark = pytest.mark.slow  # a framework-parity suite: in the full run, not the edit-test loop

import jaxinit
from jaxinit import torch_defaults
from conftest import ks_pvalue


# -- torch_defaults ----------------------------------------------------------------------

def test_dense_defaults_formula(key):
    pair = torch_defaults.dense(400)
    layer = nn.Dense(300, **pair.kwargs())
    params = layer.init(key, jnp.ones((1, 400)))["params"]
    bound = 1 / math.sqrt(400)
    assert pair.kernel_init.distribution((400, 300)).high == pytest.approx(bound, rel=1e-15)
    assert pair.bias_init.distribution((300,)).high == bound
    assert ks_pvalue(params["kernel"], jaxinit.uniform(-bound, bound).distribution((1,))) > 1e-4
    assert float(jnp.abs(params["bias"]).max()) <= bound


@pytest.mark.parametrize("in_features,kernel_size,groups", [(16, (3, 3), 1), (16, (3, 3), 4), (8, 5, 1), (6, (3, 3, 3), 2)])
def test_conv_defaults_formula(in_features, kernel_size, groups, key):
    pair = torch_defaults.conv(in_features, kernel_size, groups=groups)
    ks = (kernel_size,) if isinstance(kernel_size, int) else kernel_size
    fan_in = in_features // groups * math.prod(ks)
    kernel_shape = (*ks, in_features // groups, 32)
    assert pair.kernel_init.distribution(kernel_shape).high == pytest.approx(1 / math.sqrt(fan_in), rel=1e-15)
    assert pair.bias_init.distribution((32,)).high == 1 / math.sqrt(fan_in)
    conv = nn.Conv(32, ks, feature_group_count=groups, **pair.kwargs())
    params = conv.init(key, jnp.ones((1, *(9 for _ in ks), in_features)))["params"]
    assert params["kernel"].shape == kernel_shape


def test_conv_transpose_and_others():
    pair = torch_defaults.conv_transpose(8, (3, 3))
    assert pair.kernel_init.distribution((3, 3, 4, 8)).high == pytest.approx(1 / math.sqrt(72), rel=1e-15)
    assert pair.bias_init.distribution((8,)).high == 1 / math.sqrt(72)
    grouped = torch_defaults.conv_transpose(8, 3, groups=2)
    assert grouped.kernel_init.distribution((3, 4, 4)).high == 1 / math.sqrt(12)
    assert torch_defaults.embed().distribution((10, 4)).params == {"mean": 0.0, "std": 1.0}
    assert torch_defaults.norm() == (jaxinit.ones(), jaxinit.zeros())
    rec = torch_defaults.recurrent(64)
    assert rec.kernel_init.distribution((64, 256)).high == 0.125
    assert rec.recurrent_kernel_init.distribution((64, 256)).high == 0.125
    assert rec.bias_init.distribution((256,)) == jaxinit.triangular(-0.25, 0.25).distribution((1,))
    assert torch_defaults.recurrent(64, bias="single").bias_init == jaxinit.uniform(-0.125, 0.125)
    with pytest.raises(ValueError, match="`groups` must divide `in_features`, got 3 and 16"):
        torch_defaults.conv(16, 3, groups=3)
    with pytest.warns(DeprecationWarning, match="`feature_group_count` is deprecated"):
        assert torch_defaults.conv(16, 3, feature_group_count=4) == torch_defaults.conv(16, 3, groups=4)
    with pytest.raises(ValueError, match="`in_features` must be >= 1, got 0"):
        torch_defaults.dense(0)


def test_recurrent_defaults_in_a_flax_lstm(key):
    cell = nn.LSTMCell(32, **torch_defaults.recurrent(32).kwargs())
    carry = cell.initialize_carry(key, (1, 16))
    params = cell.init(key, carry, jnp.ones((1, 16)))["params"]
    for path, x in jax.tree_util.tree_flatten_with_path(params)[0]:
        bound = (2 if jax.tree_util.keystr(path).endswith("['bias']") else 1) / math.sqrt(32)  # b_ih + b_hh
        assert float(jnp.abs(x).max()) <= bound


def test_torch_defaults_match_torch_layers():
    torch = pytest.importorskip("torch")
    from scipy import stats
    torch.manual_seed(0)
    for module, pair, weight_to_flax in [
        (torch.nn.Linear(300, 200), torch_defaults.dense(300), lambda w: w.T),
        (torch.nn.Conv2d(16, 64, 3, groups=4), torch_defaults.conv(16, (3, 3), groups=4),
         lambda w: np.transpose(w, (2, 3, 1, 0))),
        (torch.nn.ConvTranspose2d(32, 24, 3), torch_defaults.conv_transpose(24, (3, 3)),
         lambda w: np.transpose(w, (2, 3, 0, 1))),
    ]:
        w = weight_to_flax(module.weight.detach().numpy())
        law = pair.kernel_init.distribution(w.shape)
        assert stats.kstest(w.ravel(), law.scipy().cdf).pvalue > 1e-4
        b = module.bias.detach().numpy()
        assert np.abs(b).max() <= pair.bias_init.distribution(b.shape).high
    lstm = torch.nn.LSTM(10, 50)
    bound = torch_defaults.recurrent(50).kernel_init.distribution((1,)).high
    assert bound == pytest.approx(1 / math.sqrt(50))
    assert max(p.abs().max().item() for p in lstm.parameters()) <= bound
    emb = torch.nn.Embedding(1000, 64).weight.detach().numpy()
    assert stats.kstest(emb.ravel(), torch_defaults.embed().distribution((1,)).scipy().cdf).pvalue > 1e-4


# -- reinit ------------------------------------------------------------------------------

class MLP(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.relu(nn.Dense(64)(x))
        return nn.Dense(10)(x)


def test_reinit_flax_params(key):
    params = MLP().init(key, jnp.ones((1, 32)))
    new = jaxinit.reinit(params, jax.random.key(1), {"*kernel": jaxinit.xavier_uniform(),
                                                     "*bias": jaxinit.constant(0.5)})
    assert (new["params"]["Dense_1"]["bias"] == 0.5).all()
    k = new["params"]["Dense_0"]["kernel"]
    path = "params/Dense_0/kernel"
    np.testing.assert_array_equal(np.asarray(k), np.asarray(
        jaxinit.xavier_uniform()(jaxinit.path_key(jax.random.key(1), path), (32, 64))))
    # leaves no rule matches are untouched; the first matching rule wins
    partial = jaxinit.reinit(params, key, [(re.compile("Dense_1/"), jaxinit.zeros()), ("*", jaxinit.ones())])
    assert not partial["params"]["Dense_1"]["kernel"].any()
    assert (partial["params"]["Dense_0"]["kernel"] == 1).all()


def test_reinit_keys_are_per_path_and_stable(key):
    small = {"a": jnp.zeros((8, 8)), "b": jnp.zeros((8, 8))}
    big = {**small, "c": jnp.zeros((8, 8)), "aa": jnp.zeros((8, 8))}
    rules = {"*": jaxinit.normal()}
    s, b = jaxinit.reinit(small, key, rules), jaxinit.reinit(big, key, rules)
    np.testing.assert_array_equal(np.asarray(s["a"]), np.asarray(b["a"]))
    np.testing.assert_array_equal(np.asarray(s["b"]), np.asarray(b["b"]))
    values = [np.asarray(v) for v in b.values()]
    assert all(not np.array_equal(x, y) for i, x in enumerate(values) for y in values[i + 1:])


def test_reinit_predicates_and_non_array_leaves(key):
    tree = {"w": jnp.zeros((3, 3)), "name": "layer", "n": 3, "f": jnp.tanh}
    new = jaxinit.reinit(tree, key, {lambda path, leaf: leaf.ndim == 2: jaxinit.eye()})
    assert (new["w"] == jnp.eye(3)).all() and new["name"] == "layer" and new["f"] is jnp.tanh


def test_reinit_unmatched_rule(key):
    tree = {"dense": {"kernel": jnp.zeros((2, 2))}}
    with pytest.raises(ValueError, match=r"reinit rules matched no array leaf: \['\*kernal'\]; the paths are: dense/kernel"):
        jaxinit.reinit(tree, key, {"*kernal": jaxinit.zeros()})
    out = jaxinit.reinit(tree, key, {"*kernal": jaxinit.zeros()}, strict=False)
    assert out["dense"]["kernel"] is tree["dense"]["kernel"]
    with pytest.raises(TypeError, match="a rule's pattern must be a glob string"):
        jaxinit.reinit(tree, key, {3: jaxinit.zeros()})


def test_reinit_nnx_state(key):
    from flax import nnx
    model = nnx.Linear(4, 5, rngs=nnx.Rngs(0))
    graphdef, state = nnx.split(model)
    state = jaxinit.reinit(state, key, {"*kernel*": jaxinit.orthogonal(), "*bias*": jaxinit.ones()})
    model = nnx.merge(graphdef, state)
    assert (model.bias[...] == 1).all()
    w = np.asarray(model.kernel[...])
    np.testing.assert_allclose(w @ w.T, np.eye(4), atol=1e-5)


@pytest.mark.slow
def test_reinit_equinox_module(key):
    eqx = pytest.importorskip("equinox")
    mlp = eqx.nn.MLP(16, 4, width_size=32, depth=2, key=key)
    new = jaxinit.reinit(mlp, jax.random.key(2), {"*weight": jaxinit.kaiming_uniform(nonlinearity="relu", layout="torch"),
                                                  "*bias": jaxinit.zeros()})
    w = new.layers[0].weight  # (out, in) = (32, 16): torch layout
    bound = jaxinit.kaiming_uniform(nonlinearity="relu", layout="torch").distribution(w.shape).high
    assert bound == math.sqrt(3) * math.sqrt(2) / math.sqrt(16)
    assert float(jnp.abs(w).max()) <= bound and not new.layers[1].bias.any()
    assert new(jnp.ones(16)).shape == (4,)
    conv = eqx.nn.Conv2d(3, 8, 3, key=key)
    conv = jaxinit.reinit(conv, key, {"*weight": jaxinit.dirac(layout="torch")}, strict=True)
    assert float(conv.weight.sum()) == 3


# -- registry ----------------------------------------------------------------------------

@pytest.mark.parametrize("init", [
    jaxinit.kaiming_uniform(nonlinearity="relu"), jaxinit.xavier_normal(2.0, layout="torch", dtype=jnp.bfloat16),
    jaxinit.variance_scaling(2.0, "fan_avg", "uniform", in_axis=0, out_axis=(1, 2)), jaxinit.sparse(0.1),
    jaxinit.constant(3.0), jaxinit.zeros(), jaxinit.dirac(2, batch_axis=0), jaxinit.trunc_normal(a=-1.0),
])
def test_config_round_trip(init):
    config = init.to_config()
    assert isinstance(config, dict) and all(isinstance(k, str) for k in config)
    assert jaxinit.get(config) == init
    assert jaxinit.get(config["name"], **{k: v for k, v in config.items() if k != "name"}) == init


def test_names_and_aliases():
    # names only JAX/Keras use mean jax's laws; torch's names keep torch's
    assert jaxinit.get("glorot_uniform") == jaxinit.jax_nn.glorot_uniform()
    assert jaxinit.get("he_normal", batch_axis=0) == jaxinit.jax_nn.he_normal(batch_axis=0)
    assert jaxinit.get("truncated_normal", stddev=0.02) == jaxinit.jax_nn.truncated_normal(0.02)
    assert jaxinit.get("kaiming_uniform_", a=1.0) == jaxinit.kaiming_uniform(a=1.0)
    assert jaxinit.glorot_normal is jaxinit.jax_nn.glorot_normal and jaxinit.he_uniform is jaxinit.jax_nn.he_uniform
    init = jaxinit.orthogonal()
    assert jaxinit.get(init) is init
    with pytest.raises(ValueError, match=r"unknown initializer 'xavier'; valid names: .*kaiming_normal.*he_uniform"):
        jaxinit.get("xavier")
    with pytest.raises(ValueError, match="needs a 'name' key"):
        jaxinit.get({"gain": 1.0})
    with pytest.raises(TypeError, match="must be a name, a config dict or an Initializer, got 3"):
        jaxinit.get(3)


# -- Haiku --------------------------------------------------------------------------------

def test_haiku_adapter(key):
    hk = pytest.importorskip("haiku")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)

        def forward(x):
            return hk.Linear(128, w_init=jaxinit.to_haiku(jaxinit.lecun_normal()),
                             b_init=jaxinit.to_haiku(jaxinit.constant(0.1)))(x)

        params = hk.transform(forward).init(key, jnp.ones((1, 256)))
    w = params["linear"]["w"]
    assert w.shape == (256, 128)
    assert ks_pvalue(w, jaxinit.lecun_normal().distribution(w.shape)) > 1e-4
    assert (params["linear"]["b"] == jnp.float32(0.1)).all()
