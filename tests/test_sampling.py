"""The engine and its bits: bit layout, index arithmetic, strategies that must agree, and memory."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.extend.random import threefry_2x32

import jaxinit
from jaxinit._src import bits as random_bits, engine
from jaxinit._src.samplers import table, truncnorm
from jaxinit.distributions import Normal

U32 = 2**32


def reference_threefry(k0, k1, x0, x1):
    """JAX's own Threefry-2x32 (it takes the two counter words as one concatenated array)."""
    x0, x1 = np.asarray(x0, np.uint32), np.asarray(x1, np.uint32)
    out = np.asarray(
        threefry_2x32(jnp.array([k0, k1], jnp.uint32), jnp.concatenate([jnp.asarray(x0), jnp.asarray(x1)]))
    )
    return out[: x0.size], out[x0.size :]


def test_threefry_is_the_standard_function():
    rng = np.random.default_rng(0)
    k0, k1 = (int(v) for v in rng.integers(0, U32, 2))
    x0, x1 = rng.integers(0, U32, (2, 1000), dtype=np.uint32)
    ours = random_bits.threefry2x32(np.uint32(k0), np.uint32(k1), jnp.asarray(x0), jnp.asarray(x1))
    expected = reference_threefry(k0, k1, x0, x1)
    np.testing.assert_array_equal(np.asarray(ours[0]), expected[0])
    np.testing.assert_array_equal(np.asarray(ours[1]), expected[1])


@pytest.mark.parametrize("bits", [16, 32, 64])
def test_bits_of_element_i_come_from_counter_i_shifted_by_the_width(bits):
    """Element i takes lane i % (64 // bits) of the Threefry output for counter i // (64 // bits)."""
    words = (np.uint32(0x12345678), np.uint32(0x9ABCDEF0))
    shape = (3, 37)
    got = random_bits.random_words(words, random_bits.element_index(shape), bits)
    i = np.arange(np.prod(shape), dtype=np.uint64)
    per_counter = 64 // bits
    y0, y1 = reference_threefry(
        int(words[0]), int(words[1]), np.zeros_like(i // per_counter), i // per_counter
    )
    lane = (i % per_counter).astype(np.uint64)
    # lanes in order: w0 then w1 for 32 bits; w0 low, w0 high, w1 low, w1 high for 16 bits
    if bits == 64:
        np.testing.assert_array_equal(np.asarray(got[0]).ravel(), y0)
        np.testing.assert_array_equal(np.asarray(got[1]).ravel(), y1)
        return
    if bits == 32:
        expected = np.where(lane == 0, y0, y1)
    else:
        word = np.where(lane < 2, y0, y1)
        expected = np.where(lane % 2 == 0, word & 0xFFFF, word >> 16)
    np.testing.assert_array_equal(np.asarray(got).ravel(), expected.astype(np.uint32))


@pytest.mark.parametrize("start", [0, 5, 2**16, U32 - 7, 3 * U32 + 2**31])
def test_offset_index_carries_into_the_high_word(start):
    hi, lo = random_bits.offset_index(np.uint32(start >> 32), np.uint32(start % U32), 16)
    got = (np.asarray(hi).astype(np.uint64) << np.uint64(32)) | np.asarray(lo).astype(np.uint64)
    np.testing.assert_array_equal(got, np.arange(start, start + 16, dtype=np.uint64))


def test_flat_index_beyond_two_to_the_32():
    dims = (2**20, 2**13 + 3, 5)
    rng = np.random.default_rng(1)
    coords = [rng.integers(0, d, 64) for d in dims] + []
    coords = [np.append(c, d - 1) for c, d in zip(coords, dims)]  # and the very last element
    hi, lo = random_bits.flat_index([jnp.asarray(c, jnp.uint32) for c in coords], dims)
    got = [int(h) * U32 + int(low) for h, low in zip(np.asarray(hi), np.asarray(lo))]
    expected = [int(np.ravel_multi_index(tuple(int(c[k]) for c in coords), dims)) for k in range(len(got))]
    assert got == expected


@pytest.mark.parametrize(
    "bits, compute, mantissa", [(16, np.float32, 16), (32, np.float32, 23), (64, np.float64, 52)]
)
def test_unit_interval_is_an_open_grid_of_the_width(bits, compute, mantissa):
    with jax.enable_x64(compute == np.float64):
        words = random_bits.key_words(jax.random.key(3))
        u = np.asarray(random_bits.unit_interval(words, random_bits.element_index((4096,)), compute, bits))
    assert u.dtype == compute and 0 < u.min() and u.max() < 1
    k = u.astype(np.float64) * 2.0**mantissa - 0.5
    np.testing.assert_array_equal(k, np.round(k))
    assert k.max() < 2**mantissa
    assert 0.45 < np.mean(k % 2) < 0.55  # the finest step is used: not a coarser grid in disguise
    assert k.max() > 0.99 * 2**mantissa


STRATEGY_INITS = [
    jaxinit.uniform(-0.5, 2.0),
    jaxinit.normal(0.1, 3.0),
    jaxinit.kaiming_normal(),
    jaxinit.xavier_uniform(gain=2.0),
    jaxinit.lecun_normal(),
    jaxinit.trunc_normal(0.0, 1.0, -2.0, 2.0),
    jaxinit.trunc_normal(0.0, 1.0, 3.0, 5.0),
    jaxinit.trunc_normal(0.0, 1.0, -40.0, -30.0),
    jaxinit.triangular(-0.3, 0.5),
]
STRATEGY_SHAPES = [(1, 1), (64, 65), (7, 7, 3, 64), (256, 256), (3, 3, 64, 65), (2, 2**16 + 1)]


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.float16])
@pytest.mark.parametrize("init", STRATEGY_INITS, ids=repr)
def test_chunked_eager_jit_and_exact_kernel_agree(init, dtype, key, monkeypatch):
    """Chunks (eager), the exact-shape kernel (eager) and jit give the same bits."""
    monkeypatch.setattr(engine, "COMPILE_AFTER", 10**9)
    for shape in STRATEGY_SHAPES:
        assert engine.use_chunks(table.of(Normal(0.0, 1.0)), shape, None)
        chunked = np.asarray(init(key, shape, dtype))
        jitted = np.asarray(jax.jit(init, static_argnums=(1, 2))(key, shape, dtype))
        with monkeypatch.context() as m:
            m.setattr(engine, "CHUNKED_MAX", 0)
            exact = np.asarray(init(key, shape, dtype))
        assert chunked.shape == shape
        np.testing.assert_array_equal(chunked, exact, err_msg=f"{shape}")
        np.testing.assert_array_equal(jitted, exact, err_msg=f"{shape}")


