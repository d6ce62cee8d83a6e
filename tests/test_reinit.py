"""jaxinit.reinit: whole trees (concrete or abstract) drawn together, bit for bit as leaf by leaf."""

import fnmatch
import math
import re

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxinit
from jaxinit._src import engine

KEY = jax.random.key(7)

# Several layers of one architecture, so that the leaves fall into groups that share
# (law family, static part, shape, dtype): what the engine draws together.
LAYERS = 3


def model_shapes(layers=LAYERS):
    shapes = {"embed": (96, 32)}
    for i in range(layers):
        shapes.update(
            {
                f"h{i}/attn/kernel": (32, 96),
                f"h{i}/attn/bias": (96,),
                f"h{i}/mlp/kernel": (32, 128),
                f"h{i}/mlp/bias": (128,),
                f"h{i}/out/kernel": (128, 32),
                f"h{i}/ln/scale": (32,),
                f"h{i}/ln/bias": (32,),
                f"h{i}/conv/kernel": (3, 3, 8, 8),
                f"h{i}/big/kernel": (300, 300),
            }
        )
    return shapes


# Rules that mix every kind of law: elementwise (with numbers that differ between the leaves
# of one stack: fan-based bounds and a per-layer std), the blocked far tail, structured laws
# (orthogonal, sparse, eye, dirac), constants and another library's initializer.
def mixed_rules():
    return [
        ("embed", jaxinit.trunc_normal(0.0, 1.0, 3.0, 9.0)),
        ("h0/out/kernel", jaxinit.normal(0.0, 0.01)),
        ("*/out/kernel", jaxinit.normal(0.0, 0.02)),
        ("*/attn/kernel", jaxinit.xavier_uniform()),
        ("*/mlp/kernel", jaxinit.orthogonal(gain=2.0)),
        ("*/conv/kernel", jaxinit.dirac()),
        ("h1/big/kernel", jaxinit.sparse(0.5)),
        ("*/big/kernel", jaxinit.kaiming_normal(nonlinearity="relu")),
        ("*/scale", jaxinit.ones()),
        ("h2/*/bias", jax.nn.initializers.normal(0.5)),
        ("*/bias", jaxinit.triangular(-0.1, 0.1)),
    ]


def rule_for(path, rules):
    """The initializer of the first rule whose glob matches ``path``."""
    return next(init for pattern, init in rules if fnmatch.fnmatchcase(path, pattern))


def leaf_by_leaf(tree, key, rules):
    """The reference: each leaf drawn on its own, as reinit documents."""
    return {
        path: rule_for(path, rules)(jaxinit.path_key(key, path), leaf.shape, leaf.dtype)
        for path, leaf in tree.items()
    }


def assert_same_bits(got, want):
    """Same values, dtype, shape and placement (device, committed or not) as the reference."""
    assert set(got) == set(want)
    for path in want:
        assert got[path].dtype == want[path].dtype, path
        assert got[path].shape == want[path].shape, path
        if not isinstance(got[path], jax.core.Tracer):
            assert got[path].devices() == want[path].devices(), path
            assert got[path].committed == want[path].committed, (path, got[path].committed)
        np.testing.assert_array_equal(np.asarray(got[path]), np.asarray(want[path]), err_msg=path)


# float32 in the edit-test loop; the other dtypes, key kinds and transformations in the full run
LOW_PRECISION = [pytest.param(d, marks=pytest.mark.slow) for d in (jnp.bfloat16, jnp.float16)]


@pytest.mark.parametrize("dtype", [jnp.float32, *LOW_PRECISION])
def test_eager_whole_tree_equals_leaf_by_leaf(dtype):
    tree = {p: jax.ShapeDtypeStruct(s, dtype) for p, s in model_shapes().items()}
    rules = mixed_rules()
    got = jaxinit.reinit(tree, KEY, rules)
    assert_same_bits(got, leaf_by_leaf(tree, KEY, rules))
    assert all(isinstance(x, jax.Array) for x in got.values())


