"""Sharded initialisation on 8 virtual CPU devices.

Run by tests/test_sharding.py in a subprocess with
XLA_FLAGS=--xla_force_host_platform_device_count=8; skipped in a process with fewer devices.
"""

import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import AxisType, NamedSharding, PartitionSpec as P

import jaxinit

pytestmark = pytest.mark.skipif(
    jax.device_count() < 8, reason="needs 8 devices: run through tests/test_sharding.py"
)

AXIS_TYPES = {"auto": AxisType.Auto, "explicit": AxisType.Explicit}


def mesh(shape, names, kind="auto"):
    n = int(np.prod(shape))
    return jax.make_mesh(shape, names, axis_types=(AXIS_TYPES[kind],) * len(names), devices=jax.devices()[:n])


# (mesh shape, axis names, spec): rows, columns, both axes of a 2-D mesh, replicated,
# 1/2/4/8 devices, and a 6-device mesh (a shard count that is not a power of two)
LAYOUTS = [
    ((1,), ("x",), P("x", None)),
    ((2,), ("x",), P(None, "x")),
    ((4,), ("x",), P("x", None)),
    ((8,), ("x",), P("x", None)),
    ((8,), ("x",), P(None, "x")),
    ((2, 4), ("a", "b"), P("a", "b")),
    ((2, 4), ("a", "b"), P("b", "a")),
    ((2, 4), ("a", "b"), P(("a", "b"), None)),
    ((8,), ("x",), P()),
    ((6,), ("x",), P("x", None)),
]
SHAPE = (48, 48)  # divisible by 1, 2, 4, 6 and 8
INITS = [
    (jaxinit.uniform(-0.5, 2.0), jnp.float32),
    (jaxinit.normal(0.1, 3.0), jnp.bfloat16),
    (jaxinit.kaiming_normal(), jnp.float32),
    (jaxinit.xavier_uniform(), jnp.float16),
    (jaxinit.trunc_normal(0.0, 1.0, -2.0, 2.0), jnp.float32),
    (jaxinit.trunc_normal(0.0, 1.0, 3.0, 9.0), jnp.float32),
    (jaxinit.trunc_normal(0.0, 1.0, -40.0, -30.0), jnp.float32),
    (jaxinit.orthogonal(), jnp.float32),
    (jaxinit.sparse(0.25), jnp.float32),
    (jaxinit.eye(), jnp.float32),
    (jaxinit.constant(0.5), jnp.bfloat16),
    (jaxinit.jax_nn.he_normal(), jnp.float32),
    (jaxinit.jax_nn.orthogonal(column_axis=0), jnp.float32),
]


@pytest.mark.parametrize("kind", ["auto", "explicit"])
@pytest.mark.parametrize(
    "init, dtype", INITS, ids=lambda v: repr(v) if not isinstance(v, type) else v.__name__
)
def test_sharded_values_are_the_unsharded_values(init, dtype, kind, key):
    expected = np.asarray(init(key, SHAPE, dtype))
    layouts = LAYOUTS if kind == "auto" else [LAYOUTS[i] for i in (3, 4, 5, 8, 9)]
    for mesh_shape, names, spec in layouts:
        sharding = NamedSharding(mesh(mesh_shape, names, kind), spec)
        eager = init(key, SHAPE, dtype, out_sharding=sharding)
        jitted = jax.jit(lambda k: init(k, SHAPE, dtype), out_shardings=sharding)(key)
        for x in (eager, jitted):
            assert x.sharding.is_equivalent_to(sharding, 2), (spec, x.sharding)
            np.testing.assert_array_equal(np.asarray(x), expected, err_msg=f"{mesh_shape} {spec}")
        # each device holds exactly its slice of the unsharded array
        for shard in eager.addressable_shards:
            np.testing.assert_array_equal(np.asarray(shard.data), expected[shard.index])


