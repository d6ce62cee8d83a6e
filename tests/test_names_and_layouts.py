"""A name means what it means where it comes from, and the shim follows the array it fills.

* top-level names: torch's keep torch's laws, flint's lecun_* keep flint's, glorot_* / he_*
  are jax's; ``constant`` takes arrays, ``eye`` takes a gain;
* dirac and delta_orthogonal against real convolutions (Flax's SAME padding, torch's conv);
* ``jaxinit.inplace`` defaults to torch's layout for arrays and Flax's for ``nnx.Variable``,
  checked against ``torch.nn.init`` itself where torch is installed.
"""

import math
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from scipy import stats

import jaxinit
from jaxinit import inplace as init, jax_nn

# -- top-level names ------------------------------------------------------------------------


def test_jax_only_names_are_jaxs(key):
    for name in ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal"):
        assert getattr(jaxinit, name) is getattr(jax_nn, name)
    # the example: jax truncates he_normal at 2 sigma, 0.142 on a 512 x 512 kernel
    w = jaxinit.he_normal()(key, (512, 512))
    high = math.sqrt(2 / 512) / 0.87962566103423978 * 2
    assert jaxinit.he_normal().distribution((512, 512)).high == pytest.approx(high, rel=1e-12)
    assert 0.99 * high < float(abs(w).max()) <= high
    assert jaxinit.glorot_normal().distribution((3, 5)).family == "truncated_normal"


def test_torch_and_flint_names_keep_their_laws():
    assert jaxinit.xavier_normal().distribution((3, 5)).family == "normal"
    assert jaxinit.kaiming_normal().distribution((3, 5)).family == "normal"
    assert jaxinit.lecun_normal().distribution((4, 9)) == jaxinit.Distribution.of("normal", mean=0.0, std=0.5)
    assert jaxinit.get("lecun_normal") == jaxinit.lecun_normal()
    assert jaxinit.get("trunc_normal") == jaxinit.trunc_normal()


def test_top_level_variance_scaling_takes_what_jax_takes():
    vs = jaxinit.variance_scaling
    assert vs(1.0, "fan_in", "normal", in_axis=[0], out_axis=[]).distribution((4,)).std == 0.5
    assert vs(1.0, "fan_in", "normal", out_axis=0).distribution((1000, 16)).std == 0.25
    # an axis named twice counts twice, as in jax: in 4, out 6, receptive 12 / 24
    assert vs(1.0, "fan_avg", "uniform", in_axis=(0, 0), out_axis=1).distribution((2, 6)).high == math.sqrt(
        3 / ((2 + 3) / 2)
    )
    with pytest.raises(ValueError, match=r"need explicit axes"):
        vs()(jax.random.key(0), (5,))


# -- constant with arrays, eye with a gain ------------------------------------------------------


def test_constant_broadcasts_arrays_and_lists(key):
    np.testing.assert_array_equal(jaxinit.constant([1.0, 2.0, 3.0])(key, (2, 3)), [[1, 2, 3]] * 2)
    np.testing.assert_array_equal(
        jaxinit.constant(np.array([[1], [2]]))(key, (2, 3), jnp.int8), [[1] * 3, [2] * 3]
    )
    np.testing.assert_array_equal(jaxinit.constant(jnp.arange(3.0))(key, (3,), jnp.bfloat16), [0, 1, 2])
    assert jaxinit.constant([1, 2]) == jaxinit.constant(np.array([1.0, 2.0]))
    assert hash(jaxinit.constant([1, 2])) == hash(jaxinit.constant((1, 2)))
    c = jaxinit.constant([[0.5, 0.25]], dtype=jnp.float16)
    assert jaxinit.get(c.to_config()) == c and pickle.loads(pickle.dumps(c)) == c
    assert c.distribution((3, 2)) == jaxinit.Distribution.of("constant", value=((0.5, 0.25),))


def test_constant_array_errors(key):
    with pytest.raises(ValueError, match=r"`val` of shape \(2,\) does not broadcast to shape \(2, 3\)"):
        jaxinit.constant([1.0, 2.0])(key, (2, 3))
    with pytest.raises(
        ValueError,
        match=r"`val` entry \(0,\) \(0.5\) of \(0.5, 1.0\) cannot be represented "
        r"exactly in int32 \(it would become 0\)",
    ):
        jaxinit.constant([0.5, 1.0])(key, (2,), jnp.int32)
    with pytest.raises(ValueError, match=r"`val` must be finite"):
        jaxinit.constant([1.0, np.nan])
    with pytest.raises(TypeError, match=r"`val` must be a real number or an array of real numbers"):
        jaxinit.constant([1j, 2])
    with pytest.raises(TypeError, match=r"`val` must be a real number or an array of real numbers"):
        jaxinit.constant([[1.0], [2.0, 3.0]])


