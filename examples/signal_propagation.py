"""Why gains exist: activation scale through a deep MLP under each initializer.

A 50-layer MLP (width 256) is run on a batch of unit-variance inputs, for every pair of
activation (relu, tanh, selu, linear) and initializer (xavier, kaiming with the matching
gain, lecun, orthogonal with the matching gain). The script prints the activation std at a
few depths and saves a plot. Kaiming with relu keeps the scale; xavier with relu halves the
variance at every layer and the signal dies out. (For square layers xavier and lecun are
the same law, so their curves coincide.)

    python examples/signal_propagation.py [--depth 50] [--out signal_propagation.png]
"""

import argparse

import jax
import jax.numpy as jnp
import numpy as np

import jaxinit

ACTIVATIONS = {"relu": jax.nn.relu, "tanh": jnp.tanh, "selu": jax.nn.selu, "linear": lambda x: x}


def initializers(nonlinearity: str) -> dict:
    gain = jaxinit.calculate_gain(nonlinearity if nonlinearity != "selu" else "linear")
    return {
        "xavier": jaxinit.xavier_normal(),
        "kaiming": jaxinit.kaiming_normal(nonlinearity=nonlinearity if nonlinearity != "selu" else "linear"),
        "lecun": jaxinit.lecun_normal(),
        "orthogonal": jaxinit.orthogonal(gain=gain),
    }


def activation_stds(init, activation, depth: int, width: int, key) -> np.ndarray:
    """Std of the activations after each layer, for one draw of the weights."""
    keys = jax.random.split(key, depth + 1)
    kernels = jax.vmap(lambda k: init(k, (width, width)))(keys[1:])
    x = jax.random.normal(keys[0], (1024, width))

    def layer(x, w):
        x = activation(x @ w)
        return x, jnp.std(x)

    _, stds = jax.lax.scan(layer, x, kernels)
    return np.asarray(stds)


def run(depth: int = 50, width: int = 256, out: str | None = "signal_propagation.png") -> dict:
    key = jax.random.key(0)
    results = {}
    for act_name, activation in ACTIVATIONS.items():
        for init_name, init in initializers(act_name).items():
            results[act_name, init_name] = activation_stds(init, activation, depth, width, key)
    marks = [d for d in (1, 5, 10, 25, depth) if d <= depth]
    print(f"{'activation':<12}{'initializer':<12}" + "".join(f"{'depth ' + str(d):>12}" for d in marks))
    for (act_name, init_name), stds in results.items():
        print(f"{act_name:<12}{init_name:<12}" + "".join(f"{stds[d - 1]:>12.3g}" for d in marks))
    if out:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, len(ACTIVATIONS), figsize=(4 * len(ACTIVATIONS), 3.5), sharey=True)
        for ax, act_name in zip(axes, ACTIVATIONS):
            for init_name in initializers(act_name):
                ax.semilogy(np.arange(1, depth + 1), results[act_name, init_name], label=init_name)
            ax.set_title(act_name)
            ax.set_xlabel("layer")
        axes[0].set_ylabel("activation std")
        axes[0].legend()
        fig.tight_layout()
        fig.savefig(out, dpi=100)
        plt.close(fig)
        print(f"\nsaved {out}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument("--out", default="signal_propagation.png")
    args = parser.parse_args()
    run(args.depth, out=args.out)