@pytest.mark.parametrize("kind", ["auto", "explicit"])
def test_partition_spec_inside_a_mesh_context(kind, key):
    m = mesh((2, 4), ("a", "b"), kind)
    init = jaxinit.kaiming_uniform()
    expected = np.asarray(init(key, (16, 64)))
    with jax.set_mesh(m):
        x = init(key, (16, 64), out_sharding=P("a", "b"))
        y = jax.jit(lambda k: init(k, (16, 64), out_sharding=P(None, "b")))(key)
    assert x.sharding.is_equivalent_to(NamedSharding(m, P("a", "b")), 2)
    assert y.sharding.is_equivalent_to(NamedSharding(m, P(None, "b")), 2)
    np.testing.assert_array_equal(np.asarray(x), expected)
    np.testing.assert_array_equal(np.asarray(y), expected)


def _largest_array(hlo_text: str) -> int:
    sizes = [
        int(np.prod([int(d) for d in dims.split(",") if d]))
        for dims in re.findall(r"[a-z]+[0-9]*\[([0-9,]*)\]", hlo_text)
    ]
    return max(sizes)


MEMORY_INITS = [
    jaxinit.uniform(),
    jaxinit.normal(),
    jaxinit.trunc_normal(),
    jaxinit.kaiming_normal(),
    jaxinit.xavier_uniform(),
    jaxinit.lecun_normal(),
    jaxinit.variance_scaling(1.0, "fan_avg", "truncated_normal"),
]


@pytest.mark.parametrize("init", MEMORY_INITS, ids=repr)
@pytest.mark.parametrize(
    "layout", [((8,), ("x",), P("x", None)), ((2, 4), ("a", "b"), P("a", "b"))], ids=["rows", "2d"]
)
def test_each_device_computes_only_its_shard(init, layout, key):
    mesh_shape, names, spec = layout
    sharding = NamedSharding(mesh(mesh_shape, names), spec)
    shape = (4096, 4096)
    shard_bytes = np.prod(shape) * 4 // 8
    compiled = jax.jit(lambda k: init(k, shape), out_shardings=sharding).lower(key).compile()
    memory = compiled.memory_analysis()  # per device
    assert memory.output_size_in_bytes == shard_bytes
    assert memory.temp_size_in_bytes <= 0.1 * shard_bytes
    # no whole-array buffer (counters, bits or values) anywhere in the partitioned program
    assert _largest_array(compiled.as_text()) <= np.prod(shape) // 8


@pytest.mark.parametrize("kind", ["auto", "explicit"])
def test_far_tail_trunc_normal_is_partitioned_too(kind, key):
    """The far tail runs block by block when unsharded; sharded, it must stay per-shard."""
    sharding = NamedSharding(mesh((8,), ("x",), kind), P("x", None))
    shape = (1024, 1024)
    init = jaxinit.trunc_normal(0.0, 1.0, -40.0, -30.0)
    with jax.set_mesh(sharding.mesh):
        compiled = jax.jit(lambda k: init(k, shape, out_sharding=sharding)).lower(key).compile()
    assert compiled.memory_analysis().output_size_in_bytes == np.prod(shape) * 4 // 8
    assert _largest_array(compiled.as_text()) <= np.prod(shape) // 8


def test_errors_name_the_argument(key):
    m = mesh((8,), ("x",))
    init = jaxinit.normal()
    with pytest.raises(ValueError, match=r"`out_sharding` .* cannot split shape \(10, 48\) evenly"):
        init(key, (10, 48), out_sharding=NamedSharding(m, P("x", None)))
    with pytest.raises(ValueError, match=r"has 3 entries, more than the 2 axes"):
        init(key, (8, 8), out_sharding=NamedSharding(m, P("x", None, None)))
    with jax.set_mesh(m), pytest.raises(ValueError, match=r"\by\b.*not found in mesh"):
        init(key, (8, 8), out_sharding=P("y"))  # JAX's own message names the axis


def test_whole_matrix_laws_warn_when_large_and_sharded(key):
    sharding = NamedSharding(mesh((8,), ("x",)), P("x", None))
    with pytest.warns(UserWarning, match="orthogonal needs the whole matrix"):
        jax.eval_shape(lambda k: jaxinit.orthogonal()(k, (4096, 4096), out_sharding=sharding), key)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jax.eval_shape(lambda k: jaxinit.orthogonal()(k, (256, 256), out_sharding=sharding), key)
        jax.eval_shape(lambda k: jaxinit.normal()(k, (4096, 4096), out_sharding=sharding), key)