def test_chunked_float64_agrees(key, monkeypatch):
    monkeypatch.setattr(engine, "COMPILE_AFTER", 10**9)
    with jax.enable_x64(True):
        init = jaxinit.trunc_normal(0.0, 1.0, 1.0, 3.0)
        chunked = np.asarray(init(key, (300, 301), jnp.float64))
        monkeypatch.setattr(engine, "CHUNKED_MAX", 0)
        np.testing.assert_array_equal(chunked, np.asarray(init(key, (300, 301), jnp.float64)))


def test_chunks_assembled_on_an_accelerator_agree(key, monkeypatch):
    """Off CPU the chunks are joined by a small compiled program instead of in host memory."""
    monkeypatch.setattr(engine, "COMPILE_AFTER", 10**9)
    init = jaxinit.trunc_normal(0.0, 2.0, -3.0, 1.0)
    on_host = np.asarray(init(key, (3, 7, 5000)))
    monkeypatch.setattr(engine, "HOST_PLATFORMS", ())
    on_device = init(key, (3, 7, 5000))
    assert on_device.shape == (3, 7, 5000)
    np.testing.assert_array_equal(np.asarray(on_device), on_host)


def test_a_sub_array_is_the_leading_elements_of_a_longer_draw(key):
    """Values depend only on (key, flat index, width): shape is only a view of the flat stream."""
    init = jaxinit.normal()
    flat = np.asarray(init(key, (64 * 1000,)))
    np.testing.assert_array_equal(np.asarray(init(key, (64, 1000))).ravel(), flat)
    np.testing.assert_array_equal(np.asarray(init(key, (1000,))), flat[:1000])


