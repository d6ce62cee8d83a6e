"""jaxinit.jax_nn against jax.nn.initializers itself.

* names, signatures and kinds of object are jax's;
* ``distribution()`` is the law jax's code implies, with the fans from jax's own
  ``_compute_fans``, over a broad table of shapes and axis arguments;
* two-sample KS tests between jaxinit's samples and jax's, for every random name;
* the logic of jax's own initializer tests (jax/tests/nn_test.py), run against jax_nn.
"""

import functools
import inspect
import math
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax._src.nn.initializers import _compute_fans  # jax's fan arithmetic: the reference
from jax.nn import initializers as jnn
from scipy import stats

import jaxinit
from conftest import ks_pvalue_rounded
from jaxinit import jax_nn

pytestmark = pytest.mark.slow  # a framework-parity suite: in the full run, not the edit-test loop

JAX_NAMES = sorted(n for n in dir(jnn) if not n.startswith("_"))
TRUNCATED_STD = 0.87962566103423978  # the constant jax's variance_scaling divides by
KS2_SHAPE = (256, 512)  # 131072 draws on each side: a 5 % scale error gives p < 1e-12


# -- names, signatures, kinds ------------------------------------------------------------


def test_every_public_name_of_jax():
    assert sorted(jax_nn.__all__) == JAX_NAMES
    assert jax_nn.Initializer is jnn.Initializer  # the protocol: annotations keep working
    assert jax_nn.kaiming_uniform is jax_nn.he_uniform and jax_nn.kaiming_normal is jax_nn.he_normal
    assert jax_nn.xavier_uniform is jax_nn.glorot_uniform and jax_nn.xavier_normal is jax_nn.glorot_normal


def _parameters(fn):
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", [n for n in JAX_NAMES if n != "Initializer"])
def test_same_signature_and_kind_of_object(name):
    ours, theirs = getattr(jax_nn, name), getattr(jnn, name)
    assert _parameters(ours) == _parameters(theirs)
    if name in ("zeros", "ones"):  # initializers themselves in jax: so here
        assert isinstance(ours, jaxinit.Initializer) and isinstance(ours, jnn.Initializer)
    else:
        assert not isinstance(ours, jaxinit.Initializer)


# -- the laws jax's code implies ----------------------------------------------------------

# (scale, mode, distribution) of jax's named cases of variance_scaling
NAMED = {
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "he_normal": (2.0, "fan_in", "truncated_normal"),
}

# (shape, axis keywords): every kind of argument jax's _compute_fans accepts
AXIS_CASES = [
    ((3, 5), {}),
    ((3, 3, 16, 32), {}),
    ((7, 2, 5), {}),
    ((2,), {"in_axis": [0], "out_axis": []}),  # 1-D, explicit axes
    ((4,), {"in_axis": 0, "out_axis": 0}),
    ((), {"in_axis": [], "out_axis": []}),  # 0-D
    ((1000, 64), {"out_axis": 0}),  # Flax's embedding init: overlap
    ((3, 6), {"in_axis": 1, "out_axis": 1}),
    ((3, 4), {"in_axis": [0, 0], "out_axis": 1}),  # an axis named twice
    ((6, 10), {"in_axis": -1, "out_axis": -2}),
    ((3, 5, 7), {"in_axis": 0, "out_axis": 1}),
    ((2, 3, 4, 5), {"in_axis": (0, 1), "out_axis": (-2, -1)}),  # jax's multi-axis test
    ((2, 3, 4, 5), {"in_axis": 0, "out_axis": (2, 3), "batch_axis": 1}),  # jax's batch-axis test
    ((2, 3, 4, 5), {"batch_axis": [0, 1]}),
    ((4, 3, 3, 8, 16), {"in_axis": -2, "out_axis": -1, "batch_axis": 0}),
    ((512, 8, 64), {"in_axis": 0, "out_axis": (1, 2)}),
]