@pytest.mark.slow
def test_whole_tree_float64_equals_leaf_by_leaf():
    with jax.enable_x64(True):
        tree = {p: jax.ShapeDtypeStruct(s, jnp.float64) for p, s in model_shapes().items()}
        rules = mixed_rules()
        assert_same_bits(jaxinit.reinit(tree, KEY, rules), leaf_by_leaf(tree, KEY, rules))
        assert_same_bits(
            jax.jit(lambda k: jaxinit.reinit(tree, k, rules))(KEY), leaf_by_leaf(tree, KEY, rules)
        )


@pytest.mark.parametrize("dtype", [jnp.float32, *LOW_PRECISION[:1]])
def test_whole_tree_under_jit_equals_leaf_by_leaf(dtype):
    tree = {p: jax.ShapeDtypeStruct(s, dtype) for p, s in model_shapes().items()}
    rules = mixed_rules()
    got = jax.jit(lambda k: jaxinit.reinit(tree, k, rules))(KEY)
    assert_same_bits(got, leaf_by_leaf(tree, KEY, rules))


@pytest.mark.slow
def test_every_tier_gives_the_same_bits(monkeypatch):
    """Batched chunks (eager, host), kernels per signature (eager, large arrays or off the
    host), stacks under jit, and stacks split by the byte bound: one set of values."""
    tree = {p: jax.ShapeDtypeStruct(s, jnp.float32) for p, s in model_shapes().items()}
    rules = mixed_rules()
    want = leaf_by_leaf(tree, KEY, rules)
    assert_same_bits(jaxinit.reinit(tree, KEY, rules), want)
    monkeypatch.setattr(engine, "HOST_PLATFORMS", ())  # eager off the host: array by array
    assert_same_bits(jaxinit.reinit(tree, KEY, rules), want)
    monkeypatch.setattr(engine, "STACK_BYTES", 2 * 300 * 300 * 4)  # stacks of at most 2 arrays
    assert_same_bits(jax.jit(lambda k: jaxinit.reinit(tree, k, rules))(KEY), want)
    monkeypatch.setattr(engine, "CHUNK_BATCH", 3)  # batches that end inside an array
    monkeypatch.setattr(engine, "HOST_PLATFORMS", ("cpu",))
    assert_same_bits(jaxinit.reinit(tree, KEY, rules), want)


def test_each_law_is_packed_once(monkeypatch):
    """A law's checks and packing run once per leaf, on every tier: planned, then drawn."""
    from jaxinit._src.samplers import table

    packs = []  # the shape of every pack
    classes = {type(s) for s in table.BY_FAMILY.values()}
    originals = {cls: cls.pack for cls in classes}  # before patching: no wrapper wraps a wrapper
    for cls, pack in originals.items():

        def counted(self, law, shape, *args, pack=pack):
            packs.append(shape)
            return pack(self, law, shape, *args)

        monkeypatch.setattr(cls, "pack", counted)
    tree = {p: jax.ShapeDtypeStruct(s, jnp.float32) for p, s in model_shapes().items()}
    rules = mixed_rules()
    ours = sum(isinstance(rule_for(path, rules), jaxinit.Initializer) for path in tree)

    def packed_per_leaf(draw):
        packs.clear()
        draw()
        return len(packs) / ours

    assert packed_per_leaf(lambda: jaxinit.reinit(tree, KEY, rules)) == 1  # batched chunks
    assert packed_per_leaf(lambda: jax.jit(lambda k: jaxinit.reinit(tree, k, rules))(KEY)) == 1  # stacks
    monkeypatch.setattr(engine, "HOST_PLATFORMS", ())
    assert packed_per_leaf(lambda: jaxinit.reinit(tree, KEY, rules)) == 1  # array by array
    packs.clear()
    jaxinit.normal()(KEY, (3, 4))
    assert len(packs) == 1


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: jax.random.key(3),
        pytest.param(lambda: jax.random.PRNGKey(3), marks=pytest.mark.slow),
        pytest.param(lambda: jax.random.key(3, impl="rbg"), marks=pytest.mark.slow),
    ],
    ids=["threefry", "raw uint32", "rbg"],
)
def test_every_key_kind(make_key):
    key = make_key()
    tree = {p: jax.ShapeDtypeStruct(s, jnp.float32) for p, s in model_shapes(2).items()}
    rules = [("*kernel", jaxinit.kaiming_uniform()), ("*", jaxinit.uniform())]
    want = leaf_by_leaf(tree, key, rules)
    assert_same_bits(jaxinit.reinit(tree, key, rules), want)
    assert_same_bits(jax.jit(lambda k: jaxinit.reinit(tree, k, rules))(key), want)


