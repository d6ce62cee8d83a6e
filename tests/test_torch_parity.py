"""Where PyTorch is installed: our laws for torch-shaped arrays equal what torch.nn.init computes."""

import math

import numpy as np
import pytest

import jaxinit

pytestmark = pytest.mark.slow  # a framework-parity suite: in the full run, not the edit-test loop

torch = pytest.importorskip("torch")
init = torch.nn.init

TORCH_SHAPES = [(30, 20), (16, 8, 3, 3), (6, 4, 5), (12, 6, 3, 3, 3)]


@pytest.mark.parametrize("shape", TORCH_SHAPES)
def test_fans_match_torch(shape):
    expected = init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert jaxinit.calculate_fan_in_and_fan_out(shape, layout="torch") == expected
    flax_shape = shape[2:] + (shape[1], shape[0])
    assert jaxinit.calculate_fan_in_and_fan_out(flax_shape) == expected


@pytest.mark.parametrize("name", ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"])
def test_gains_match_torch(name):
    assert jaxinit.calculate_gain(name) == init.calculate_gain(name)
    assert jaxinit.calculate_gain("leaky_relu", 0.3) == init.calculate_gain("leaky_relu", 0.3)


@pytest.mark.parametrize("shape", TORCH_SHAPES)
@pytest.mark.parametrize(
    "a,mode,nonlinearity",
    [
        (0.0, "fan_in", "leaky_relu"),
        (math.sqrt(5), "fan_in", "leaky_relu"),
        (0.0, "fan_out", "relu"),
        (0.2, "fan_in", "tanh"),
    ],
)
def test_kaiming_bounds_match_torch(shape, a, mode, nonlinearity):
    t = torch.empty(shape, dtype=torch.float64)
    fan = init._calculate_correct_fan(t, mode)
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    u = jaxinit.kaiming_uniform(a, mode, nonlinearity, layout="torch").distribution(shape)
    assert u.high == pytest.approx(math.sqrt(3.0) * std, rel=1e-15)
    n = jaxinit.kaiming_normal(a, mode, nonlinearity, layout="torch").distribution(shape)
    assert n.std == pytest.approx(std, rel=1e-15)
    # and torch's own draw is consistent with our law
    init.kaiming_uniform_(t, a, mode, nonlinearity)
    assert t.abs().max().item() <= u.high


@pytest.mark.parametrize("shape", TORCH_SHAPES)
def test_xavier_and_torch_draws_follow_our_law(shape):
    from scipy import stats

    torch.manual_seed(0)
    big = (shape[0] * 50,) + shape[1:]
    for ours, theirs in [
        (jaxinit.xavier_uniform(gain=1.3, layout="torch"), lambda t: init.xavier_uniform_(t, 1.3)),
        (jaxinit.xavier_normal(gain=0.7, layout="torch"), lambda t: init.xavier_normal_(t, 0.7)),
    ]:
        t = torch.empty(big, dtype=torch.float64)
        theirs(t)
        law = ours.distribution(big)
        assert stats.kstest(t.numpy().ravel(), law.scipy().cdf).pvalue > 1e-4


def test_trunc_normal_and_sparse_follow_our_law():
    from scipy import stats

    torch.manual_seed(1)
    t = torch.empty(200, 500, dtype=torch.float64)
    init.trunc_normal_(t, 0.5, 2.0, -1.0, 3.0)
    law = jaxinit.trunc_normal(0.5, 2.0, -1.0, 3.0).distribution((200, 500))
    assert stats.kstest(t.numpy().ravel(), law.scipy().cdf).pvalue > 1e-4
    s = torch.empty(40, 300)
    init.sparse_(s, 0.3, 0.1)
    d = jaxinit.sparse(0.3, 0.1, layout="torch").distribution((40, 300))
    assert ((s == 0).sum(0) == d.zeros_per_input).all()


def test_dirac_and_eye_equal_torch(key):
    for shape, groups in [((6, 3, 3, 3), 2), ((4, 8, 5), 1), ((6, 2, 3, 3, 3), 3)]:
        t = torch.empty(shape)
        init.dirac_(t, groups)
        ours = jaxinit.dirac(groups, layout="torch")(key, shape)
        np.testing.assert_array_equal(np.asarray(ours), t.numpy())
    t = torch.empty(3, 5)
    init.eye_(t)
    np.testing.assert_array_equal(np.asarray(jaxinit.eye()(key, (3, 5))), t.numpy())


def test_orthogonal_flattening_matches_torch(key):
    """torch flattens (out, in, *k) to (out, in*k); so do we with layout='torch'."""
    shape = (4, 3, 2, 2)
    w = np.asarray(jaxinit.orthogonal(layout="torch")(key, shape)).reshape(4, -1)
    np.testing.assert_allclose(w @ w.T, np.eye(4), atol=1e-5)
    t = torch.empty(shape)
    init.orthogonal_(t)
    tm = t.numpy().reshape(4, -1)
    np.testing.assert_allclose(tm @ tm.T, np.eye(4), atol=1e-5)