def jax_variance_scaling_law(scale, mode, distribution, shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """The law of jax's variance_scaling, read off jax/_src/nn/initializers.py."""
    fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
    n = {
        "fan_in": fan_in,
        "fan_out": fan_out,
        "fan_avg": (fan_in + fan_out) / 2,
        "fan_geo_avg": (fan_in * fan_out) ** 0.5,
    }[mode]
    variance = scale / n
    if distribution == "normal":
        return stats.norm(0.0, math.sqrt(variance))
    if distribution == "uniform":
        bound = math.sqrt(3 * variance)
        return stats.uniform(-bound, 2 * bound)
    std = math.sqrt(variance) / TRUNCATED_STD
    return stats.truncnorm(-2.0, 2.0, scale=std)


def assert_same_law(ours, expected):
    """A jaxinit Distribution against a frozen scipy law: same support and moments."""
    law = ours.scipy()
    assert type(law.dist) is type(expected.dist)
    np.testing.assert_allclose(law.support(), expected.support(), rtol=1e-12)
    np.testing.assert_allclose(law.mean(), expected.mean(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(law.std(), expected.std(), rtol=1e-12)
    np.testing.assert_allclose(law.ppf([0.1, 0.3, 0.9]), expected.ppf([0.1, 0.3, 0.9]), rtol=1e-9)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("distribution", ["normal", "truncated_normal", "uniform"])
def test_variance_scaling_law_is_jaxs(mode, distribution):
    for shape, axes in AXIS_CASES:
        for factory in (jax_nn.variance_scaling, jaxinit.variance_scaling):  # the top level too
            law = factory(0.7, mode, distribution, **axes).distribution(shape)
            assert_same_law(law, jax_variance_scaling_law(0.7, mode, distribution, shape, **axes))


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_cases_are_jaxs(name):
    for shape, axes in AXIS_CASES:
        law = getattr(jax_nn, name)(**axes).distribution(shape)
        assert_same_law(law, jax_variance_scaling_law(*NAMED[name], shape, **axes))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.float16])
def test_plain_laws_are_jaxs(dtype):
    shape = (7, 3)
    assert_same_law(jax_nn.uniform().distribution(shape, dtype), stats.uniform(0, 0.01))
    assert_same_law(jax_nn.uniform(3.5).distribution(shape, dtype), stats.uniform(0, 3.5))
    assert_same_law(jax_nn.normal().distribution(shape, dtype), stats.norm(0, 0.01))
    assert_same_law(jax_nn.normal(2.0).distribution(shape, dtype), stats.norm(0, 2.0))
    # stddev is the std before truncation; lower/upper are in units of stddev
    assert_same_law(jax_nn.truncated_normal().distribution(shape, dtype), stats.truncnorm(-2, 2, scale=0.01))
    assert_same_law(
        jax_nn.truncated_normal(3.0, None, -1.0, 0.5).distribution(shape, dtype),
        stats.truncnorm(-1.0, 0.5, scale=3.0),
    )


@pytest.mark.parametrize(
    "shape,axes",
    [
        ((5,), {}),
        ((), {}),
        ((3, 4), {"in_axis": 2}),
        ((3, 4), {"out_axis": (0, -3)}),
        ((3, 4), {"batch_axis": 5}),
    ],
)
def test_where_jax_cannot_compute_fans_neither_do_we(shape, axes, key):
    with pytest.raises(Exception):
        jnn.variance_scaling(1.0, "fan_in", "normal", **axes)(key, shape)
    with pytest.raises(ValueError, match=r"need explicit axes|out of range"):
        jax_nn.variance_scaling(1.0, "fan_in", "normal", **axes)(key, shape)


# -- two-sample KS: jaxinit's draws against jax's own ------------------------------------

PAIRS = [  # (jax_nn initializer, the jax.nn.initializers one, shape)
    (jax_nn.uniform(3.0), jnn.uniform(3.0), KS2_SHAPE),
    (jax_nn.normal(), jnn.normal(), KS2_SHAPE),
    (jax_nn.truncated_normal(), jnn.truncated_normal(), KS2_SHAPE),
    (
        jax_nn.truncated_normal(2.0, lower=-1.0, upper=3.0),
        jnn.truncated_normal(2.0, lower=-1.0, upper=3.0),
        KS2_SHAPE,
    ),
    (jax_nn.truncated_normal(1.0, None, 1.5, 4.0), jnn.truncated_normal(1.0, None, 1.5, 4.0), KS2_SHAPE),
    (jax_nn.glorot_uniform(), jnn.glorot_uniform(), KS2_SHAPE),
    (jax_nn.glorot_normal(), jnn.glorot_normal(), KS2_SHAPE),
    (jax_nn.he_normal(), jnn.he_normal(), KS2_SHAPE),
    (jax_nn.lecun_uniform(), jnn.lecun_uniform(), KS2_SHAPE),
    (
        jax_nn.variance_scaling(2.0, "fan_avg", "truncated_normal", in_axis=0, out_axis=(1, 2)),
        jnn.variance_scaling(2.0, "fan_avg", "truncated_normal", in_axis=0, out_axis=(1, 2)),
        (32, 64, 64),
    ),
    (
        jax_nn.variance_scaling(0.5, "fan_geo_avg", "normal", batch_axis=0),
        jnn.variance_scaling(0.5, "fan_geo_avg", "normal", batch_axis=0),
        (4, 128, 256),
    ),
    (
        jax_nn.variance_scaling(1.0, "fan_out", "uniform"),
        jnn.variance_scaling(1.0, "fan_out", "uniform"),
        (4, 128, 256),
    ),
    (
        jax_nn.variance_scaling(1.0, "fan_in", "normal", out_axis=0),  # Flax's nn.Embed default
        jnn.variance_scaling(1.0, "fan_in", "normal", out_axis=0),
        (2048, 64),
    ),
]


@pytest.mark.parametrize(
    "ours,theirs,shape", PAIRS, ids=lambda p: repr(p) if isinstance(p, jaxinit.Initializer) else ""
)
def test_two_sample_ks_against_jax(ours, theirs, shape):
    a = np.asarray(ours(jax.random.key(1), shape), np.float64).ravel()
    b = np.asarray(theirs(jax.random.key(2), shape), np.float64).ravel()
    assert stats.ks_2samp(a, b).pvalue > 1e-4
    assert stats.ks_2samp(a * 1.05, b).pvalue < 1e-4  # the test sees a 5 % scale error
    law = ours.distribution(shape)
    if law.family != "normal":
        assert law.low <= a.min() and a.max() <= law.high


@pytest.mark.parametrize("name,dtype", [("he_normal", jnp.bfloat16), ("glorot_uniform", jnp.float16)])
def test_low_precision_follows_jaxs_law_rounded(name, dtype, key):
    init = getattr(jax_nn, name)()
    x = init(key, KS2_SHAPE, dtype)
    assert x.dtype == dtype
    assert_same_law(init.distribution(KS2_SHAPE), jax_variance_scaling_law(*NAMED[name], KS2_SHAPE))
    assert ks_pvalue_rounded(x, init.distribution(KS2_SHAPE)) > 1e-4
    assert float(abs(x).max()) <= init.distribution(KS2_SHAPE).high


ORTHOGONAL_CASES = [((3, 4), -1), ((4, 3), 0), ((2, 3, 4), 1)]


def _columns(w, column_axis):
    """jax's matrix view: columns along column_axis, rows over every other axis."""
    moved = np.moveaxis(np.asarray(w, np.float64), column_axis, -1)
    return moved.reshape(-1, moved.shape[-1])


@pytest.mark.parametrize("shape,column_axis", ORTHOGONAL_CASES)
def test_orthogonal_against_jax(shape, column_axis):
    n = 2**13
    keys = jax.random.split(jax.random.key(3), n)
    ours = jax.vmap(lambda k: jax_nn.orthogonal(1.5, column_axis)(k, shape))(keys)
    theirs = jax.vmap(lambda k: jnn.orthogonal(1.5, column_axis)(k, shape))(keys)
    for w in (ours[0], theirs[0]):  # orthonormal along the same side, exactly scaled
        m = _columns(w, column_axis) / 1.5
        small = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        np.testing.assert_allclose(small, np.eye(min(m.shape)), atol=1e-5)
    # one entry per matrix: the Haar law of a single entry (the scale is checked above)
    for index in [(0,) * len(shape), tuple(s - 1 for s in shape)]:
        a, b = np.asarray(ours[(slice(None), *index)]), np.asarray(theirs[(slice(None), *index)])
        assert stats.ks_2samp(a, b).pvalue > 1e-4


@pytest.mark.parametrize("shape", [(3, 2, 4), (4, 2, 4), (4, 3, 2, 3), (2, 3, 2, 2, 2), (2, 2, 3, 3)])
def test_delta_orthogonal_sits_where_jax_puts_it(shape, key):
    """(k - 1) // 2 on every spatial axis, odd and even sizes, 3-, 4- and 5-D kernels."""
    ours, theirs = jax_nn.delta_orthogonal(0.5)(key, shape), jnn.delta_orthogonal(0.5)(key, shape)
    np.testing.assert_array_equal(np.asarray(ours) != 0, np.asarray(theirs) != 0)
    m = np.asarray(ours)[tuple((k - 1) // 2 for k in shape[:-2])] / 0.5
    np.testing.assert_allclose(m @ m.T, np.eye(shape[-2]), atol=1e-5)


def test_delta_orthogonal_against_jax():
    shape = (4, 3, 2, 3)
    keys = jax.random.split(jax.random.key(4), 2**13)
    centre = tuple((k - 1) // 2 for k in shape[:-2])
    a, b = (
        np.asarray(jax.vmap(lambda k: init(k, shape)[(*centre, 0, 0)])(keys))
        for init in (jax_nn.delta_orthogonal(0.5), jnn.delta_orthogonal(0.5))
    )
    assert stats.ks_2samp(a, b).pvalue > 1e-4


def test_column_axis_does_not_change_delta_orthogonal(key):
    shape = (3, 3, 4)
    for column_axis in (-2, -1, 0, 1):
        w = np.asarray(jax_nn.delta_orthogonal(column_axis=column_axis)(key, shape))[1]
        np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-5)
    with pytest.raises(ValueError, match=r"`column_axis` must be -2, -1, 0 or 1 .* got 2"):
        jax_nn.delta_orthogonal(column_axis=2)


def test_constant_zeros_ones_are_jaxs(key):
    value = np.arange(6.0).reshape(2, 3)
    for ours, theirs, dtype in [
        (jax_nn.zeros, jnn.zeros, None),
        (jax_nn.ones, jnn.ones, jnp.int32),
        (jax_nn.constant(-7), jnn.constant(-7), None),
        (jax_nn.constant(value), jnn.constant(value), jnp.bfloat16),
        (jax_nn.constant([1, 2, 3], jnp.int8), jnn.constant(np.array([1, 2, 3]), jnp.int8), None),
    ]:
        args = (key, (4, 2, 3)) + ((dtype,) if dtype is not None else ())  # jax: None means float
        a, b = ours(*args), theirs(*args)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


# -- jax's own initializer tests (jax/tests/nn_test.py), against jax_nn --------------------------

ALL_SHAPES = [(2,), (2, 2), (2, 3), (3, 2), (2, 3, 4), (4, 3, 2), (2, 3, 4, 5)]
FLOATS = [jnp.float16, jnp.bfloat16, jnp.float32]
RECORDS = [  # (factory, smallest and largest rank)
    (jax_nn.uniform, 1, 4),
    (jax_nn.normal, 1, 4),
    (jax_nn.he_normal, 2, 4),
    (jax_nn.he_uniform, 2, 4),
    (jax_nn.glorot_normal, 2, 4),
    (jax_nn.glorot_uniform, 2, 4),
    (jax_nn.lecun_normal, 2, 4),
    (jax_nn.lecun_uniform, 2, 4),
    (jax_nn.orthogonal, 2, 2),
    (jax_nn.truncated_normal, 1, 4),
    (jax_nn.delta_orthogonal, 4, 4),
    (functools.partial(jax_nn.variance_scaling, 1, "fan_geo_avg", "normal"), 2, 4),
]


@pytest.mark.parametrize(
    "index", range(len(RECORDS)), ids=[getattr(r[0], "__name__", "variance_scaling") for r in RECORDS]
)
def test_jax_initializer_records(index):
    """jax runs every shape with every dtype, with the dtype given at the call and at
    construction. Each new (shape, dtype) costs jaxinit a compilation (structured laws, and
    repeated eager shapes), so the dtypes rotate over the shapes: every shape and every
    dtype of every record is still run, both ways."""
    factory, low, high = RECORDS[index]
    key = jax.random.PRNGKey(0)  # jax's tests use legacy keys
    shapes = [s for s in ALL_SHAPES if low <= len(s) <= high]
    cases = [(shape, FLOATS[(index + j) % 3]) for j, shape in enumerate(shapes)]
    cases += [(shapes[-1], FLOATS[(index + j) % 3]) for j in range(len(shapes), 3)]
    for shape, dtype in cases:
        value = factory()(key, shape, dtype)  # dtype at the call
        assert value.shape == shape and value.dtype == dtype
    shape, dtype = cases[0][0], FLOATS[(index + 1) % 3]
    value = factory(dtype=dtype)(key, shape)  # dtype at construction
    assert value.shape == shape and value.dtype == dtype
    with pytest.raises(TypeError, match="complex dtypes are not supported"):
        factory()(key, shapes[0], jnp.complex64)


def test_variance_scaling_multi_and_batch_axis():
    key = jax.random.PRNGKey(0)
    shape = (2, 3, 4, 5)
    init = jax_nn.variance_scaling(
        scale=1.0, mode="fan_avg", distribution="truncated_normal", in_axis=(0, 1), out_axis=(-2, -1)
    )
    assert init(key, shape).shape == shape
    init = jax_nn.variance_scaling(
        scale=1.0, mode="fan_avg", distribution="truncated_normal", in_axis=0, out_axis=(2, 3), batch_axis=1
    )
    assert init(key, shape).shape == shape


def test_variance_scaling_error_on_one_dimension():
    init = jax_nn.variance_scaling(scale=1.0, mode="fan_avg", distribution="truncated_normal")
    with pytest.raises(ValueError, match=r"1-dimensional shape \(5,\) need explicit axes"):
        init(jax.random.PRNGKey(0), (5,))


def test_no_accidental_upcasting():
    key = jax.random.PRNGKey(0)
    scalar = jnp.array(1.0, dtype=jnp.float32)
    for init in (
        jax_nn.uniform(scalar, jnp.bfloat16),
        jax_nn.normal(scalar, jnp.bfloat16),
        jax_nn.truncated_normal(scalar, jnp.bfloat16),
    ):
        key, sub = jax.random.split(key)
        assert init(sub, (4, 4)).dtype == jnp.bfloat16


# -- jaxinit's value semantics on jax_nn's initializers ---------------------------------------

ALL = [
    jax_nn.zeros,
    jax_nn.ones,
    jax_nn.constant(0.5),
    jax_nn.constant([[1, 2]], jnp.int32),
    jax_nn.uniform(2.0),
    jax_nn.normal(),
    jax_nn.truncated_normal(1.0, jnp.bfloat16, -1.0, 1.0),
    jax_nn.variance_scaling(2.0, "fan_avg", "uniform", in_axis=[0], out_axis=(1, 2), batch_axis=3),
    jax_nn.glorot_normal(),
    jax_nn.he_uniform(batch_axis=0),
    jax_nn.lecun_normal(out_axis=0),
    jax_nn.orthogonal(0.5, column_axis=0),
    jax_nn.delta_orthogonal(2.0, -2),
]


@pytest.mark.parametrize("init", ALL, ids=repr)
def test_values_configs_and_pickles(init):
    again = eval(repr(init), {"jax_nn": jax_nn, **vars(jaxinit)})  # the repr is the call
    assert again == init and hash(again) == hash(init)
    assert jaxinit.get(init.to_config()) == init
    assert pickle.loads(pickle.dumps(init)) == init


def test_get_builds_jax_nn_names():
    assert jaxinit.get("jax_nn.normal", stddev=0.5) == jax_nn.normal(0.5)
    assert jaxinit.get({"name": "jax_nn.orthogonal", "column_axis": 0}) == jax_nn.orthogonal(column_axis=0)
    assert jaxinit.get("jax_nn.xavier_uniform") == jax_nn.glorot_uniform()
    assert jaxinit.get("jax_nn.zeros") is jax_nn.zeros
    with pytest.raises(TypeError, match=r"'jax_nn.ones' is an initializer, not a factory"):
        jaxinit.get("jax_nn.ones", dtype="int32")
    # names only JAX/Keras use mean jax's laws at the top level too
    assert jaxinit.get("he_normal") == jax_nn.he_normal()
    assert jaxinit.get("truncated_normal") == jax_nn.truncated_normal()


def test_sampling_needs_no_temporaries(key):
    for init in (
        jax_nn.he_normal(),
        jax_nn.uniform(),
        jax_nn.variance_scaling(1.0, "fan_in", "normal", out_axis=0),
    ):
        compiled = jax.jit(lambda k: init(k, (1024, 1024))).lower(key).compile()
        assert compiled.memory_analysis().temp_size_in_bytes <= 0.1 * 1024 * 1024 * 4


def test_hyperparameter_errors():
    with pytest.raises(ValueError, match=r"`scale` must be > 0, got -1.0"):
        jax_nn.uniform(-1.0)
    with pytest.raises(ValueError, match=r"`lower` must be less than `upper`"):
        jax_nn.truncated_normal(1.0, None, 2.0, -2.0)
    with pytest.raises(ValueError, match=r"`mode` must be one of .* got 'fan'"):
        jax_nn.variance_scaling(1.0, "fan", "normal")
    with pytest.raises(TypeError, match=r"`in_axis` must be an integer, got 0.5"):
        jax_nn.glorot_uniform(0.5)
    with pytest.raises(ValueError, match=r"`column_axis` 2 is out of range for a 2-dimensional"):
        jax_nn.orthogonal(column_axis=2)(jax.random.key(0), (3, 3))


def test_one_import_line_moves_a_flax_model_over(key):
    """The same Flax module written against `initializers`, with jax's module and with
    jax_nn: the same parameters (names, shapes, dtypes), deterministic ones equal."""
    import flax.linen as nn

    def model(initializers):
        class Net(nn.Module):
            @nn.compact
            def __call__(self, tokens):
                x = nn.Embed(
                    50, 8, embedding_init=initializers.variance_scaling(1.0, "fan_in", "normal", out_axis=0)
                )(tokens)
                x = nn.Conv(
                    8, (4,), kernel_init=initializers.delta_orthogonal(), bias_init=initializers.zeros
                )(x)
                x = nn.Dense(16, kernel_init=initializers.he_normal(), bias_init=initializers.constant(0.1))(
                    x
                )
                return nn.Dense(4, kernel_init=initializers.orthogonal(), bias_init=initializers.ones)(x)

        return Net()

    tokens = jnp.arange(12).reshape(2, 6)
    theirs = model(jnn).init(key, tokens)
    ours = model(jax_nn).init(key, tokens)
    assert jax.tree.structure(ours) == jax.tree.structure(theirs)
    for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs)):
        assert a.shape == b.shape and a.dtype == b.dtype
    p, q = ours["params"], theirs["params"]
    for name in ("Conv_0", "Dense_0", "Dense_1"):
        np.testing.assert_array_equal(p[name]["bias"], q[name]["bias"])
    np.testing.assert_array_equal(p["Conv_0"]["kernel"] != 0, q["Conv_0"]["kernel"] != 0)
