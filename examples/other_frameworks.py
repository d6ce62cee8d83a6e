"""jaxinit with Equinox and Haiku (neither is a dependency of jaxinit).

* Equinox stores Linear and Conv weights as ``(out, in, *spatial)``: re-initialise a built
  module with :func:`jaxinit.reinit` and ``layout="torch"`` initializers.
* Haiku initializers take ``(shape, dtype)`` and draw ``hk.next_rng_key()``:
  :func:`jaxinit.to_haiku` adapts any jaxinit initializer in one call.

    pip install equinox dm-haiku && python examples/other_frameworks.py
"""

import jax
import jax.numpy as jnp

import jaxinit


def equinox_demo():
    import equinox as eqx

    key = jax.random.key(0)
    mlp = eqx.nn.MLP(64, 10, width_size=128, depth=3, activation=jax.nn.relu, key=key)
    conv = eqx.nn.Conv2d(16, 32, kernel_size=3, key=key)
    rules = {"*weight": jaxinit.kaiming_normal(nonlinearity="relu", layout="torch"), "*bias": jaxinit.zeros()}
    mlp = jaxinit.reinit(mlp, jax.random.key(1), rules)
    conv = jaxinit.reinit(conv, jax.random.key(2), rules)
    for name, weight in [("mlp.layers[0].weight", mlp.layers[0].weight), ("conv.weight", conv.weight)]:
        std = rules["*weight"].distribution(weight.shape).std
        print(
            f"equinox {name:<22} {str(weight.shape):<16} law std {std:.4f}  measured {float(weight.std()):.4f}"
        )
    return mlp, conv


def haiku_demo():
    import warnings

    import haiku as hk

    def forward(x):
        return hk.Linear(
            10, w_init=jaxinit.to_haiku(jaxinit.xavier_uniform()), b_init=jaxinit.to_haiku(jaxinit.zeros())
        )(x)

    with warnings.catch_warnings():  # haiku itself may emit deprecation warnings on new JAX
        warnings.simplefilter("ignore", DeprecationWarning)
        params = hk.transform(forward).init(jax.random.key(0), jnp.ones((1, 300)))
    w = params["linear"]["w"]
    bound = jaxinit.xavier_uniform().distribution(w.shape).high
    print(f"haiku   linear.w {str(w.shape):<16} bound {bound:.4f}  max |w| {float(jnp.abs(w).max()):.4f}")
    return params


if __name__ == "__main__":
    equinox_demo()
    haiku_demo()
