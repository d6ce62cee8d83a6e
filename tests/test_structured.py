"""eye, dirac, orthogonal, delta_orthogonal and sparse: exact structure and exact laws."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import jaxinit


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 3)])
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.int32, jnp.bool_, jnp.bfloat16])
def test_eye(shape, dtype, key):
    x = jaxinit.eye()(key, shape, dtype)
    assert x.dtype == dtype
    np.testing.assert_array_equal(np.asarray(x, np.float64), np.eye(*shape))


def _torch_dirac(shape, groups):
    """Reference in torch layout (out, in, *spatial), written from the document's definition."""
    w = np.zeros(shape)
    out_per_group = shape[0] // groups
    centre = tuple(s // 2 for s in shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            w[(g * out_per_group + d, d) + centre] = 1
    return w


@pytest.mark.parametrize(
    "torch_shape,groups",
    [
        ((4, 4, 3), 1),
        ((6, 3, 3, 3), 1),
        ((8, 4, 3, 5), 2),
        ((6, 2, 3, 3, 3), 3),
        ((3, 16, 5, 5), 1),
        ((3, 24, 5, 5), 3),
    ],
)
def test_dirac_matches_definition_in_both_layouts(torch_shape, groups, key):
    ref = _torch_dirac(torch_shape, groups)
    torch_w = jaxinit.dirac(groups, layout="torch")(key, torch_shape)
    np.testing.assert_array_equal(np.asarray(torch_w), ref)
    flax_shape = torch_shape[2:] + (torch_shape[1], torch_shape[0])
    flax_w = jaxinit.dirac(groups)(key, flax_shape, jnp.int8)
    assert flax_w.dtype == jnp.int8
    np.testing.assert_array_equal(np.asarray(flax_w), np.moveaxis(ref, (0, 1), (-1, -2)))


@pytest.mark.slow
@pytest.mark.parametrize("spatial", [(5,), (3, 3), (3, 3, 3)])
@pytest.mark.parametrize("groups", [1, 2])
def test_dirac_conv_is_identity_in_flax(spatial, groups, key):
    import flax.linen as nn

    channels = 4
    conv = nn.Conv(
        channels,
        spatial,
        padding="SAME",
        use_bias=False,
        feature_group_count=groups,
        kernel_init=jaxinit.dirac(groups),
    )
    x = jax.random.normal(key, (2, *(7 for _ in spatial), channels))
    params = conv.init(key, x)
    np.testing.assert_allclose(np.asarray(conv.apply(params, x)), np.asarray(x), atol=1e-6)


def test_dirac_errors(key):
    with pytest.raises(ValueError, match=r"`groups` must divide the number of output channels, got groups=3"):
        jaxinit.dirac(3)(key, (3, 3, 4, 4))
    with pytest.raises(ValueError, match="dirac needs a 3-, 4- or 5-dimensional"):
        jaxinit.dirac()(key, (4, 4))
    with pytest.raises(ValueError, match="dirac needs a 3-, 4- or 5-dimensional"):
        jaxinit.dirac()(key, (2, 2, 2, 2, 2, 2))
    with pytest.raises(ValueError, match=r"`groups` must be >= 1, got 0"):
        jaxinit.dirac(0)


@pytest.mark.parametrize(
    "shape,kwargs",
    [
        ((6, 6), {}),
        ((3, 7), {}),
        ((7, 3), {}),
        ((3, 3, 8, 4), {}),
        ((4, 8, 3, 3), {"layout": "torch"}),
        ((2, 5, 3), {"batch_axis": 0}),
    ],
)
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.float16])
def test_orthogonal_is_orthonormal(shape, kwargs, dtype, key):
    init = jaxinit.orthogonal(gain=2.0, **kwargs)
    w = init(key, shape, dtype)
    assert w.dtype == dtype and w.shape == shape
    axes = jaxinit._src.fans.FanAxes.make(**kwargs)
    perm, (nb, no, ni) = axes.matrix_layout(len(shape))
    ordered = np.transpose(np.asarray(w, np.float64), perm)
    b = math.prod(ordered.shape[:nb])
    m = ordered.reshape(b, math.prod(ordered.shape[nb : nb + no]), -1)
    small = min(m.shape[1:])
    gram = m @ m.transpose(0, 2, 1) if m.shape[1] <= m.shape[2] else m.transpose(0, 2, 1) @ m
    tol = 1e-5 if dtype == jnp.float32 else 5e-2
    np.testing.assert_allclose(gram, np.broadcast_to(4.0 * np.eye(small), gram.shape), atol=tol * 4)
    assert init.distribution(shape).gain == 2.0


