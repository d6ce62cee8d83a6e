"""Run by tests/test_generator.py in a new process: keys handed out by a shared Generator,
by the default generator behind jaxinit.inplace, and eager draws of the same shapes from 8
threads at once: no key twice, the same multiset of keys as a serial run, the same values."""

import sys
import threading
from collections import Counter

import jax
import jax.numpy as jnp
import numpy as np

import jaxinit
from jaxinit import inplace

THREADS, CALLS = 8, 200


def run_threads(work):
    results = [None] * THREADS
    barrier = threading.Barrier(THREADS)

    def target(i):
        barrier.wait()  # start together, to collide as much as possible
        results[i] = work()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [item for chunk in results for item in chunk]


def key_bytes(key):
    return np.asarray(jax.random.key_data(key)).tobytes()


def main():
    failures = []
    # 1. next_key on a shared Generator
    gen = jaxinit.Generator(7)
    threaded = run_threads(lambda: [key_bytes(gen.next_key()) for _ in range(CALLS)])
    serial_gen = jaxinit.Generator(7)
    serial = [key_bytes(serial_gen.next_key()) for _ in range(THREADS * CALLS)]
    if len(set(threaded)) != THREADS * CALLS or Counter(threaded) != Counter(serial):
        failures.append(f"Generator.next_key: {len(set(threaded))} distinct keys of {len(threaded)}")

    # 2. the default generator behind the inplace shim: every draw a distinct key
    inplace.manual_seed(3)
    shape = (4, 5)
    drawn = run_threads(
        lambda: [np.asarray(inplace.normal_(jnp.zeros(shape))).tobytes() for _ in range(CALLS // 4)]
    )
    inplace.manual_seed(3)
    serial = [np.asarray(inplace.normal_(jnp.zeros(shape))).tobytes() for _ in range(THREADS * CALLS // 4)]
    if len(set(drawn)) != len(drawn) or Counter(drawn) != Counter(serial):
        failures.append(f"inplace default generator: {len(set(drawn))} distinct arrays of {len(drawn)}")

    # 3. eager draws of shared new shapes (the chunk/compile tiering under threads)
    key = jax.random.key(5)
    shapes = [(3, 7 + i) for i in range(6)]
    init = jaxinit.kaiming_uniform()
    threaded = run_threads(
        lambda: [(s, np.asarray(init(key, s)).tobytes()) for s in shapes for _ in range(3)]
    )
    reference = {s: np.asarray(jax.jit(init, static_argnums=1)(key, s)).tobytes() for s in shapes}
    wrong = [s for s, value in threaded if value != reference[s]]
    if wrong:
        failures.append(f"threaded eager draws differ from jit for shapes {sorted(set(wrong))}")

    print(f"checked {THREADS} threads")
    for failure in failures:
        print("FAIL", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
