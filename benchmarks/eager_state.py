"""Resident memory over many eager draws of ever new shapes (the eager-call counter is bounded).

    python benchmarks/eager_state.py [--calls 20000]

Prints the RSS after a warm-up of 1,000 draws and after ``--calls`` more, each of a shape not
drawn before, and the counter's size. Before the counter was bounded it kept one entry per
shape (16,000 entries after 20,000 shapes).
"""

import argparse
import resource
import time

import jax

import jaxinit
from jaxinit._src import engine


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    key = jax.random.key(0)
    init = jaxinit.normal()
    serial = iter(range(1, 10**9))
    for _ in range(1000):  # warm-up: chunk kernels compiled, allocator settled
        init(key, (2, next(serial)))
    before, start = rss_mib(), time.perf_counter()
    for _ in range(args.calls):
        init(key, (2, next(serial)))
    after = rss_mib()
    print(
        f"{args.calls} eager draws of new shapes in {time.perf_counter() - start:.1f} s: "
        f"RSS {before:.1f} MiB -> {after:.1f} MiB ({after - before:+.1f} MiB); "
        f"counter entries: {len(engine.EAGER_CALLS)} (capacity {engine.EAGER_CALLS.capacity})"
    )


if __name__ == "__main__":
    main()