def test_eye_gain(key):
    np.testing.assert_array_equal(jaxinit.eye(gain=2.0)(key, (2, 3), jnp.int32), [[2, 0, 0], [0, 2, 0]])
    np.testing.assert_array_equal(jaxinit.eye(gain=-0.5)(key, (2, 2)), [[-0.5, 0], [0, -0.5]])
    assert jaxinit.eye(gain=3.0).distribution((2, 2)) == jaxinit.Distribution.of("eye", gain=3.0)
    assert jaxinit.eye() == jaxinit.eye(gain=1.0) and repr(jaxinit.eye()) == "eye(gain=1.0)"
    with pytest.raises(ValueError, match=r"`gain` 0.5 cannot be represented exactly in int32"):
        jaxinit.eye(gain=0.5)(key, (2, 2), jnp.int32)
    with pytest.raises(TypeError):
        jaxinit.eye(2.0)  # keyword-only, as Keras' and Haiku's are called


# -- dirac and delta_orthogonal against real convolutions ---------------------------------------

KERNELS = [(4,), (2, 3), (2, 3, 4)]  # even and odd sizes, 1-3 spatial dims


@pytest.mark.slow  # a parity check against Flax's convolutions / jax's own fan code
@pytest.mark.parametrize("kernel,groups", [((4,), 1), ((2, 3), 2), ((2, 3, 4), 1)], ids=str)
def test_dirac_is_the_identity_of_a_flax_same_conv(kernel, groups, key):
    import flax.linen as nn

    conv = nn.Conv(
        4,
        kernel,
        padding="SAME",
        use_bias=False,
        feature_group_count=groups,
        kernel_init=jaxinit.dirac(groups),
    )
    x = jax.random.normal(key, (2, *(5 for _ in kernel), 4))
    np.testing.assert_allclose(conv.apply(conv.init(key, x), x), x, atol=1e-6)


