"""Why gains exist: activation scale through a deep MLP under each initializer.

A 50-layer MLP (width 256, no biases) is run on a batch of 1024 unit-variance inputs, for
every pair of activation (relu, tanh, selu, linear) and initializer (xavier, kaiming with the
matching gain, lecun, orthogonal with the matching gain). The script prints the activation
std at a few depths and saves a plot, one panel per activation. Kaiming with relu keeps the
scale; xavier with relu halves the variance at every layer and the signal dies out.

Laws that coincide draw the very same weights (same key, same law), so their curves are one
curve: it is drawn once and labelled with every name (for square layers xavier and lecun are
the same law; with gain 1, so is kaiming).

    python examples/signal_propagation.py [--depth 50] [--width 256] [--out signal_propagation.png]
"""

import argparse

import jax
import jax.numpy as jnp
import numpy as np

import jaxinit

ACTIVATIONS = {"relu": jax.nn.relu, "tanh": jnp.tanh, "selu": jax.nn.selu, "linear": lambda x: x}
BATCH = 1024
# one look per initializer, kept across panels: colour, line style and marker all differ
STYLES = {
    "xavier": ("tab:blue", "-", "o"),
    "kaiming": ("tab:orange", "--", "s"),
    "lecun": ("tab:green", ":", "^"),
    "orthogonal": ("tab:red", "-.", "D"),
}


def gain_name(nonlinearity: str) -> str:
    # SELU is self-normalising with unit-gain (lecun) weights, so it gets the linear gain
    return "linear" if nonlinearity == "selu" else nonlinearity


def initializers(nonlinearity: str) -> dict:
    gain = jaxinit.calculate_gain(gain_name(nonlinearity))
    return {
        "xavier": jaxinit.xavier_normal(),
        "kaiming": jaxinit.kaiming_normal(nonlinearity=gain_name(nonlinearity)),
        "lecun": jaxinit.lecun_normal(),
        "orthogonal": jaxinit.orthogonal(gain=gain),
    }


def activation_stds(init, activation, depth: int, width: int, key) -> np.ndarray:
    """Std of the activations after each layer, for one draw of the weights."""
    keys = jax.random.split(key, depth + 1)
    kernels = jax.vmap(lambda k: init(k, (width, width)))(keys[1:])
    x = jax.random.normal(keys[0], (BATCH, width))

    def layer(x, w):
        x = activation(x @ w)
        return x, jnp.std(x)

    _, stds = jax.lax.scan(layer, x, kernels)
    return np.asarray(stds)


def curves(results: dict, act_name: str) -> list:
    """(label, initializer names, stds) per distinct curve: identical curves are merged."""
    merged: list = []
    for init_name in STYLES:
        stds = results[act_name, init_name]
        for names, other in merged:
            if np.array_equal(stds, other):
                names.append(init_name)
                break
        else:
            merged.append(([init_name], stds))
    return [
        (" = ".join(names) + (" (identical)" if len(names) > 1 else ""), names, stds)
        for names, stds in merged
    ]


def plot(results: dict, depth: int, width: int, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(ACTIVATIONS), figsize=(4.2 * len(ACTIVATIONS), 4.2))
    layers = np.arange(1, depth + 1)
    step = max(depth // 8, 1)
    for ax, act_name in zip(axes, ACTIVATIONS):
        lines = curves(results, act_name)
        for label, names, stds in lines:
            colour, style, marker = STYLES[names[0]]
            # markers at staggered layers, so that curves lying on each other stay visible
            offset = list(STYLES).index(names[0]) * step // len(STYLES)
            ax.plot(
                layers,
                stds,
                color=colour,
                linestyle=style,
                marker=marker,
                markevery=(offset, step),
                markersize=6,
                lw=1.6,
                label=label,
            )
        low, high = min(s.min() for *_, s in lines), max(s.max() for *_, s in lines)
        if high / low > 3:  # a log axis only where the scale really changes
            ax.set_yscale("log")
        gain = jaxinit.calculate_gain(gain_name(act_name))
        ax.set_title(f"{act_name} (gain {gain:.3g})")
        ax.set_xlabel("layer")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    axes[0].set_ylabel("std of the layer's activations")
    fig.suptitle(
        f"Activation scale through a {depth}-layer MLP of width {width} (no biases), "
        f"{BATCH} unit-variance inputs, normal-law initializers",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    print(f"\nsaved {out}")


def run(depth: int = 50, width: int = 256, out: str | None = "signal_propagation.png") -> dict:
    key = jax.random.key(0)
    results = {}
    for act_name, activation in ACTIVATIONS.items():
        for init_name, init in initializers(act_name).items():
            results[act_name, init_name] = activation_stds(init, activation, depth, width, key)
    marks = [d for d in (1, 5, 10, 25, depth) if d <= depth]
    print(f"MLP of depth {depth}, width {width}, batch {BATCH}: activation std after layer")
    print(f"{'activation':<12}{'initializer':<12}" + "".join(f"{'depth ' + str(d):>12}" for d in marks))
    for (act_name, init_name), stds in results.items():
        print(f"{act_name:<12}{init_name:<12}" + "".join(f"{stds[d - 1]:>12.3g}" for d in marks))
    if out:
        plot(results, depth, width, out)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--out", default="signal_propagation.png")
    args = parser.parse_args()
    run(args.depth, args.width, out=args.out)