@pytest.mark.parametrize("n,rows_first", [(5, True), (5, False)])
def test_orthogonal_is_haar(n, rows_first, key):
    """For a Haar n x n orthogonal Q, (Q[0,0] + 1) / 2 ~ Beta((n-1)/2, (n-1)/2); an unsigned QR fails."""
    keys = jax.random.split(key, 20000)
    shape = (n, n) if rows_first else (n, n + 3)
    q = jax.vmap(lambda k: jaxinit.orthogonal()(k, shape))(keys)
    law = stats.beta((n - 1) / 2, (n - 1) / 2) if rows_first else None
    if law is not None:
        assert stats.kstest((np.asarray(q[:, 0, 0], np.float64) + 1) / 2, law.cdf).pvalue > 1e-4
    # every entry has mean 0: the sign correction removes QR's bias towards positive diagonals
    diag = np.asarray(q[:, 0, 0], np.float64)
    assert abs(diag.mean()) < 4 * diag.std() / math.sqrt(diag.size)


def test_orthogonal_float64(key):
    with jax.enable_x64(True):
        w = jaxinit.orthogonal()(key, (64, 32), jnp.float64)
        assert w.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(w.T @ w), np.eye(32), atol=1e-12)


@pytest.mark.parametrize(
    "shape,kwargs",
    [((3, 3, 4, 4), {}), ((5, 2, 6), {}), ((3, 3, 3, 3, 8), {}), ((6, 4, 3, 3), {"layout": "torch"})],
)
def test_delta_orthogonal(shape, kwargs, key):
    w = np.asarray(jaxinit.delta_orthogonal(gain=1.5, **kwargs)(key, shape), np.float64)
    if kwargs.get("layout") == "torch":
        w = np.moveaxis(w, (0, 1), (-1, -2))
    centre = tuple(s // 2 for s in w.shape[:-2])
    m = w[centre]
    np.testing.assert_allclose(m @ m.T, 2.25 * np.eye(m.shape[0]), atol=1e-5)
    w[centre] = 0
    assert not w.any()


def test_delta_orthogonal_errors(key):
    with pytest.raises(ValueError, match="input channels <= output channels, got 8 > 4"):
        jaxinit.delta_orthogonal()(key, (3, 3, 8, 4))
    with pytest.raises(ValueError, match="3-, 4- or 5-dimensional"):
        jaxinit.delta_orthogonal()(key, (4, 4))


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_sparse_zero_counts_and_law(sparsity, key):
    n_in, n_out = 300, 40
    init = jaxinit.sparse(sparsity, std=0.3)
    w = np.asarray(init(key, (n_in, n_out)))
    k = math.ceil(sparsity * n_out)
    assert init.distribution((n_in, n_out)).zeros_per_input == k
    np.testing.assert_array_equal((w == 0).sum(axis=1), np.full(n_in, k))
    if k < n_out:
        assert stats.kstest(w[w != 0], stats.norm(0, 0.3).cdf).pvalue > 1e-4
    # torch layout: the same count in every column of (out, in)
    wt = np.asarray(jaxinit.sparse(sparsity, std=0.3, layout="torch")(key, (n_out, n_in)))
    np.testing.assert_array_equal((wt == 0).sum(axis=0), np.full(n_in, k))


def test_sparse_zero_positions_are_uniform(key):
    w = jax.vmap(lambda k: jaxinit.sparse(0.25)(k, (4, 8)))(jax.random.split(key, 4000))
    freq = np.asarray((w == 0).mean(axis=0))
    np.testing.assert_allclose(freq, 0.25, atol=0.03)


def test_sparse_errors(key):
    with pytest.raises(ValueError, match=r"`sparsity` must be in \[0, 1\], got 1.5"):
        jaxinit.sparse(1.5)
    with pytest.raises(ValueError, match=r"`std` must be >= 0, got -1.0"):
        jaxinit.sparse(0.1, std=-1.0)
    with pytest.raises(ValueError, match="sparse needs a 2-dimensional shape"):
        jaxinit.sparse(0.1)(key, (3, 3, 3))
