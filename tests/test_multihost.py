"""Multi-host initialisation, proven on one machine: two processes joined by
jax.distributed.initialize (coordinator on 127.0.0.1, CPU devices, gloo collectives), with a
mesh spanning both. Each process must hold only its own shards, and together they must be
exactly the unsharded single-process draw."""

import importlib.util
import os
import pathlib
import pickle
import socket
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "multihost" / "worker.py"
PROCESSES = 2


def load_worker():
    spec = importlib.util.spec_from_file_location("multihost_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_processes(tmp_path) -> list:
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JAX_PLATFORMS")}
    env.update(
        JAX_PLATFORMS="cpu",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        XLA_FLAGS=f"--xla_force_host_platform_device_count={load_worker().LOCAL_DEVICES}",
    )
    port = free_port()
    outs = [tmp_path / f"process{i}.pkl" for i in range(PROCESSES)]
    logs = [open(tmp_path / f"process{i}.log", "w+") for i in range(PROCESSES)]
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(i), str(PROCESSES), str(port), str(out)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for i, (out, log) in enumerate(zip(outs, logs))
    ]
    try:
        codes = [p.wait(timeout=420) for p in procs]
    finally:
        for p in procs:  # a process whose peer died waits for it: do not leave it behind
            if p.poll() is None:
                p.kill()
                p.wait()
    report = ""
    for i, log in enumerate(logs):
        log.seek(0)
        report += f"--- process {i} ---\n{log.read()[-4000:]}\n"
        log.close()
    assert codes == [0] * PROCESSES, report
    return [pickle.loads(out.read_bytes()) for out in outs]


@pytest.mark.slow
def test_two_processes_hold_their_shards_of_the_unsharded_values(tmp_path):
    import jax
    import jax.numpy as jnp

    worker = load_worker()
    held = run_processes(tmp_path)
    assert [h["process_index"] for h in held] == list(range(PROCESSES))

    key = jax.random.key(0)
    expected = {
        name: np.asarray(init(key, shape, jnp.dtype(dtype))) for name, init, shape, dtype, _ in worker.cases()
    }
    model = worker.nnx_model(partitioned=False)
    expected["nnx"] = {"kernel": np.asarray(model.kernel[...]), "bias": np.asarray(model.bias[...])}

    for name, variant in held[0]["draws"]:
        full = expected[name][variant] if name == "nnx" else expected[name]
        covered = np.zeros(full.shape, int)
        for process in held:
            shards = process["draws"][name, variant]
            assert len(shards) == worker.LOCAL_DEVICES  # one shard per local device, no more
            mine = np.zeros(full.shape, bool)
            for index, values in shards:
                where = tuple(slice(start, stop) for start, stop in index)
                np.testing.assert_array_equal(values, full[where], err_msg=f"{name} {variant} {index}")
                covered[where] += 1
                mine[where] = True
            assert not mine.all(), (name, variant)  # no process holds the whole array
        # every element is held somewhere; sharded axes split it over the processes
        assert covered.min() >= 1, (name, variant)
        assert covered.max() <= PROCESSES * worker.LOCAL_DEVICES // 2, (name, variant)


def test_importing_jaxinit_does_not_start_jax():
    """jax.distributed.initialize must come before JAX's backend starts; a program imports
    jaxinit at the top, before it calls initialize, so the import must not start it."""
    code = (
        "import jaxinit, jaxinit.inplace, jaxinit.torch_defaults\n"
        "from jax._src import xla_bridge\n"
        "assert not xla_bridge.backends_are_initialized(), 'importing jaxinit started JAX'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