def test_chunked_result_is_an_ordinary_uncommitted_array(key):
    x = jaxinit.normal()(key, (100, 100))
    assert isinstance(x, jax.Array) and not x.committed
    assert x.devices() == {jax.devices()[0]}
    assert np.asarray(x + 1).shape == (100, 100)


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 5e-7), (np.float64, 2e-15)])
def test_ndtri_is_the_inverse_normal_cdf(dtype, tolerance):
    """jaxinit's own ndtri (Cephes' approximation) against SciPy's, over the whole range."""
    from scipy import special

    rng = np.random.default_rng(0)
    tiny = 37 if dtype == np.float32 else 300
    p = np.concatenate(
        [
            rng.random(100_000),
            10.0 ** -rng.uniform(0, tiny, 100_000),
            1 - 10.0 ** -rng.uniform(0, 7, 10_000),
            [np.exp(-2), 1 - np.exp(-2)],
        ]
    ).astype(dtype)
    with jax.enable_x64(dtype == np.float64):
        ours = np.asarray(jax.jit(truncnorm.ndtri)(jnp.asarray(p)))
        edges = np.asarray(truncnorm.ndtri(jnp.asarray([0.0, 0.5, 1.0], dtype)))
    assert ours.dtype == dtype
    exact = special.ndtri(p.astype(np.float64))
    inside = (p > 0) & (p < 1) & (np.abs(exact) > 1e-3)  # relative error: away from the root
    np.testing.assert_allclose(ours[inside], exact[inside], rtol=tolerance, atol=0)
    np.testing.assert_array_equal(edges, [-np.inf, 0.0, np.inf])


def test_one_sided_tail_values_are_the_same_on_every_supported_jax():
    """The ``tail`` regime inverts the CDF with jaxinit's ndtri, not jax's: jax 0.12's rewrite
    moved some of these values by one ulp (and split the element loop in XLA:CPU)."""
    key = jax.random.key(0)
    x = np.asarray(jaxinit.trunc_normal(0.0, 1.0, 3.0, 9.0)(key, (4,)))
    pinned = ["0x1.d6bd44p+1", "0x1.91ed68p+1", "0x1.87c5dep+1", "0x1.a286fap+1"]
    np.testing.assert_array_equal(x, np.array([float.fromhex(h) for h in pinned], np.float32))
    np.testing.assert_array_equal(np.asarray(jaxinit.trunc_normal(0.0, 1.0, -9.0, -3.0)(key, (4,))), -x)


def temp_bytes(fn, *args):
    return jax.jit(fn).lower(*args).compile().memory_analysis().temp_size_in_bytes


MEMORY_INITS = [
    jaxinit.uniform(),
    jaxinit.normal(),
    jaxinit.trunc_normal(),
    jaxinit.trunc_normal(0.0, 1.0, 3.0, 9.0),
    jaxinit.trunc_normal(0.0, 1.0, -40.0, -20.0),
    jaxinit.xavier_uniform(),
    jaxinit.xavier_normal(),
    jaxinit.kaiming_uniform(),
    jaxinit.kaiming_normal(),
    jaxinit.lecun_uniform(),
    jaxinit.lecun_normal(),
    jaxinit.variance_scaling(1.0, "fan_avg", "truncated_normal"),
    jaxinit.variance_scaling(2.0, "fan_geo_avg", "uniform"),
    jaxinit.triangular(),
]


@pytest.mark.parametrize("init", MEMORY_INITS, ids=repr)
@pytest.mark.parametrize("shape, dtype", [((4096, 4096), jnp.float32), ((8192, 4096), jnp.bfloat16)])
def test_temp_memory_is_a_tenth_of_the_output_at_most(init, shape, dtype, key):
    """A 64 MiB initialisation compiles with almost no temporary buffers (jax.random: 3x)."""
    output = np.prod(shape) * jnp.dtype(dtype).itemsize
    assert output == 64 * 2**20
    assert temp_bytes(lambda k: init(k, shape, dtype), key) <= 0.1 * output


def test_temp_memory_float64(key):
    with jax.enable_x64(True):
        for init in (jaxinit.normal(), jaxinit.trunc_normal(), jaxinit.kaiming_uniform()):
            assert temp_bytes(lambda k: init(k, (2048, 4096), jnp.float64), key) <= 0.1 * 2**26


def test_chunk_kernel_temp_memory_is_bounded(key):
    law = jaxinit.normal(0.5, 2.0).distribution((4,))
    compiled = engine.lower_chunk(key, law, np.dtype(np.float32)).compile()
    assert compiled.memory_analysis().temp_size_in_bytes <= 0.1 * engine.CHUNK * 4


@pytest.mark.parametrize("shape", [(1024, 1024), (256, 1024), (1024, 256), (4, 64, 256)])
def test_orthogonal_and_sparse_temp_memory_is_what_their_algorithm_needs(shape, key):
    """orthogonal: one Gaussian matrix for QR (1x the output); sparse: 32-bit sort keys and
    their ranks (2x the output in float32)."""
    output = np.prod(shape) * 4
    assert temp_bytes(lambda k: jaxinit.orthogonal()(k, shape), key) <= 1.1 * output
    if len(shape) == 2:  # sparse is defined for matrices
        assert temp_bytes(lambda k: jaxinit.sparse(0.5)(k, shape), key) <= 2.1 * output
