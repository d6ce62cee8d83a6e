"""Time to first parameters of a whole model, as the depth grows: jaxinit's whole-tree path
(eager, and inside the caller's jit) and jaxinit leaf by leaf, against jax.nn.initializers leaf
by leaf. Every figure comes from its own fresh process and is end to end: trace + compile + run.

    python benchmarks/compile.py                  # depths 6, 12, 24, 48: about 15 minutes on 2 cores
    python benchmarks/compile.py --depths 2 4     # a quick check that the script works
    python benchmarks/compile.py --json out.json  # also write the figures as JSON

The tree is a transformer's: width 256, MLP 1024, vocabulary 4096; per layer a QKV, an output
and two MLP kernels with their biases. Two variants:

* ``normal``: every leaf ``normal(0.02)`` (as in issue 17's measurements);
* ``model``: kernels and the embedding ``normal(0.02)``, biases zeros, and two LayerNorms per
  layer (ones and zeros), as real models have.

Modes (each a fresh process):

* ``whole tree, eager``: ``jaxinit.reinit(abstract_tree, key, rules)`` called eagerly;
* ``whole tree, in jit``: ``jax.jit(lambda k: jaxinit.reinit(abstract_tree, k, rules))(key)``;
* ``jaxinit per leaf``: one ``jax.jit`` calling each jaxinit initializer on its leaf (as a model
  whose layers call ``kernel_init`` would);
* ``jax.nn per leaf``: the same with ``jax.nn.initializers``.

Each row reports the seconds to the arrays (block_until_ready), the compile seconds (XLA's backend
compile, summed from jax.monitoring), the process's peak resident memory, and the XLA temp memory
of the jitted modes (``memory_analysis()``). Compare ratios in one run, not absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

WIDTH, MLP, VOCAB = 256, 1024, 4096
MODES = ("whole tree, eager", "whole tree, in jit", "jaxinit per leaf", "jax.nn per leaf")
TREES = ("normal", "model")


def shapes(depth: int, tree: str) -> dict[str, tuple[tuple[int, ...], str]]:
    """{path: (shape, kind)}, kind 'normal', 'zeros' or 'ones'."""
    bias = "normal" if tree == "normal" else "zeros"
    out = {"embed/embedding": ((VOCAB, WIDTH), "normal")}
    for i in range(depth):
        h = f"h{i}/"
        out.update(
            {
                h + "attn/qkv/kernel": ((WIDTH, 3 * WIDTH), "normal"),
                h + "attn/qkv/bias": ((3 * WIDTH,), bias),
                h + "attn/out/kernel": ((WIDTH, WIDTH), "normal"),
                h + "attn/out/bias": ((WIDTH,), bias),
                h + "mlp/fc1/kernel": ((WIDTH, MLP), "normal"),
                h + "mlp/fc1/bias": ((MLP,), bias),
                h + "mlp/fc2/kernel": ((MLP, WIDTH), "normal"),
                h + "mlp/fc2/bias": ((WIDTH,), bias),
            }
        )
        if tree == "model":
            for ln in ("ln1", "ln2"):
                out.update({h + ln + "/scale": ((WIDTH,), "ones"), h + ln + "/bias": ((WIDTH,), "zeros")})
    if tree == "model":
        out.update({"ln_f/scale": ((WIDTH,), "ones"), "ln_f/bias": ((WIDTH,), "zeros")})
    return out


def child(mode: str, tree: str, depth: int) -> dict:
    """One measurement, in this (fresh) process."""
    import jax
    import jax.numpy as jnp

    import jaxinit

    compiles: list[float] = []

    def listen(name: str, seconds: float, **_: object) -> None:
        if name == "/jax/core/compile/backend_compile_duration":
            compiles.append(seconds)

    jax.monitoring.register_event_duration_secs_listener(listen)
    leaves = shapes(depth, tree)
    names = sorted(leaves)
    key = jax.random.key(0)
    ours = {"normal": jaxinit.normal(0.0, 0.02), "zeros": jaxinit.zeros(), "ones": jaxinit.ones()}
    theirs = {
        "normal": jax.nn.initializers.normal(0.02),
        "zeros": jax.nn.initializers.zeros,
        "ones": jax.nn.initializers.ones,
    }
    rules = {p: ours[kind] for p, (_, kind) in leaves.items()}
    abstract = {p: jax.ShapeDtypeStruct(shape, jnp.float32) for p, (shape, _) in leaves.items()}
    temp = None
    start = time.perf_counter()
    if mode == "whole tree, eager":
        out = jaxinit.reinit(abstract, key, rules)
    else:
        if mode == "whole tree, in jit":

            def init(k):
                return jaxinit.reinit(abstract, k, rules)
        else:
            table = ours if mode == "jaxinit per leaf" else theirs

            def init(k):
                keys = jax.random.split(k, len(names))
                return {n: table[leaves[n][1]](kk, leaves[n][0], jnp.float32) for n, kk in zip(names, keys)}

        compiled = jax.jit(init).lower(key).compile()
        temp = compiled.memory_analysis().temp_size_in_bytes
        out = compiled(key)
    jax.block_until_ready(out)
    seconds = time.perf_counter() - start
    return {
        "mode": mode,
        "tree": tree,
        "depth": depth,
        "leaves": len(leaves),
        "seconds": seconds,
        "compile_s": sum(compiles),
        "programs": len(compiles),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "temp_mib": None if temp is None else temp / 2**20,
        "output_mib": sum(x.nbytes for x in jax.tree_util.tree_leaves(out)) / 2**20,
    }


def measure(mode: str, tree: str, depth: int) -> dict:
    command = [sys.executable, __file__, "--child", mode, tree, str(depth)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ.copy())
    if done.returncode != 0:
        raise RuntimeError(f"{mode} / {tree} / depth {depth} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results: list[dict]) -> str:
    lines = []
    for tree in TREES:
        rows = [r for r in results if r["tree"] == tree]
        if not rows:
            continue
        lines.append(f"\ntree: {tree}")
        lines.append(
            "| depth (leaves) | "
            + " | ".join(MODES)
            + " | jax.nn / whole tree eager | jax.nn / whole tree in jit |"
        )
        lines.append("|---" * (len(MODES) + 3) + "|")
        for depth in sorted({r["depth"] for r in rows}):
            by = {r["mode"]: r for r in rows if r["depth"] == depth}
            cells = [
                f"{by[m]['seconds']:.2f} s (compile {by[m]['compile_s']:.2f}, {by[m]['peak_rss_mib']:.0f} MiB)"
                for m in MODES
            ]
            base = by["jax.nn per leaf"]["seconds"]
            lines.append(
                f"| {depth} ({by[MODES[0]]['leaves']}) | "
                + " | ".join(cells)
                + f" | {base / by[MODES[0]]['seconds']:.1f}x | {base / by[MODES[1]]['seconds']:.1f}x |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[6, 12, 24, 48])
    parser.add_argument("--trees", nargs="+", default=list(TREES), choices=TREES)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "TREE", "DEPTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, tree, depth = args.child
        print(json.dumps(child(mode, tree, int(depth))))
        return
    import jax

    print(
        json.dumps(
            {
                "jax": jax.__version__,
                "python": sys.version.split()[0],
                "platform": jax.devices()[0].platform,
                "cpus": os.cpu_count(),
                "date": time.strftime("%Y-%m-%d"),
            }
        )
    )
    results = []
    for depth in args.depths:
        for tree in args.trees:
            for mode in MODES:
                r = measure(mode, tree, depth)
                results.append(r)
                temp = "" if r["temp_mib"] is None else f", XLA temp {r['temp_mib']:.0f} MiB"
                print(
                    f"depth {depth:3d} {tree:6s} {mode:20s} {r['seconds']:7.2f} s  compile "
                    f"{r['compile_s']:6.2f} s in {r['programs']:3d} programs  peak RSS "
                    f"{r['peak_rss_mib']:6.0f} MiB (outputs {r['output_mib']:.0f} MiB{temp})",
                    flush=True,
                )
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
