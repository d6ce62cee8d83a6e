"""A histogram of every random initializer's draws against the exact pdf it reports.

Each panel draws one array of shape (256, 512) (JAX layout: fan_in 256, fan_out 512, so
131,072 values) and overlays the density of ``init.distribution((256, 512))``: the law
jaxinit promises for that shape. For ``sparse`` only the non-zero entries are shown.

    python examples/plot_distributions.py [--out distributions.png]
"""

import argparse
import math

import jax
import numpy as np

import jaxinit

SHAPE = (256, 512)
INITIALIZERS = {
    "uniform(-1, 1)": jaxinit.uniform(-1.0, 1.0),
    "normal(0, 1)": jaxinit.normal(),
    "trunc_normal(a=-2, b=2)": jaxinit.trunc_normal(),
    "trunc_normal(a=1, b=3)": jaxinit.trunc_normal(a=1.0, b=3.0),
    "xavier_uniform()": jaxinit.xavier_uniform(),
    "xavier_normal()": jaxinit.xavier_normal(),
    "kaiming_uniform()": jaxinit.kaiming_uniform(),
    "kaiming_normal(relu)": jaxinit.kaiming_normal(nonlinearity="relu"),
    "lecun_uniform()": jaxinit.lecun_uniform(),
    "lecun_normal()": jaxinit.lecun_normal(),
    "variance_scaling(1, fan_avg, trunc)": jaxinit.variance_scaling(1.0, "fan_avg", "truncated_normal"),
    "sparse(0.5, std=0.1), non-zeros": jaxinit.sparse(0.5, std=0.1),
}


def describe(law) -> str:
    """The law in a few characters, for a panel's subtitle."""
    p = law.params
    if law.family == "uniform":
        return f"U({p['low']:.3g}, {p['high']:.3g})"
    if law.family == "truncated_normal":
        return f"N({p['mean']:.3g}, {p['std']:.3g}²) on [{p['low']:.3g}, {p['high']:.3g}]"
    return f"N({p.get('mean', 0.0):.3g}, {p['std']:.3g}²)"


def run(out: str = "distributions.png") -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    cols = 4
    rows = math.ceil(len(INITIALIZERS) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.4 * rows))
    gaps = {}
    for ax, (name, init), key in zip(
        axes.flat, INITIALIZERS.items(), jax.random.split(jax.random.key(0), len(INITIALIZERS))
    ):
        law = init.distribution(SHAPE)
        x = np.asarray(init(key, SHAPE), np.float64).ravel()
        if law.family == "sparse":
            x = x[x != 0]
        counts, edges, _ = ax.hist(
            x, bins=80, density=True, color="tab:blue", alpha=0.55, label=f"drawn ({x.size:,} values)"
        )
        grid = np.linspace(edges[0], edges[-1], 400)
        ax.plot(grid, law.scipy().pdf(grid), "k", lw=1.4, label="exact pdf")
        centres = (edges[:-1] + edges[1:]) / 2
        gaps[name] = float(np.abs(counts - law.scipy().pdf(centres)).max() / law.scipy().pdf(centres).max())
        ax.set_title(f"{name}\n{describe(law)}", fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.tick_params(labelsize=8)
        ax.set_xlabel("value", fontsize=8)
        ax.set_ylabel("density", fontsize=8)
    first = axes.flat[0]
    first.set_ylim(0, first.get_ylim()[1] * 1.45)  # room for the legend above the bars
    first.legend(fontsize=7, loc="upper center")
    for ax in list(axes.flat)[len(INITIALIZERS) :]:
        ax.axis("off")
    fig.suptitle(
        f"Each initializer's draws of shape {SHAPE} (fan_in {SHAPE[0]}, fan_out "
        f"{SHAPE[1]}) against the exact pdf of init.distribution({SHAPE})",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    for name, gap in gaps.items():
        print(f"{name:<36} largest histogram gap / peak pdf: {gap:.3f}")
    print(f"saved {out}")
    return gaps


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="distributions.png")
    run(parser.parse_args().out)
