"""Code a user writes against jaxinit's types; CI runs ``mypy --strict`` on it (not pytest).

It must type-check: jaxinit's and jax's initializers are both ``jaxinit.typing.Initializer``,
factories take the documented ``Literal`` names, and laws have typed parameters.
"""

import jax
import jax.numpy as jnp
import numpy as np

import jaxinit
from jaxinit import inplace, jax_nn
from jaxinit.distributions import TruncatedNormal, Uniform
from jaxinit.typing import FanMode, Initializer, Layout


def build(init: Initializer, key: jax.Array) -> jax.Array:
    return init(key, (3, 4), jnp.float32)


def main() -> None:
    key = jax.random.key(0)
    inits: list[Initializer] = [
        jaxinit.xavier_uniform(gain=2.0, layout="torch"),
        jaxinit.kaiming_normal(mode="fan_out", nonlinearity="relu"),
        jaxinit.variance_scaling(2.0, "fan_avg", "truncated_normal"),
        jax_nn.he_normal(in_axis=0, out_axis=1),
        jax_nn.zeros,
        jax.nn.initializers.lecun_normal(),  # jax's own initializers satisfy the same protocol
    ]
    arrays = [build(init, key) for init in inits]
    layout: Layout = "flax"
    mode: FanMode = "fan_geo_avg"
    arrays.append(jaxinit.variance_scaling(mode=mode, layout=layout)(key, 5 * [2]))
    law = jaxinit.uniform(-1.0, 1.0).distribution((3,))
    if isinstance(law, Uniform):
        width: float | jax.Array = law.high - law.low
        print(width)
    assert jaxinit.Distribution.of("uniform", low=-1.0, high=1.0) == Uniform(low=-1.0, high=1.0)
    tn = jaxinit.trunc_normal(std=0.02).distribution((768, 768))
    assert isinstance(tn, TruncatedNormal)
    print(tn.scipy().std(), jaxinit.get("jax_nn.normal", stddev=0.1).to_config())
    w = inplace.kaiming_uniform_(np.empty((8, 4), np.float32), 5**0.5)
    print(w.sum(), sum(float(a.sum()) for a in arrays))


if __name__ == "__main__":
    main()
