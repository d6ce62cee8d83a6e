"""One process of the two-process test in tests/test_multihost.py; run there, not by pytest.

    python tests/multihost/worker.py PROCESS_ID NUM_PROCESSES PORT OUT_FILE

Joins the other process through ``jax.distributed.initialize`` (coordinator on 127.0.0.1),
builds a mesh over the devices of both processes, initialises every case of :func:`cases`
with ``out_sharding`` (eagerly and under ``jit``) and a Flax NNX model whose kernel and
bias are ``nnx.with_partitioning``, and pickles what this process holds: the index and the
values of each addressable shard. The parent test compares them with an unsharded draw.
"""

import pickle
import sys

MESH_SHAPE = (2, 2)  # ("host", "local"): "host" splits the processes
MESH_AXES = ("host", "local")
LOCAL_DEVICES = 2  # per process, from XLA_FLAGS


def cases():
    """(name, initializer, shape, dtype name, partition spec entries) for each draw."""
    import jaxinit

    both = ("host", "local")
    return [
        ("uniform", jaxinit.uniform(-0.5, 2.0), (64, 48), "float32", ("host", "local")),
        ("normal-bf16", jaxinit.normal(0.1, 3.0), (64, 48), "bfloat16", (None, both)),
        (
            "kaiming_normal",
            jaxinit.kaiming_normal(),
            (3, 3, 16, 32),
            "float32",
            (None, None, "local", "host"),
        ),
        ("xavier_uniform-f16", jaxinit.xavier_uniform(), (64, 48), "float16", (both, None)),
        ("trunc_normal", jaxinit.trunc_normal(0.0, 1.0, -2.0, 2.0), (64, 48), "float32", ("local", "host")),
        (
            "trunc_normal-far-tail",
            jaxinit.trunc_normal(0.0, 1.0, -40.0, -30.0),
            (64, 48),
            "float32",
            ("host", None),
        ),
        ("orthogonal", jaxinit.orthogonal(gain=2.0), (64, 48), "float32", ("host", "local")),
        ("sparse", jaxinit.sparse(0.25), (64, 48), "float32", (None, both)),
    ]


def nnx_model(partitioned: bool):
    """A Linear layer; partitioned: kernel split over both mesh axes, bias over "host"."""
    from flax import nnx

    import jaxinit

    kernel, bias = jaxinit.xavier_uniform(), jaxinit.uniform(-0.1, 0.1)
    if partitioned:
        kernel = nnx.with_partitioning(kernel, ("local", "host"))
        bias = nnx.with_partitioning(bias, ("host",))
    return nnx.Linear(32, 64, kernel_init=kernel, bias_init=bias, rngs=nnx.Rngs(0))


def shards(x) -> list:
    """What this process holds of the global array ``x``: (index, values) per local shard."""
    import numpy as np

    return [
        (tuple((s.start, s.stop) for s in shard.index), np.asarray(shard.data))
        for shard in x.addressable_shards
    ]


def main(process_id: int, num_processes: int, port: int, out: str) -> None:
    import jax
    from jax.sharding import NamedSharding, PartitionSpec

    import jaxinit  # noqa: F401  # before initialize, as a program would: must not start JAX

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=f"127.0.0.1:{port}",
        num_processes=num_processes,
        process_id=process_id,
        initialization_timeout=120,
    )
    assert jax.process_count() == num_processes, jax.process_count()
    assert jax.local_device_count() == LOCAL_DEVICES, jax.local_devices()
    mesh = jax.make_mesh(
        MESH_SHAPE,
        MESH_AXES,
        devices=jax.devices(),
        axis_types=(jax.sharding.AxisType.Auto,) * len(MESH_AXES),
    )
    key = jax.random.key(0)
    held = {"process_index": jax.process_index(), "draws": {}}
    for name, init, shape, dtype, spec in cases():
        sharding = NamedSharding(mesh, PartitionSpec(*spec))
        eager = init(key, shape, dtype, out_sharding=sharding)
        jitted = jax.jit(lambda k: init(k, shape, dtype), out_shardings=sharding)(key)
        for variant, x in (("eager", eager), ("jit", jitted)):
            assert not x.is_fully_addressable and x.shape == shape, (name, x.shape)
            assert x.sharding.is_equivalent_to(sharding, len(shape)), (name, x.sharding)
            held["draws"][name, variant] = shards(x)

    from flax import nnx

    @nnx.jit
    def create():
        model = nnx_model(partitioned=True)
        state = nnx.state(model)
        nnx.update(model, jax.lax.with_sharding_constraint(state, nnx.get_partition_spec(state)))
        return model

    with jax.set_mesh(mesh):
        model = create()
    for name in ("kernel", "bias"):
        x = getattr(model, name)[...]
        assert not x.is_fully_addressable, (name, x.sharding)
        held["draws"]["nnx", name] = shards(x)
    with open(out, "wb") as f:
        pickle.dump(held, f)
    jax.distributed.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