def test_flax_nnx_with_partitioning(key):
    from flax import nnx

    def make(partitioned):
        init = jaxinit.xavier_uniform()
        kernel_init = nnx.with_partitioning(init, (None, "model")) if partitioned else init
        return nnx.Linear(64, 128, kernel_init=kernel_init, rngs=nnx.Rngs(0))

    expected = np.asarray(make(False).kernel[...])

    @nnx.jit
    def create():
        model = make(True)
        state = nnx.state(model)
        nnx.update(model, jax.lax.with_sharding_constraint(state, nnx.get_partition_spec(state)))
        return model

    m = mesh((2, 4), ("data", "model"))
    with jax.set_mesh(m):
        for model in (create(), make(True)):  # under nnx.jit, and eagerly
            kernel = model.kernel[...]
            assert kernel.sharding.is_equivalent_to(NamedSharding(m, P(None, "model")), 2)
            np.testing.assert_array_equal(np.asarray(kernel), expected)


def test_flax_linen_with_partitioning(key):
    from flax import linen as nn

    class Model(nn.Module):
        partitioned: bool

        @nn.compact
        def __call__(self, x):
            init = jaxinit.kaiming_normal()
            if self.partitioned:
                init = nn.with_partitioning(init, ("model", None))
            return nn.Dense(256, kernel_init=init)(x)

    x = jnp.ones((2, 128))
    expected = np.asarray(Model(False).init(key, x)["params"]["Dense_0"]["kernel"])
    m = mesh((2, 4), ("data", "model"))
    abstract = jax.eval_shape(Model(True).init, key, x)
    variables = jax.jit(Model(True).init, out_shardings=nn.get_sharding(abstract, m))(key, x)
    kernel = variables["params"]["Dense_0"]["kernel"].value
    assert kernel.sharding.is_equivalent_to(NamedSharding(m, P("model", None)), 2)
    np.testing.assert_array_equal(np.asarray(kernel), expected)


def _abstract_tree(m, layers=3):
    """A small transformer's parameters as ShapeDtypeStructs carrying their shardings."""
    tree = {"embed": ((64, 48), P(None, "x"))}
    for i in range(layers):
        tree.update(
            {
                f"h{i}/qkv/kernel": ((48, 96), P(None, "x")),
                f"h{i}/qkv/bias": ((96,), P("x")),
                f"h{i}/proj/kernel": ((96, 48), P("x", None)),
                f"h{i}/proj/bias": ((48,), P()),
                f"h{i}/ln/scale": ((48,), P()),
                f"h{i}/orth/kernel": ((48, 48), P("x", None)),
            }
        )
    return {
        p: jax.ShapeDtypeStruct(s, jnp.float32, sharding=NamedSharding(m, spec))
        for p, (s, spec) in tree.items()
    }


WHOLE_TREE_RULES = {
    "*/proj/kernel": jaxinit.normal(0.0, 0.01),
    "*/orth/kernel": jaxinit.orthogonal(),
    "*/scale": jaxinit.ones(),
    "*/bias": jaxinit.uniform(-0.1, 0.1),
    "*": jaxinit.trunc_normal(0.0, 0.02, -0.04, 0.04),
}


@pytest.mark.parametrize("kind", ["auto", "explicit"])
@pytest.mark.parametrize("where", ["eager", "jit", "jit with out_shardings"])
def test_whole_tree_keeps_each_leafs_sharding_and_the_unsharded_values(kind, where, key):
    """reinit of an abstract tree whose leaves carry shardings: each array comes out with its
    sharding (stacks under jit, kernels per signature eagerly) and the unsharded values."""
    m = mesh((8,), ("x",), kind)
    tree = _abstract_tree(m)
    unsharded = {p: jax.ShapeDtypeStruct(s.shape, s.dtype) for p, s in tree.items()}
    want = jaxinit.reinit(unsharded, key, WHOLE_TREE_RULES)
    if where == "eager":
        got = jaxinit.reinit(tree, key, WHOLE_TREE_RULES)
    else:
        out_shardings = {p: s.sharding for p, s in tree.items()} if where.endswith("out_shardings") else None
        fn = jax.jit(lambda k: jaxinit.reinit(tree, k, WHOLE_TREE_RULES), out_shardings=out_shardings)
        if kind == "explicit":
            with jax.set_mesh(m):
                got = fn(key)
        else:
            got = fn(key)
    for p, struct in tree.items():
        assert got[p].sharding.is_equivalent_to(struct.sharding, len(struct.shape)), p
        np.testing.assert_array_equal(np.asarray(got[p]), np.asarray(want[p]), err_msg=p)


