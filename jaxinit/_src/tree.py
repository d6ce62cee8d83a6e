"""Re-initialising the leaves of any pytree (Flax params, NNX state, Equinox modules) by path."""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import jax
import numpy as np

from jaxinit._src import checks, engine, initializer as initializer_object, sharding as shardings
from jaxinit._src.export import public
from jaxinit.typing import Initializer, KeyArray

#: What selects leaves: a glob, a compiled regex, or a predicate ``(path, leaf) -> bool``.
Pattern: TypeAlias = str | re.Pattern[str] | Callable[[str, Any], bool]
Rule: TypeAlias = tuple[Pattern, Initializer]
#: ``reinit``'s rules: a dict from patterns to initializers, or a sequence of such pairs. The
#: patterns are typed ``Any`` (checked at run time): a ``dict[str, ...]`` or a list of mixed
#: pairs is no ``Mapping[Pattern, ...]`` / ``Sequence[Rule]``, as a dict's key type cannot widen.
Rules: TypeAlias = Mapping[Any, Initializer] | Sequence[tuple[Any, Initializer]]


def path_str(path: tuple[Any, ...]) -> str:
    """``('params', 'Dense_0', 'kernel')`` style key paths as ``'params/Dense_0/kernel'``."""
    parts = []
    for entry in path:
        for attr in ("key", "name", "idx"):
            if hasattr(entry, attr):
                parts.append(str(getattr(entry, attr)))
                break
        else:
            parts.append(str(entry))
    return "/".join(parts)


@public("jaxinit")
def path_key(key: KeyArray, path: str) -> jax.Array:
    """The key of a leaf: ``key`` folded with a 64-bit BLAKE2b hash of its path (two 32-bit folds).

    It depends only on the key and the path, so adding or removing other leaves changes nothing.
    """
    checks.key(key)
    lo, hi = path_digest(path)
    return jax.random.fold_in(jax.random.fold_in(key, lo), hi)


def path_digest(path: str) -> tuple[int, int]:
    """The two 32-bit words that :func:`path_key` folds into the key, low word first."""
    if not isinstance(path, str):
        raise TypeError(f"`path` must be a str (a '/'-joined key path), got {path!r}")
    digest = int.from_bytes(hashlib.blake2b(path.encode(), digest_size=8).digest(), "little")
    return digest & 0xFFFFFFFF, digest >> 32


def _matcher(pattern: Pattern) -> Callable[[str, Any], bool]:
    if isinstance(pattern, str):
        return lambda path, leaf: fnmatch.fnmatchcase(path, pattern)
    if isinstance(pattern, re.Pattern):
        return lambda path, leaf: pattern.search(path) is not None
    if callable(pattern):
        return pattern
    raise TypeError(
        f"a rule's pattern must be a glob string, a compiled regex or a predicate "
        f"(path, leaf) -> bool, got {pattern!r}"
    )


def _rules(rules: object) -> list[Rule]:
    """``rules`` as a list of (pattern, initializer) pairs, each checked, with errors that name
    the rule."""
    pairs: list[Rule]
    if isinstance(rules, Mapping):
        pairs = list(rules.items())
    elif isinstance(rules, (list, tuple)):
        pairs = []
        for i, rule in enumerate(rules):
            if not isinstance(rule, (list, tuple)) or len(rule) != 2:
                raise TypeError(f"`rules` entry {i} must be a (pattern, initializer) pair, got {rule!r}")
            pattern, init = rule
            pairs.append((pattern, init))
    else:
        raise TypeError(
            f"`rules` must be a dict or a sequence of (pattern, initializer) pairs, got {rules!r}"
        )
    for pattern, init in pairs:
        if not callable(init):
            raise TypeError(
                f"rule {pattern!r} maps to {init!r}, which is not an initializer "
                f"(a callable (key, shape, dtype) -> array)"
            )
        if inspect.isfunction(init) and init.__module__.split(".")[0] == "jaxinit":
            raise TypeError(
                f"rule {pattern!r} maps to the factory jaxinit.{init.__name__}, not "
                f"to an initializer: call it, e.g. jaxinit.{init.__name__}()"
            )
    return pairs


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One array to draw: its path (which gives its key), initializer, shape, dtype, sharding,
    and where it came from (``"rule '*kernel' -> xavier_uniform() on leaf 'a/kernel'"``) for
    error messages."""

    path: str
    init: Callable[..., Any]
    shape: tuple[int, ...]
    dtype: Any
    sharding: jax.sharding.Sharding | None = None
    where: str = ""


def draw_leaves(leaves: Sequence[Leaf], key: jax.Array) -> list[Any]:
    """Leaf ``i`` drawn as ``init(path_key(key, path), shape, dtype, out_sharding=sharding)``.

    jaxinit initializers are planned first (every check before any draw), then handed to the
    engine together (:func:`engine.draw_many`), which draws like arrays in one program with
    the same bits: the programs compiled do not grow with the model's depth. Other callables
    are called leaf by leaf.
    """
    out: list[Any] = [None] * len(leaves)
    planned: list[tuple[int, engine.Draw]] = []
    for i, leaf in enumerate(leaves):
        init = leaf.init
        if not isinstance(init, initializer_object.Initializer):
            out[i] = _draw_one(leaf, key)
            continue
        try:
            plan = init.plan(leaf.shape, leaf.dtype, leaf.sharding)
            if isinstance(plan, engine.Draw):
                plan.packed  # the law's checks, before anything is drawn (cached for the draw)
        except (ValueError, TypeError) as error:
            raise type(error)(f"{leaf.where or leaf.path}: {error}") from error
        if isinstance(plan, engine.Draw):
            planned.append((i, plan))
        else:
            out[i] = plan  # zero elements: nothing to draw
    if planned:
        digests = np.array([path_digest(leaves[i].path) for i, _ in planned], np.uint32)
        for (i, _), array in zip(planned, engine.draw_many([d for _, d in planned], key, digests)):
            out[i] = array
    return out


def _draw_one(leaf: Leaf, key: jax.Array) -> Any:
    """One leaf through its initializer's own call; a failure names the leaf (and the rule)."""
    where = leaf.where or leaf.path
    try:
        if leaf.sharding is not None and isinstance(leaf.init, initializer_object.Initializer):
            new = leaf.init(path_key(key, leaf.path), leaf.shape, leaf.dtype, out_sharding=leaf.sharding)
        else:
            new = leaf.init(path_key(key, leaf.path), leaf.shape, leaf.dtype)
            if leaf.sharding is not None:  # another library's initializer: placed afterwards
                new = (
                    jax.device_put(new, leaf.sharding)
                    if not checks.tracing()
                    else shardings.place(new, leaf.sharding)
                )
    except (ValueError, TypeError) as error:
        raise type(error)(f"{where}: {error}") from error
    if getattr(new, "shape", None) != tuple(leaf.shape):
        raise TypeError(
            f"{where} returned {type(new).__name__} of shape "
            f"{getattr(new, 'shape', None)}, not an array of the leaf's shape"
        )
    return new