@pytest.mark.slow
def test_under_vmap_over_keys():
    tree = {p: jax.ShapeDtypeStruct(s, jnp.float32) for p, s in model_shapes(2).items()}
    rules = [("*", jaxinit.normal(0.0, 0.02))]
    keys = jax.random.split(KEY, 3)
    got = jax.vmap(lambda k: jaxinit.reinit(tree, k, rules))(keys)
    for i in range(3):
        assert_same_bits({p: x[i] for p, x in got.items()}, leaf_by_leaf(tree, keys[i], rules))


@pytest.mark.slow
def test_traced_hyperparameter_is_drawn_alone():
    """A vmapped std cannot be stacked: those leaves are drawn one by one, with the same bits."""
    tree = {p: jax.ShapeDtypeStruct(s, jnp.float32) for p, s in model_shapes(2).items()}

    def draw(std):
        return jaxinit.reinit(tree, KEY, [("*", jaxinit.normal(0.0, std))])

    got = jax.vmap(draw)(jnp.array([0.5, 2.0]))
    for i, std in enumerate([0.5, 2.0]):
        assert_same_bits(
            {p: x[i] for p, x in got.items()}, leaf_by_leaf(tree, KEY, [("*", jaxinit.normal(0.0, std))])
        )


def test_concrete_and_abstract_leaves_mix():
    shapes = model_shapes(2)
    tree = {
        p: (jnp.zeros(s) if i % 2 else jax.ShapeDtypeStruct(s, jnp.float32))
        for i, (p, s) in enumerate(shapes.items())
    }
    rules = [("*", jaxinit.uniform(-1.0, 1.0))]
    assert_same_bits(jaxinit.reinit(tree, KEY, rules), leaf_by_leaf(tree, KEY, rules))


def test_unmatched_abstract_leaf_is_an_error():
    tree = {
        "kernel": jax.ShapeDtypeStruct((3, 4), jnp.float32),
        "bias": jax.ShapeDtypeStruct((4,), jnp.float32),
    }
    with pytest.raises(ValueError, match="abstract leaves .* 'bias'"):
        jaxinit.reinit(tree, KEY, {"kernel": jaxinit.ones()})
    with pytest.raises(ValueError, match="abstract leaves .* 'bias'"):
        jaxinit.reinit(tree, KEY, {"kernel": jaxinit.ones()}, strict=False)


def test_unmatched_concrete_leaf_is_kept():
    tree = {"kernel": jax.ShapeDtypeStruct((3, 4), jnp.float32), "bias": jnp.full((4,), 5.0)}
    out = jaxinit.reinit(tree, KEY, {"kernel": jaxinit.ones()})
    assert out["bias"] is tree["bias"]


def test_zero_element_leaves():
    tree = {"a": jax.ShapeDtypeStruct((0, 4), jnp.float32), "b": jax.ShapeDtypeStruct((0, 4), jnp.float32)}
    out = jaxinit.reinit(tree, KEY, {"*": jaxinit.uniform()})
    assert out["a"].shape == (0, 4) and out["b"].dtype == jnp.float32


def test_errors_name_the_leaf_and_rule_before_anything_is_drawn():
    tree = {"ok": jax.ShapeDtypeStruct((3, 4), jnp.float32), "bad": jax.ShapeDtypeStruct((3, 4), jnp.int32)}
    with pytest.raises((TypeError, ValueError), match="'bad'"):
        jaxinit.reinit(tree, KEY, {"*": jaxinit.normal()})
    huge = {"a": jax.ShapeDtypeStruct((8,), jnp.float16), "b": jax.ShapeDtypeStruct((8,), jnp.float16)}
    with pytest.raises(ValueError, match="rule '\\*' .* on leaf 'a'"):
        jaxinit.reinit(huge, KEY, {"*": jaxinit.uniform(0.0, 1e6)})


