"""Run by tests/test_transformations.py in a new process: every initializer kind under every
transformation, key and hyperparameters as closure constants and as arguments, each the first
draw of its shape in this process; the values must equal the eager ones (bit for bit for keys;
to a few ulps where a hyperparameter is traced, whose constants are then computed in float32).
"""

import itertools
import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import jaxinit
from jaxinit import inplace

K = jax.random.key(11)
KINDS = {  # name: (factory of one hyperparameter, its value, a base shape)
    "uniform": (lambda h: jaxinit.uniform(-h, 2.0), 0.5, (5, 7)),
    "normal": (lambda h: jaxinit.normal(0.1, h), 3.0, (5, 7)),
    "trunc_normal": (lambda h: jaxinit.trunc_normal(0.0, h, -1.0, 2.0), 1.5, (5, 7)),
    "trunc_normal_tail": (lambda h: jaxinit.trunc_normal(0.0, h, 3.0, 5.0), 1.0, (5, 7)),
    "trunc_normal_deep": (lambda h: jaxinit.trunc_normal(0.0, h, -40.0, -30.0), 1.0, (5, 7)),
    "trunc_normal_narrow": (lambda h: jaxinit.trunc_normal(0.0, h, 1.0, 1.001), 1.0, (5, 7)),
    "xavier_uniform": (lambda h: jaxinit.xavier_uniform(gain=h), 2.0, (5, 7)),
    "kaiming_normal": (lambda h: jaxinit.kaiming_normal(a=h), 0.2, (3, 3, 4, 5)),
    "constant": (lambda h: jaxinit.constant(h), 0.25, (5, 7)),
    "eye": (lambda h: jaxinit.eye(), None, (5, 7)),
    "dirac": (lambda h: jaxinit.dirac(), None, (3, 4, 5)),
    "orthogonal": (lambda h: jaxinit.orthogonal(gain=h), 2.0, (5, 7)),
    "delta_orthogonal": (lambda h: jaxinit.delta_orthogonal(gain=h), 2.0, (3, 4, 5)),
    "sparse": (lambda h: jaxinit.sparse(0.5, std=h), 0.1, (5, 7)),
}
STRUCTURED = ("constant", "eye", "dirac", "orthogonal", "delta_orthogonal", "sparse")
_serial = itertools.count(1)


def fresh(shape):
    """A shape no call in this process has drawn yet: the first-call path every time."""
    return (*shape[:-1], shape[-1] + 8 * next(_serial))


def draw_all(keys, hypers, shapes, hyper_as_arg):
    """Every kind, each with its own key (an argument or a closure constant) and hyperparameter."""
    out = {}
    for name, (make, hyper, _) in KINDS.items():
        h = hypers[name] if hyper_as_arg and hyper is not None and name != "sparse" else hyper
        out[name] = make(h)(keys.get(name, K), shapes[name])
    out["inplace"] = inplace.normal_(
        jnp.zeros(shapes["inplace"]),
        0.1,
        hypers["normal"] if hyper_as_arg else KINDS["normal"][1],
        generator=keys.get("inplace", K),
    )
    return out


def transformed(transform, shapes, hyper_as_arg):
    """Draw every kind inside ``transform``, the key a closure constant (and an argument where
    the transformation takes one), the hyperparameters constants or arguments."""
    hypers = {name: jnp.float32(hyper if hyper is not None else 0) for name, (_, hyper, _) in KINDS.items()}
    keys = {name: K for name in shapes}
    zeros = {name: jnp.zeros(shape) for name, shape in shapes.items()}
    add = lambda xs, ys: {n: xs[n] + ys[n] for n in xs}  # noqa: E731
    if transform == "jit_closure_key":
        return jax.jit(lambda x, h: add(x, draw_all({}, h, shapes, hyper_as_arg)))(zeros, hypers)
    if transform == "jit_key_arg":
        return jax.jit(lambda k, h: draw_all(k, h, shapes, hyper_as_arg))(keys, hypers)
    if transform == "vmap":
        batched = jax.vmap(lambda k, h: draw_all(k, h, shapes, hyper_as_arg))(
            jax.tree.map(lambda k: k[None], keys), jax.tree.map(lambda h: h[None], hypers)
        )
        return jax.tree.map(lambda x: x[0], batched)
    if transform == "vmap_closure_key":
        x2 = jax.tree.map(lambda z: jnp.stack([z, z]), zeros)
        h2 = jax.tree.map(lambda h: jnp.stack([h, h]), hypers)
        batched = jax.vmap(lambda x, h: add(x, draw_all({}, h, shapes, hyper_as_arg)))(x2, h2)
        return jax.tree.map(lambda x: x[1], batched)
    if transform == "scan":
        return jax.tree.map(
            lambda x: x[1],
            lax.scan(lambda c, _: (c, draw_all({}, hypers, shapes, hyper_as_arg)), 0, None, length=2)[1],
        )
    if transform == "cond":
        return lax.cond(True, lambda h: draw_all({}, h, shapes, hyper_as_arg), lambda h: zeros, hypers)
    if transform == "checkpoint":
        return jax.checkpoint(lambda x, h: add(x, draw_all({}, h, shapes, hyper_as_arg)))(zeros, hypers)
    if transform == "grad":  # d/dx sum(x * w) = w

        def loss(x, h):
            drawn = draw_all({}, h, shapes, hyper_as_arg)
            return sum(jnp.sum(x[n] * drawn[n]) for n in drawn)

        return jax.grad(loss)(jax.tree.map(jnp.ones_like, zeros), hypers)
    raise AssertionError(transform)


def main():
    transforms = [
        "jit_closure_key",
        "jit_key_arg",
        "vmap",
        "vmap_closure_key",
        "scan",
        "cond",
        "checkpoint",
        "grad",
    ]
    failures, checked = [], 0
    for transform in transforms:
        # traced hyperparameters take one path whatever the transformation: two suffice
        for hyper_as_arg in (False, True) if transform in ("jit_key_arg", "vmap") else (False,):
            # elementwise laws have a first-call path (chunks); the structured ones do not
            shapes = {
                name: fresh(base) if name not in STRUCTURED else base for name, (_, _, base) in KINDS.items()
            }
            shapes["inplace"] = fresh((5, 7))
            try:
                got = transformed(transform, shapes, hyper_as_arg)
            except Exception as error:  # noqa: BLE001 - reported, with its kind
                failures.append(f"{transform} hyper_as_arg={hyper_as_arg}: {type(error).__name__}: {error}")
                continue
            want = draw_all({}, {n: h for n, (_, h, _) in KINDS.items()}, shapes, False)
            for name in want:
                g, w = np.asarray(got[name]), np.asarray(want[name])
                checked += 1
                traced = hyper_as_arg and name not in ("sparse", "eye", "dirac")
                if traced:
                    ok = np.allclose(g, w, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(w).max()))
                else:
                    ok = np.array_equal(g, w)
                if not ok:
                    failures.append(
                        f"{name} {transform} hyper_as_arg={hyper_as_arg}: values differ "
                        f"(max |diff| {np.abs(g - w).max():g})"
                    )
    print(f"checked {checked} combinations")
    for failure in failures:
        print("FAIL", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