@pytest.mark.slow  # a parity check against Flax's convolutions / jax's own fan code
@pytest.mark.parametrize("kernel", KERNELS, ids=str)
def test_delta_orthogonal_conv_applies_its_matrix_everywhere(kernel, key):
    """With Flax's SAME padding the output at every position is the input there times the
    centre matrix: jax's placement, for even kernels too, and jax's own initializer agrees."""
    import flax.linen as nn

    x = jax.random.normal(key, (2, *(5 for _ in kernel), 3))
    inits = [jaxinit.delta_orthogonal(1.5), jax_nn.delta_orthogonal(1.5)]
    if len(kernel) == 2:
        inits.append(jax.nn.initializers.delta_orthogonal(1.5))  # the test is jax's convention
    for kernel_init in inits:
        conv = nn.Conv(6, kernel, padding="SAME", use_bias=False, kernel_init=kernel_init)
        params = conv.init(key, x)
        w = params["params"]["kernel"]
        centre = w[tuple((k - 1) // 2 for k in kernel)]
        np.testing.assert_allclose(centre @ centre.T, 2.25 * np.eye(3), atol=1e-5)
        np.testing.assert_allclose(conv.apply(params, x), x @ centre, atol=1e-5)


TORCH_SHAPES = [((4, 4, 3), 1), ((4, 4, 4), 1), ((6, 3, 2, 4), 2), ((4, 2, 3, 3, 2), 2)]


@pytest.mark.parametrize("shape,groups", TORCH_SHAPES, ids=str)
def test_dirac_in_torch_layout_is_torchs(shape, groups, key):
    torch = pytest.importorskip("torch")
    reference = torch.empty(shape)
    torch.nn.init.dirac_(reference, groups)
    np.testing.assert_array_equal(jaxinit.dirac(groups, layout="torch")(key, shape), reference.numpy())
    # the shim, on a torch-shaped NumPy array, needs no layout argument
    np.testing.assert_array_equal(init.dirac_(np.empty(shape, np.float32), groups), reference.numpy())
    # a torch conv with padding k // 2 passes its input through (the first outputs, for even k)
    conv = {3: torch.nn.functional.conv1d, 4: torch.nn.functional.conv2d, 5: torch.nn.functional.conv3d}
    x = torch.randn(2, shape[1] * groups, *(6 for _ in shape[2:]))
    y = conv[len(shape)](x, reference, padding=[k // 2 for k in shape[2:]], groups=groups)
    y = y[(slice(None), slice(None), *(slice(0, 6) for _ in shape[2:]))]
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-6)


# -- the shim follows the array ---------------------------------------------------------------


def test_shim_defaults_to_torchs_layout_for_arrays_and_flaxs_for_variables(key):
    """The issue's example: torch's nn.Linear(1024, 512) weight law, U(+-1/sqrt(1024))."""
    w = np.empty((512, 1024), np.float32)
    init.kaiming_uniform_(w, a=math.sqrt(5), generator=key)
    assert 0.0312 < np.abs(w).max() <= 1 / 32
    x = init.kaiming_uniform_(jnp.empty((512, 1024)), a=math.sqrt(5), generator=key)
    np.testing.assert_array_equal(np.asarray(x), w)
    # an nnx.Variable holds a Flax kernel (in, out): fan_in is 512
    v = nnx.Param(jnp.zeros((512, 1024)))
    init.kaiming_uniform_(v, a=math.sqrt(5), generator=key)
    assert 1 / 32 < float(abs(v[...]).max()) <= 1 / math.sqrt(512)
    # an explicit layout or explicit axes win
    init.kaiming_uniform_(w, a=math.sqrt(5), generator=key, layout="flax")
    assert 1 / 32 < np.abs(w).max() <= 1 / math.sqrt(512)
    init.kaiming_uniform_(w, a=math.sqrt(5), generator=key, in_axis=0, out_axis=1)
    assert 1 / 32 < np.abs(w).max() <= 1 / math.sqrt(512)
    init.kaiming_uniform_(v, a=math.sqrt(5), generator=key, layout="torch")
    assert float(abs(v[...]).max()) <= 1 / 32


def test_the_rule_is_documented():
    assert "The layout follows the array" in init.__doc__
    for name in ("kaiming_uniform_", "xavier_normal_", "orthogonal_", "dirac_"):
        assert "The layout follows the array" in getattr(init, name).__doc__
    # help() shows the formula, not only a pointer to the factory
    assert (
        r"\text{bound} = \text{gain} \times \sqrt{\frac{3}{\text{fan\_mode}}}"
        in init.kaiming_uniform_.__doc__
    )


SHIM_CASES = [
    ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("xavier_uniform_", {"gain": 2.0}),
    ("xavier_normal_", {}),
]


@pytest.mark.parametrize("name,kwargs", SHIM_CASES, ids=[c[0] for c in SHIM_CASES])
@pytest.mark.parametrize("shape", [(512, 256), (128, 64, 3, 3), (256, 96, 5)], ids=str)
def test_shim_matches_torch_on_torch_shaped_arrays(name, kwargs, shape, key):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn.init, name)(torch.empty(shape), **kwargs).numpy().ravel()
    ours = getattr(init, name)(np.empty(shape, np.float32), generator=key, **kwargs).ravel()
    assert stats.ks_2samp(ours, theirs).pvalue > 1e-4
    assert stats.ks_2samp(ours * 1.05, theirs).pvalue < 1e-4
    # the same weight as a Flax kernel in an nnx.Variable: (*spatial, in, out)
    flax_shape = shape[2:] + (shape[1], shape[0])
    variable = nnx.Param(jnp.zeros(flax_shape))
    getattr(init, name)(variable, generator=jax.random.key(5), **kwargs)
    assert stats.ks_2samp(np.asarray(variable[...]).ravel(), theirs).pvalue > 1e-4


def test_structured_shims_match_torch_on_torch_shaped_arrays(key):
    torch = pytest.importorskip("torch")
    shape = (6, 4, 3)  # rows: 6 outputs; columns: 4 inputs x 3 taps, as torch flattens it
    w = init.orthogonal_(np.empty(shape, np.float32), generator=key).reshape(6, 12)
    t = torch.nn.init.orthogonal_(torch.empty(shape)).reshape(6, 12).numpy()
    for m in (w, t):
        np.testing.assert_allclose(m @ m.T, np.eye(6), atol=1e-5)
    shape = (10, 7)
    w = init.sparse_(np.empty(shape, np.float32), 0.3, generator=key)
    t = torch.nn.init.sparse_(torch.empty(shape), 0.3).numpy()
    np.testing.assert_array_equal((w == 0).sum(axis=0), (t == 0).sum(axis=0))  # 3 per column