def test_flax_nnx_abstract_model():
    from flax import nnx

    class MLP(nnx.Module):
        def __init__(self, rngs):
            self.layers = nnx.List([nnx.Linear(16, 16, rngs=rngs) for _ in range(4)])

    abstract = nnx.eval_shape(lambda: MLP(nnx.Rngs(0)))
    graphdef, state = nnx.split(abstract)
    rules = {"*kernel*": jaxinit.xavier_uniform(), "*bias*": jaxinit.zeros()}
    new = jaxinit.reinit(state, KEY, rules)
    model = nnx.merge(graphdef, new)
    reference = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
        name = jaxinit._src.tree.path_str(path)
        init = rules["*kernel*"] if "kernel" in name else rules["*bias*"]
        reference[name] = init(jaxinit.path_key(KEY, name), leaf.shape, leaf.dtype)
    got = {
        jaxinit._src.tree.path_str(p): x for p, x in jax.tree_util.tree_flatten_with_path(nnx.state(model))[0]
    }
    assert_same_bits(got, reference)


def test_equinox_abstract_model():
    eqx = pytest.importorskip("equinox")
    abstract = eqx.filter_eval_shape(lambda: [eqx.nn.Linear(8, 8, key=jax.random.key(0)) for _ in range(3)])
    rules = {"*weight": jaxinit.kaiming_uniform(), "*bias": jaxinit.zeros()}
    new = jaxinit.reinit(abstract, KEY, rules)
    assert all(isinstance(layer.weight, jax.Array) for layer in new)
    np.testing.assert_array_equal(
        new[1].weight, jaxinit.kaiming_uniform()(jaxinit.path_key(KEY, "1/weight"), (8, 8))
    )


def test_reset_parameters_of_an_abstract_model_equals_the_concrete_one():
    from flax import nnx

    def build():
        return nnx.Sequential(*[nnx.Linear(12, 12, rngs=nnx.Rngs(0)) for _ in range(4)])

    concrete = jaxinit.torch_defaults.reset_parameters(build(), KEY)
    abstract = jaxinit.torch_defaults.reset_parameters(nnx.eval_shape(build), KEY)
    for (_, a), (_, b) in zip(
        jax.tree_util.tree_flatten_with_path(nnx.state(concrete))[0],
        jax.tree_util.tree_flatten_with_path(nnx.state(abstract))[0],
    ):
        np.testing.assert_array_equal(a, b)


def _sampling_programs_under_jit(layers):
    tree = {p: jax.ShapeDtypeStruct(s, jnp.float32) for p, s in model_shapes(layers).items()}
    rules = [("*", jaxinit.normal(0.0, 0.02))]
    text = jax.jit(lambda k: jaxinit.reinit(tree, k, rules)).lower(KEY).compile().as_text()
    return text.count("erf-inv") + text.count("erf_inv"), text.count("shift-left")


def test_compiled_sampling_code_does_not_grow_with_depth():
    """Under jit the sampling code (Threefry's shifts, erf_inv) appears once per stack, not once
    per array: the same count at 2 and at 5 layers. (Counts of HLO ops, not a timing.)"""
    assert _sampling_programs_under_jit(2) == _sampling_programs_under_jit(5)


def test_eager_compiles_no_program_per_layer():
    """Eagerly, the number of compiled programs does not grow with the depth."""
    rules = [("*", jaxinit.normal(0.0, 0.02))]

    def programs_after(layers):
        tree = {p: jax.ShapeDtypeStruct(s, jnp.float32) for p, s in model_shapes(layers).items()}
        jaxinit.reinit(tree, KEY, rules)
        return engine.compiled_programs()

    first = programs_after(2)
    assert programs_after(6) == first


# -- rules over Flax, NNX and Equinox trees (the framework suite: slow) ----------------


