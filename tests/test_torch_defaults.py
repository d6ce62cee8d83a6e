"""jaxinit.torch_defaults: torch's default laws as Flax kernel_init / bias_init pairs."""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxinit
from conftest import ks_pvalue
from jaxinit import torch_defaults

pytestmark = pytest.mark.slow  # a framework-parity suite: in the full run, not the edit-test loop


def test_dense_defaults_formula(key):
    pair = torch_defaults.dense(400)
    layer = nn.Dense(300, **pair.kwargs())
    params = layer.init(key, jnp.ones((1, 400)))["params"]
    bound = 1 / math.sqrt(400)
    assert pair.kernel_init.distribution((400, 300)).high == pytest.approx(bound, rel=1e-15)
    assert pair.bias_init.distribution((300,)).high == bound
    assert ks_pvalue(params["kernel"], jaxinit.uniform(-bound, bound).distribution((1,))) > 1e-4
    assert float(jnp.abs(params["bias"]).max()) <= bound


@pytest.mark.parametrize(
    "in_features,kernel_size,groups", [(16, (3, 3), 1), (16, (3, 3), 4), (8, 5, 1), (6, (3, 3, 3), 2)]
)
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
        (
            torch.nn.Conv2d(16, 64, 3, groups=4),
            torch_defaults.conv(16, (3, 3), groups=4),
            lambda w: np.transpose(w, (2, 3, 1, 0)),
        ),
        (
            torch.nn.ConvTranspose2d(32, 24, 3),
            torch_defaults.conv_transpose(24, (3, 3)),
            lambda w: np.transpose(w, (2, 3, 0, 1)),
        ),
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
