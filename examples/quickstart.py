"""jaxinit quickstart: a small Flax CNN whose layers are initialised with jaxinit.

For every parameter it prints the law jaxinit reports (``init.distribution(shape)``) next to
what the drawn values measure, then runs one forward pass. Runs on CPU in a few seconds.

    pip install -e ".[examples]" && python examples/quickstart.py
"""

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

import jaxinit

CONV_INIT = jaxinit.kaiming_normal(mode="fan_out", nonlinearity="relu")
DENSE_INIT = jaxinit.xavier_uniform()
HEAD_INIT = jaxinit.trunc_normal(std=0.02, a=-0.04, b=0.04)


class SmallCNN(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.conv1 = nnx.Conv(3, 32, (3, 3), kernel_init=CONV_INIT, bias_init=jaxinit.zeros(), rngs=rngs)
        self.conv2 = nnx.Conv(32, 64, (3, 3), kernel_init=CONV_INIT, bias_init=jaxinit.zeros(), rngs=rngs)
        self.dense = nnx.Linear(64, 256, kernel_init=DENSE_INIT, bias_init=jaxinit.constant(0.01), rngs=rngs)
        self.head = nnx.Linear(256, 10, kernel_init=HEAD_INIT, bias_init=jaxinit.zeros(), rngs=rngs)

    def __call__(self, x):
        x = jax.nn.relu(self.conv1(x))
        x = jax.nn.relu(self.conv2(x))
        x = jnp.mean(x, axis=(1, 2))
        return self.head(jax.nn.relu(self.dense(x)))


def main():
    model = SmallCNN(nnx.Rngs(0))
    print(f"{'parameter':<14}{'shape':<18}{'law':<58}{'law std':>10}{'measured':>10}")
    for name, init in [
        ("conv1", CONV_INIT),
        ("conv2", CONV_INIT),
        ("dense", DENSE_INIT),
        ("head", HEAD_INIT),
    ]:
        kernel = getattr(model, name).kernel[...]
        law = init.distribution(kernel.shape)
        params = ", ".join(f"{k}={v:.4g}" for k, v in law.params.items())
        print(
            f"{name + '.kernel':<14}{str(kernel.shape):<18}{law.family + '(' + params + ')':<58}"
            f"{law.scipy().std():>10.4f}{float(np.std(kernel)):>10.4f}"
        )
    images = jax.random.normal(jax.random.key(1), (8, 16, 16, 3))
    logits = model(images)
    print(f"\nforward pass: logits {logits.shape}, std {float(logits.std()):.4f}")
    print(
        "same key, same values:",
        bool(
            (CONV_INIT(jax.random.key(5), (3, 3, 3, 32)) == CONV_INIT(jax.random.key(5), (3, 3, 3, 32))).all()
        ),
    )


if __name__ == "__main__":
    main()
