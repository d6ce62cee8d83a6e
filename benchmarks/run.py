"""jaxinit against jax.nn.initializers (and torch.nn.init where installed), in one run.

    python benchmarks/run.py            # everything (a few minutes on a 2-core CPU)
    python benchmarks/run.py --quick    # small sizes, few repeats: checks the script works

Prints, for each initializer and size: warm time of the jit-compiled call (median of
interleaved repeats), XLA temp memory of the compiled program, and the ratios; then eager
cold start (the distinct ResNet-50 kernel shapes, each initialised once, in fresh
processes) and warm eager calls on a small shape. Ratios are what to compare: absolute
times on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import jax
import jax.numpy as jnp

import jaxinit

jnn = jax.nn.initializers

# torch's OpenMP threads spin after each call and would steal the cores from XLA's next call
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    import torch
except ImportError:  # torch is an optional reference
    torch = None

# (name, jaxinit initializer, the same law from jax.nn.initializers, torch in-place call)
CASES = [
    ("uniform", jaxinit.uniform(0.0, 1.0), jnn.uniform(1.0), lambda t: torch.nn.init.uniform_(t, 0.0, 1.0)),
    ("normal", jaxinit.normal(0.0, 1.0), jnn.normal(1.0), lambda t: torch.nn.init.normal_(t)),
    (
        "xavier_uniform",
        jaxinit.xavier_uniform(),
        jnn.glorot_uniform(),
        lambda t: torch.nn.init.xavier_uniform_(t),
    ),
    (
        "xavier_normal",
        jaxinit.xavier_normal(),
        jnn.variance_scaling(1.0, "fan_avg", "normal"),
        lambda t: torch.nn.init.xavier_normal_(t),
    ),
    (
        "kaiming_uniform",
        jaxinit.kaiming_uniform(),
        jnn.he_uniform(),
        lambda t: torch.nn.init.kaiming_uniform_(t),
    ),
    (
        "kaiming_normal",
        jaxinit.kaiming_normal(),
        jnn.variance_scaling(2.0, "fan_in", "normal"),
        lambda t: torch.nn.init.kaiming_normal_(t),
    ),
    (
        "trunc_normal",
        jaxinit.trunc_normal(0.0, 1.0, -2.0, 2.0),
        jnn.truncated_normal(1.0, lower=-2.0, upper=2.0),
        lambda t: torch.nn.init.trunc_normal_(t, 0.0, 1.0, -2.0, 2.0),
    ),
    (
        "lecun_normal",
        jaxinit.lecun_normal(),
        jnn.variance_scaling(1.0, "fan_in", "normal"),
        lambda t: torch.nn.init.normal_(t, 0.0, 1.0 / math.sqrt(t.shape[1])),
    ),
]
ORTHOGONAL = ("orthogonal", jaxinit.orthogonal(), jnn.orthogonal(), lambda t: torch.nn.init.orthogonal_(t))

TORCH_DTYPES = {"float32": "float32", "bfloat16": "bfloat16"}


def _median_times(fns: dict, repeats: int) -> dict:
    """Median seconds per call; the candidates take turns so that drift hits all of them."""
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def _compiled(init, shape, dtype):
    fn = jax.jit(lambda k: init(k, shape, dtype))
    key = jax.random.key(0)
    compiled = fn.lower(key).compile()
    temp = compiled.memory_analysis().temp_size_in_bytes
    return (lambda: compiled(key).block_until_ready()), temp


def throughput(cases, sizes, dtypes, repeats) -> list[dict]:
    rows = []
    for name, ours, theirs, torch_call in cases:
        for shape in sizes:
            for dtype in dtypes:
                run_ours, temp_ours = _compiled(ours, shape, dtype)
                run_jax, temp_jax = _compiled(theirs, shape, dtype)
                fns = {"jaxinit": run_ours, "jax": run_jax}
                if torch is not None:
                    tensor = torch.empty(shape[::-1], dtype=getattr(torch, TORCH_DTYPES[dtype]))
                    fns["torch"] = lambda t=tensor: torch_call(t)
                t = _median_times(fns, repeats)
                rows.append(
                    {
                        "init": name,
                        "shape": list(shape),
                        "dtype": dtype,
                        "jaxinit_ms": 1e3 * t["jaxinit"],
                        "jax_ms": 1e3 * t["jax"],
                        "torch_ms": 1e3 * t["torch"] if "torch" in t else None,
                        "speedup_vs_jax": t["jax"] / t["jaxinit"],
                        "speedup_vs_torch": t["torch"] / t["jaxinit"] if "torch" in t else None,
                        "output_mib": math.prod(shape) * jnp.dtype(dtype).itemsize / 2**20,
                        "jaxinit_temp_mib": temp_ours / 2**20,
                        "jax_temp_mib": temp_jax / 2**20,
                    }
                )
                _print_row(rows[-1])
    return rows


def _print_row(r):
    torch_part = (
        f"  torch {r['torch_ms']:8.2f} ms ({r['speedup_vs_torch']:5.2f}x)"
        if r["torch_ms"] is not None
        else ""
    )
    print(
        f"{r['init']:16s} {'x'.join(map(str, r['shape'])):>10s} {r['dtype']:8s} "
        f"jaxinit {r['jaxinit_ms']:8.2f} ms  jax {r['jax_ms']:8.2f} ms ({r['speedup_vs_jax']:5.2f}x)"
        f"{torch_part}  temp MiB: jaxinit {r['jaxinit_temp_mib']:7.2f}  jax {r['jax_temp_mib']:7.2f}"
        f"  (output {r['output_mib']:.2f})",
        flush=True,
    )


def resnet50_kernel_shapes() -> list[tuple[int, ...]]:
    """The distinct kernel shapes of ResNet-50 (bottleneck v1.5), in Flax layout (H, W, I, O)."""
    shapes = [(7, 7, 3, 64)]
    cin = 64
    for width, blocks in zip((64, 128, 256, 512), (3, 4, 6, 3)):
        for b in range(blocks):
            shapes += [(1, 1, cin, width), (3, 3, width, width), (1, 1, width, 4 * width)]
            if b == 0:
                shapes.append((1, 1, cin, 4 * width))  # projection shortcut
            cin = 4 * width
    shapes.append((2048, 1000))  # the classifier
    return list(dict.fromkeys(shapes))


def _cold_start_child(library: str) -> None:
    """Runs in a fresh process: time from the first call to the last, compilation included."""
    init = jaxinit.kaiming_normal() if library == "jaxinit" else jnn.variance_scaling(2.0, "fan_in", "normal")
    key = jax.random.key(0)
    start = time.perf_counter()
    for shape in resnet50_kernel_shapes():
        init(key, shape).block_until_ready()
    print(json.dumps({"seconds": time.perf_counter() - start}))


def cold_start(rounds: int) -> dict:
    times = {"jaxinit": [], "jax": []}
    for _ in range(rounds):
        for library in times:
            out = subprocess.run(
                [sys.executable, __file__, "--cold-start-child", library],
                capture_output=True,
                text=True,
                check=True,
            )
            times[library].append(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])
    best = {k: min(v) for k, v in times.items()}
    n = len(resnet50_kernel_shapes())
    print(
        f"cold start, {n} distinct ResNet-50 kernel shapes, fresh processes (best of {rounds}): "
        f"jaxinit {best['jaxinit']:.3f} s  jax {best['jax']:.3f} s  "
        f"({best['jax'] / best['jaxinit']:.1f}x faster)",
        flush=True,
    )
    return {
        "shapes": n,
        "jaxinit_s": best["jaxinit"],
        "jax_s": best["jax"],
        "speedup": best["jax"] / best["jaxinit"],
    }


def warm_eager(shape, repeats) -> dict:
    key = jax.random.key(0)
    ours, theirs = jaxinit.kaiming_normal(), jnn.variance_scaling(2.0, "fan_in", "normal")
    fns = {
        "jaxinit": lambda: ours(key, shape).block_until_ready(),
        "jax": lambda: theirs(key, shape).block_until_ready(),
    }
    if torch is not None:
        tensor = torch.empty(shape)
        fns["torch"] = lambda: torch.nn.init.kaiming_normal_(tensor)
    t = _median_times(fns, repeats)
    torch_part = f"  torch {1e6 * t['torch']:.0f} us" if "torch" in t else ""
    print(
        f"warm eager kaiming_normal {shape}: jaxinit {1e6 * t['jaxinit']:.0f} us  "
        f"jax {1e6 * t['jax']:.0f} us ({t['jax'] / t['jaxinit']:.2f}x){torch_part}",
        flush=True,
    )
    return {
        "shape": list(shape),
        **{f"{k}_us": 1e6 * v for k, v in t.items()},
        "speedup_vs_jax": t["jax"] / t["jaxinit"],
    }


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "jax": jax.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "device": str(jax.devices()[0].device_kind),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--cold-start-child", choices=["jaxinit", "jax"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_start_child:
        return _cold_start_child(args.cold_start_child)

    print(json.dumps(machine()))
    if args.quick:
        sizes, repeats, ortho_sizes, rounds = [(256, 256)], 3, [(64, 64)], 1
    else:
        sizes, repeats, ortho_sizes, rounds = (
            [(1024, 1024), (4096, 4096)],
            15,
            [(512, 512), (1024, 1024), (2048, 2048)],
            3,
        )
    results = {"machine": machine()}
    print("\n# jit-compiled, warm: float32")
    results["float32"] = throughput(CASES, sizes, ["float32"], repeats)
    print("\n# jit-compiled, warm: bfloat16")
    results["bfloat16"] = throughput(CASES[:2] + CASES[5:7], sizes[-1:], ["bfloat16"], repeats)
    print("\n# orthogonal (QR in float32)")
    results["orthogonal"] = throughput([ORTHOGONAL], ortho_sizes, ["float32"], max(3, repeats // 2))
    print("\n# eager")
    results["cold_start"] = cold_start(rounds)
    results["warm_eager"] = [warm_eager(shape, 20 if args.quick else 300) for shape in [(64, 64), (256, 256)]]
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
