"""A histogram of every random initializer's draws against the exact pdf it reports.

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
    "xavier_uniform": jaxinit.xavier_uniform(),
    "xavier_normal": jaxinit.xavier_normal(),
    "kaiming_uniform": jaxinit.kaiming_uniform(),
    "kaiming_normal(relu)": jaxinit.kaiming_normal(nonlinearity="relu"),
    "lecun_uniform": jaxinit.lecun_uniform(),
    "lecun_normal": jaxinit.lecun_normal(),
    "variance_scaling(trunc)": jaxinit.variance_scaling(1.0, "fan_avg", "truncated_normal"),
    "sparse(0.5) non-zeros": jaxinit.sparse(0.5, std=0.1),
}


def run(out: str = "distributions.png") -> dict:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = 4
    rows = math.ceil(len(INITIALIZERS) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows))
    gaps = {}
    for ax, (name, init), key in zip(axes.flat, INITIALIZERS.items(),
                                     jax.random.split(jax.random.key(0), len(INITIALIZERS))):
        law = init.distribution(SHAPE)
        x = np.asarray(init(key, SHAPE), np.float64).ravel()
        if law.family == "sparse":
            x = x[x != 0]
        counts, edges, _ = ax.hist(x, bins=80, density=True, alpha=0.6, label="drawn")
        grid = np.linspace(edges[0], edges[-1], 400)
        ax.plot(grid, law.scipy().pdf(grid), "k", lw=1.2, label="exact pdf")
        centres = (edges[:-1] + edges[1:]) / 2
        gaps[name] = float(np.abs(counts - law.scipy().pdf(centres)).max() / law.scipy().pdf(centres).max())
        ax.set_title(name, fontsize=9)
    axes.flat[0].legend(fontsize=8)
    for ax in list(axes.flat)[len(INITIALIZERS):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    for name, gap in gaps.items():
        print(f"{name:<26} largest histogram gap / peak pdf: {gap:.3f}")
    print(f"saved {out}")
    return gaps


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="distributions.png")
    run(parser.parse_args().out)