def test_whole_tree_under_jit_computes_each_shard_once(key):
    """The stacks are partitioned: no buffer in the compiled program holds a whole stacked
    array that is sharded (each device samples only its shards)."""
    m = mesh((8,), ("x",))
    tree = {
        f"h{i}/kernel": jax.ShapeDtypeStruct((256, 512), jnp.float32, sharding=NamedSharding(m, P(None, "x")))
        for i in range(4)
    }
    compiled = jax.jit(lambda k: jaxinit.reinit(tree, k, {"*": jaxinit.normal()})).lower(key).compile()
    assert _largest_array(compiled.as_text()) <= 4 * 256 * 512 // 8


@pytest.mark.parametrize("where", ["default device", "device 3"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched chunks", "kernel per signature"])
def test_whole_tree_leaves_are_placed_as_single_draws(where, batched, key, monkeypatch):
    """Eagerly, each leaf of an unsharded abstract tree lands where ``init(path_key(key, path),
    ...)`` alone would: on the key's device, committed exactly when the key is."""
    from jaxinit._src import engine

    if not batched:
        monkeypatch.setattr(engine, "HOST_PLATFORMS", ())
    if where != "default device":
        key = jax.device_put(key, jax.devices()[3])
    tree = {
        "a/kernel": jax.ShapeDtypeStruct((40, 24), jnp.float32),
        "b/kernel": jax.ShapeDtypeStruct((24, 8), jnp.float32),
        "a/bias": jax.ShapeDtypeStruct((24,), jnp.float32),
    }
    rules = {"*/kernel": jaxinit.normal(0.0, 0.02), "*/bias": jaxinit.uniform(-0.1, 0.1)}
    got = jaxinit.reinit(tree, key, rules)
    for path, struct in tree.items():
        init = rules["*/kernel" if path.endswith("kernel") else "*/bias"]
        want = init(jaxinit.path_key(key, path), struct.shape, struct.dtype)
        assert got[path].devices() == want.devices(), (path, got[path].devices(), want.devices())
        assert got[path].committed == want.committed, path
        np.testing.assert_array_equal(np.asarray(got[path]), np.asarray(want), err_msg=path)


def test_a_key_replicated_over_devices(key):
    """A key replicated over a mesh draws what the key alone draws, eagerly (chunks are for a
    key on one device) and whole-tree, placed as the kernel places it, single or whole-tree."""
    replicated = jax.device_put(key, NamedSharding(mesh((8,), ("x",)), P()))
    tree = {
        "a/kernel": jax.ShapeDtypeStruct((300, 40), jnp.float32),
        "a/bias": jax.ShapeDtypeStruct((40,), jnp.float32),
    }
    rules = {"*": jaxinit.normal(0.0, 0.02)}
    got = jaxinit.reinit(tree, replicated, rules)
    want = jaxinit.reinit(tree, key, rules)
    for path, struct in tree.items():
        single = rules["*"](jaxinit.path_key(replicated, path), struct.shape, struct.dtype)
        assert got[path].sharding == single.sharding, path
        np.testing.assert_array_equal(np.asarray(single), np.asarray(want[path]), err_msg=path)
        np.testing.assert_array_equal(np.asarray(got[path]), np.asarray(want[path]), err_msg=path)
    np.testing.assert_array_equal(
        np.asarray(jaxinit.kaiming_uniform()(replicated, (300, 40))),
        np.asarray(jaxinit.kaiming_uniform()(key, (300, 40))),
    )
