"""Multi-host initialisation: every process computes only the shards on its own devices.

Run the same script on every host, with the same seed; the processes meet through
``jax.distributed.initialize``, and each one draws only its addressable shards of a
(50304, 1024) embedding sharded over all devices of all hosts. The values are those of one
unsharded call, so the hosts exchange nothing but the handshake.

    # on each of 2 hosts (HOST0 is the first host's address):
    python examples/multihost.py --coordinator HOST0:12345 --num-processes 2 --process-id 0
    python examples/multihost.py --coordinator HOST0:12345 --num-processes 2 --process-id 1

    # or try it on one machine: two local processes, two CPU devices each
    python examples/multihost.py
"""

import argparse
import os
import socket
import subprocess
import sys

SHAPE = (50304, 1024)


def process(coordinator: str, num_processes: int, process_id: int) -> None:
    import jax
    from jax.sharding import NamedSharding, PartitionSpec as P

    import jaxinit

    jax.distributed.initialize(
        coordinator_address=coordinator, num_processes=num_processes, process_id=process_id
    )
    mesh = jax.make_mesh((jax.device_count(),), ("model",), axis_types=(jax.sharding.AxisType.Auto,))
    init = jaxinit.normal(std=0.02)
    w = init(jax.random.key(0), SHAPE, out_sharding=NamedSharding(mesh, P(None, "model")))
    for shard in w.addressable_shards:  # this process's devices only
        print(
            f"process {jax.process_index()}: device {shard.device.id} holds columns "
            f"{shard.index[1].start}:{shard.index[1].stop}, checksum {float(shard.data.sum()):.6f}",
            flush=True,
        )
    jax.distributed.shutdown()


def launch_locally(num_processes: int = 2, devices_per_process: int = 2) -> list:
    """Start ``num_processes`` copies of this script on this machine; return their outputs."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(
        os.environ,
        JAX_PLATFORMS="cpu",
        XLA_FLAGS=f"--xla_force_host_platform_device_count={devices_per_process}",
    )
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--coordinator",
                f"127.0.0.1:{port}",
                "--num-processes",
                str(num_processes),
                "--process-id",
                str(i),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(num_processes)
    ]
    try:
        outputs = [p.communicate(timeout=300)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, out in zip(procs, outputs):
        if p.returncode != 0:
            raise RuntimeError(f"a process failed:\n{out[-3000:]}")
    return outputs


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coordinator", help="host:port of process 0")
    parser.add_argument("--num-processes", type=int, default=2)
    parser.add_argument("--process-id", type=int)
    args = parser.parse_args()
    if args.coordinator is None:
        for out in launch_locally(args.num_processes):
            print(out, end="")
    else:
        process(args.coordinator, args.num_processes, args.process_id)