class MLP(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.relu(nn.Dense(64)(x))
        return nn.Dense(10)(x)


@pytest.mark.slow
def test_reinit_flax_params(key):
    params = MLP().init(key, jnp.ones((1, 32)))
    new = jaxinit.reinit(
        params, jax.random.key(1), {"*kernel": jaxinit.xavier_uniform(), "*bias": jaxinit.constant(0.5)}
    )
    assert (new["params"]["Dense_1"]["bias"] == 0.5).all()
    k = new["params"]["Dense_0"]["kernel"]
    path = "params/Dense_0/kernel"
    np.testing.assert_array_equal(
        np.asarray(k),
        np.asarray(jaxinit.xavier_uniform()(jaxinit.path_key(jax.random.key(1), path), (32, 64))),
    )
    # leaves no rule matches are untouched; the first matching rule wins
    partial = jaxinit.reinit(params, key, [(re.compile("Dense_1/"), jaxinit.zeros()), ("*", jaxinit.ones())])
    assert not partial["params"]["Dense_1"]["kernel"].any()
    assert (partial["params"]["Dense_0"]["kernel"] == 1).all()


@pytest.mark.slow
def test_reinit_keys_are_per_path_and_stable(key):
    small = {"a": jnp.zeros((8, 8)), "b": jnp.zeros((8, 8))}
    big = {**small, "c": jnp.zeros((8, 8)), "aa": jnp.zeros((8, 8))}
    rules = {"*": jaxinit.normal()}
    s, b = jaxinit.reinit(small, key, rules), jaxinit.reinit(big, key, rules)
    np.testing.assert_array_equal(np.asarray(s["a"]), np.asarray(b["a"]))
    np.testing.assert_array_equal(np.asarray(s["b"]), np.asarray(b["b"]))
    values = [np.asarray(v) for v in b.values()]
    assert all(not np.array_equal(x, y) for i, x in enumerate(values) for y in values[i + 1 :])


@pytest.mark.slow
def test_reinit_predicates_and_non_array_leaves(key):
    tree = {"w": jnp.zeros((3, 3)), "name": "layer", "n": 3, "f": jnp.tanh}
    new = jaxinit.reinit(tree, key, {lambda path, leaf: leaf.ndim == 2: jaxinit.eye()})
    assert (new["w"] == jnp.eye(3)).all() and new["name"] == "layer" and new["f"] is jnp.tanh


@pytest.mark.slow
def test_reinit_unmatched_rule(key):
    tree = {"dense": {"kernel": jnp.zeros((2, 2))}}
    with pytest.raises(
        ValueError, match=r"reinit rules matched no array leaf: \['\*kernal'\]; the paths are: dense/kernel"
    ):
        jaxinit.reinit(tree, key, {"*kernal": jaxinit.zeros()})
    out = jaxinit.reinit(tree, key, {"*kernal": jaxinit.zeros()}, strict=False)
    assert out["dense"]["kernel"] is tree["dense"]["kernel"]
    with pytest.raises(TypeError, match="a rule's pattern must be a glob string"):
        jaxinit.reinit(tree, key, {3: jaxinit.zeros()})


@pytest.mark.slow
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
    new = jaxinit.reinit(
        mlp,
        jax.random.key(2),
        {"*weight": jaxinit.kaiming_uniform(nonlinearity="relu", layout="torch"), "*bias": jaxinit.zeros()},
    )
    w = new.layers[0].weight  # (out, in) = (32, 16): torch layout
    bound = jaxinit.kaiming_uniform(nonlinearity="relu", layout="torch").distribution(w.shape).high
    assert bound == math.sqrt(3) * math.sqrt(2) / math.sqrt(16)
    assert float(jnp.abs(w).max()) <= bound and not new.layers[1].bias.any()
    assert new(jnp.ones(16)).shape == (4,)
    conv = eqx.nn.Conv2d(3, 8, 3, key=key)
    conv = jaxinit.reinit(conv, key, {"*weight": jaxinit.dirac(layout="torch")}, strict=True)
    assert float(conv.weight.sum()) == 3