def _is_array(leaf: Any) -> bool:
    return isinstance(leaf, (jax.Array, np.ndarray, jax.ShapeDtypeStruct))


@public("jaxinit")
def reinit(tree: Any, key: KeyArray, rules: Rules, *, strict: bool = True) -> Any:
    """Re-draw the array leaves of ``tree`` that ``rules`` select; leave every other leaf as it is.

    ``rules`` maps patterns to initializers (a dict, or a sequence of ``(pattern, init)``
    pairs); the first rule whose pattern matches a leaf's path wins. A pattern is a glob
    string matched against the whole ``/``-joined path (``"*kernel"``, ``"*/Dense_*/bias"``;
    ``*`` also matches ``/``), a compiled ``re`` pattern (searched), or a predicate
    ``(path, leaf) -> bool``. The leaf is drawn as ``init(path_key(key, path), leaf.shape,
    leaf.dtype)``: keys depend only on the key and the path, no two leaves share one, and
    results do not change when unrelated leaves are added.

    A rule that matches no leaf is almost always a typo, so with ``strict=True`` (default)
    it raises ``ValueError`` naming the rule and some of the paths; ``strict=False`` skips it.

    >>> import jax, jax.numpy as jnp, jaxinit
    >>> params = {"dense": {"kernel": jnp.ones((3, 4)), "bias": jnp.ones(4)}}
    >>> new = jaxinit.reinit(params, jax.random.key(0), {"*bias": jaxinit.zeros()})
    >>> new["dense"]["bias"]
    Array([0., 0., 0., 0.], dtype=float32)
    """
    checks.key(key)
    pairs = _rules(rules)
    matchers = [(_matcher(pattern), init) for pattern, init in pairs]
    leaves, treedef = jax.tree_util.tree_flatten_with_path(tree)
    paths = [path_str(p) for p, _ in leaves]
    used = [False] * len(pairs)
    out = [leaf for _, leaf in leaves]
    chosen: list[tuple[int, Leaf]] = []
    abstract: list[str] = []
    for index, (path, (_, leaf)) in enumerate(zip(paths, leaves)):
        if not _is_array(leaf):
            continue
        for i, (match, init) in enumerate(matchers):
            if match(path, leaf):
                used[i] = True
                where = (
                    f"rule {pairs[i][0]!r} -> {init!r} on leaf {path!r} "
                    f"(shape {tuple(leaf.shape)}, {leaf.dtype})"
                )
                sharding = leaf.sharding if isinstance(leaf, jax.ShapeDtypeStruct) else None
                chosen.append((index, Leaf(path, init, tuple(leaf.shape), leaf.dtype, sharding, where)))
                break
        else:
            if isinstance(leaf, jax.ShapeDtypeStruct):
                abstract.append(path)
    unused = [pairs[i][0] for i, u in enumerate(used) if not u]
    if unused and strict:
        shown = ", ".join(paths[:8]) + (" ..." if len(paths) > 8 else "")
        raise ValueError(
            f"reinit rules matched no array leaf: {unused!r}; the paths are: {shown} "
            f"(pass strict=False to allow this)"
        )
    if abstract:
        shown = ", ".join(map(repr, abstract[:8])) + (" ..." if len(abstract) > 8 else "")
        raise ValueError(
            f"reinit: abstract leaves (jax.ShapeDtypeStruct) that no rule matches would "
            f"stay without a value: {shown}; add a rule for them (e.g. a last "
            f"catch-all '*': jaxinit.zeros())"
        )
    drawn = draw_leaves([leaf for _, leaf in chosen], key)
    for (index, _), array in zip(chosen, drawn):
        out[index] = array
    return jax.tree_util.tree_unflatten(treedef, out)
