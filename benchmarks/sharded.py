"""A GPT-2-medium-sized parameter tree (about 355M parameters) initialised sharded over 8
virtual CPU devices: jaxinit's whole-tree path (``jaxinit.reinit`` of the abstract tree, its
leaves carrying their shardings), called eagerly and inside ``jax.jit``, and jaxinit leaf by
leaf, against jax.nn.initializers leaf by leaf (inside ``jax.jit``), in one run.

    python benchmarks/sharded.py          # about a minute on a 2-core CPU

Reports, per device, the XLA temp and output memory of the compiled initialisation (from
``memory_analysis()``: an SPMD program is compiled per device), the largest buffer in the
partitioned program, and the warm time of the whole initialisation (median of 3).
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")

import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import (
    NamedSharding,  # noqa: E402
    PartitionSpec as P,  # noqa: E402
)

import jaxinit  # noqa: E402

VOCAB, CONTEXT, WIDTH, LAYERS = 50257, 1024, 1024, 24
STD = 0.02
PROJ_STD = STD / math.sqrt(2 * LAYERS)  # GPT-2's scaled residual projections


def gpt2_medium() -> dict:
    """{name: (shape, spec, kind)}: kind is 'normal', 'proj' (scaled normal), 'zeros' or 'ones'.

    Megatron-style model parallelism over one mesh axis "x": column-parallel kernels split
    their outputs, row-parallel kernels their inputs; embeddings split the hidden axis.
    """
    tree = {
        "wte": ((VOCAB, WIDTH), P(None, "x"), "normal"),
        "wpe": ((CONTEXT, WIDTH), P(None, "x"), "normal"),
    }
    for i in range(LAYERS):
        h = f"h{i}/"
        tree.update(
            {
                h + "ln_1/scale": ((WIDTH,), P(), "ones"),
                h + "ln_1/bias": ((WIDTH,), P(), "zeros"),
                h + "attn/c_attn/kernel": ((WIDTH, 3 * WIDTH), P(None, "x"), "normal"),
                h + "attn/c_attn/bias": ((3 * WIDTH,), P("x"), "zeros"),
                h + "attn/c_proj/kernel": ((WIDTH, WIDTH), P("x", None), "proj"),
                h + "attn/c_proj/bias": ((WIDTH,), P(), "zeros"),
                h + "ln_2/scale": ((WIDTH,), P(), "ones"),
                h + "ln_2/bias": ((WIDTH,), P(), "zeros"),
                h + "mlp/c_fc/kernel": ((WIDTH, 4 * WIDTH), P(None, "x"), "normal"),
                h + "mlp/c_fc/bias": ((4 * WIDTH,), P("x"), "zeros"),
                h + "mlp/c_proj/kernel": ((4 * WIDTH, WIDTH), P("x", None), "proj"),
                h + "mlp/c_proj/bias": ((WIDTH,), P(), "zeros"),
            }
        )
    tree.update({"ln_f/scale": ((WIDTH,), P(), "ones"), "ln_f/bias": ((WIDTH,), P(), "zeros")})
    return tree


LIBRARIES = {
    "jaxinit": {
        "normal": jaxinit.normal(0.0, STD),
        "proj": jaxinit.normal(0.0, PROJ_STD),
        "zeros": jaxinit.zeros(),
        "ones": jaxinit.ones(),
    },
    "jax": {
        "normal": jax.nn.initializers.normal(STD),
        "proj": jax.nn.initializers.normal(PROJ_STD),
        "zeros": jax.nn.initializers.zeros,
        "ones": jax.nn.initializers.ones,
    },
}


# the whole-tree path: rules by path, first match wins
RULES = {
    "*/c_proj/kernel": jaxinit.normal(0.0, PROJ_STD),
    "*/scale": jaxinit.ones(),
    "*/bias": jaxinit.zeros(),
    "*": jaxinit.normal(0.0, STD),
}


def abstract_tree(mesh) -> dict:
    return {
        n: jax.ShapeDtypeStruct(shape, jnp.float32, sharding=NamedSharding(mesh, spec))
        for n, (shape, spec, _) in gpt2_medium().items()
    }


def build(library: str, mesh):
    tree = gpt2_medium()
    names = sorted(tree)
    out_shardings = {n: NamedSharding(mesh, tree[n][1]) for n in names}
    if library == "jaxinit":
        abstract = abstract_tree(mesh)
        return jax.jit(lambda key: jaxinit.reinit(abstract, key, RULES), out_shardings=out_shardings)
    inits = LIBRARIES["jaxinit" if library == "jaxinit per leaf" else "jax"]

    def init(key):
        keys = jax.random.split(key, len(names))
        return {n: inits[tree[n][2]](k, tree[n][0], jnp.float32) for n, k in zip(names, keys)}

    return jax.jit(init, out_shardings=out_shardings)


def largest_buffer(hlo_text: str) -> int:
    return max(
        int(np.prod([int(d) for d in dims.split(",") if d]))
        for dims in re.findall(r"[a-z]+[0-9]*\[([0-9,]*)\]", hlo_text)
    )


def measure(library: str, mesh, repeats: int = 3) -> dict:
    fn = build(library, mesh)
    key = jax.random.key(0)
    start = time.perf_counter()
    compiled = fn.lower(key).compile()
    compile_s = time.perf_counter() - start
    memory = compiled.memory_analysis()
    jax.block_until_ready(compiled(key))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(compiled(key))
        times.append(time.perf_counter() - start)
    return {
        "compile_s": compile_s,
        "run_s": statistics.median(times),
        "temp_mib_per_device": memory.temp_size_in_bytes / 2**20,
        "output_mib_per_device": memory.output_size_in_bytes / 2**20,
        "largest_buffer_elements": largest_buffer(compiled.as_text()),
    }


def measure_eager(mesh, repeats: int = 3) -> dict:
    """The whole-tree path called eagerly: jaxinit compiles its own programs (one per law,
    shape and sharding), so the first call's time includes them; XLA's compile seconds are
    summed from jax.monitoring."""
    compiles: list[float] = []

    def listen(name: str, seconds: float, **_: object) -> None:
        if name == "/jax/core/compile/backend_compile_duration":
            compiles.append(seconds)

    jax.monitoring.register_event_duration_secs_listener(listen)
    abstract, key = abstract_tree(mesh), jax.random.key(0)
    start = time.perf_counter()
    out = jax.block_until_ready(jaxinit.reinit(abstract, key, RULES))
    first_s = time.perf_counter() - start
    compile_s = sum(compiles)
    assert all(out[n].sharding.is_equivalent_to(abstract[n].sharding, out[n].ndim) for n in abstract)
    del out
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(jaxinit.reinit(abstract, key, RULES))
        times.append(time.perf_counter() - start)
    return {
        "first_call_s": first_s,
        "compile_s": compile_s,
        "programs": len(compiles),
        "run_s": statistics.median(times),
    }


def main() -> None:
    devices = jax.devices()
    mesh = jax.make_mesh((len(devices),), ("x",))
    params = sum(math.prod(shape) for shape, _, _ in gpt2_medium().values())
    print(
        json.dumps(
            {
                "jax": jax.__version__,
                "devices": len(devices),
                "platform": devices[0].platform,
                "parameters": params,
                "date": time.strftime("%Y-%m-%d"),
            }
        )
    )
    eager = measure_eager(mesh)  # first, in a process that has compiled nothing yet
    results = {lib: measure(lib, mesh) for lib in ("jaxinit", "jaxinit per leaf", "jax")}
    ours, theirs = results["jaxinit"], results["jax"]
    print(
        f"jaxinit eager    first call {eager['first_call_s']:5.2f} s (compile {eager['compile_s']:5.2f} s "
        f"in {eager['programs']} programs), warm {eager['run_s']:5.2f} s"
    )
    for lib, r in results.items():
        print(
            f"{lib:16s} run {r['run_s']:6.2f} s  compile {r['compile_s']:5.2f} s  per device: "
            f"temp {r['temp_mib_per_device']:7.1f} MiB  output {r['output_mib_per_device']:6.1f} MiB  "
            f"largest buffer {r['largest_buffer_elements']:,} elements"
        )
    jax_total = theirs["compile_s"] + theirs["run_s"]
    print(
        f"jaxinit (whole tree, eager): compile {eager['compile_s'] / theirs['compile_s']:.2f}x jax's, "
        f"time to arrays {jax_total / eager['first_call_s']:.2f}x faster than jax's compile + run"
    )
    print(
        f"jaxinit (whole tree, in jit): compile {ours['compile_s'] / theirs['compile_s']:.2f}x jax's, run "
        f"{theirs['run_s'] / ours['run_s']:.2f}x faster, compile + run "
        f"{(theirs['compile_s'] + theirs['run_s']) / (ours['compile_s'] + ours['run_s']):.2f}x faster, "
        f"per-device temp {ours['temp_mib_per_device']:.1f} MiB vs {theirs['temp_mib_per_device']:.1f} MiB"
    )


if __name__ == "__main__":
    main()
