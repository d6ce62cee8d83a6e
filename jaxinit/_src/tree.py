"""Re-initialising the leaves of any pytree (Flax params, NNX state, Equinox modules) by path."""

from __future__ import annotations

import fnmatch
import hashlib
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import jax
import numpy as np

from jaxinit._src.export import public
from jaxinit._src import checks
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
    if not isinstance(path, str):
        raise TypeError(f"`path` must be a str (a '/'-joined key path), got {path!r}")
    digest = int.from_bytes(hashlib.blake2b(path.encode(), digest_size=8).digest(), "little")
    return jax.random.fold_in(jax.random.fold_in(key, digest & 0xFFFFFFFF), digest >> 32)


def _matcher(pattern: Pattern) -> Callable[[str, Any], bool]:
    if isinstance(pattern, str):
        return lambda path, leaf: fnmatch.fnmatchcase(path, pattern)
    if isinstance(pattern, re.Pattern):
        return lambda path, leaf: pattern.search(path) is not None
    if callable(pattern):
        return pattern
    raise TypeError(f"a rule's pattern must be a glob string, a compiled regex or a predicate "
                    f"(path, leaf) -> bool, got {pattern!r}")


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
        raise TypeError(f"`rules` must be a dict or a sequence of (pattern, initializer) pairs, "
                        f"got {rules!r}")
    for pattern, init in pairs:
        if not callable(init):
            raise TypeError(f"rule {pattern!r} maps to {init!r}, which is not an initializer "
                            f"(a callable (key, shape, dtype) -> array)")
        if inspect.isfunction(init) and init.__module__.split(".")[0] == "jaxinit":
            raise TypeError(f"rule {pattern!r} maps to the factory jaxinit.{init.__name__}, not "
                            f"to an initializer: call it, e.g. jaxinit.{init.__name__}()")
    return pairs


def _apply(rule: Rule, path: str, leaf: Any, key: jax.Array) -> Any:
    """Draw ``leaf`` anew with the rule's initializer; a failure names the leaf and the rule."""
    pattern, init = rule
    where = f"rule {pattern!r} -> {init!r} on leaf {path!r} (shape {tuple(leaf.shape)}, {leaf.dtype})"
    try:
        new = init(key, leaf.shape, leaf.dtype)
    except (ValueError, TypeError) as error:
        raise type(error)(f"{where}: {error}") from error
    if getattr(new, "shape", None) != tuple(leaf.shape):
        raise TypeError(f"{where} returned {type(new).__name__} of shape "
                        f"{getattr(new, 'shape', None)}, not an array of the leaf's shape")
    return new


def _is_array(leaf: Any) -> bool:
    return isinstance(leaf, (jax.Array, np.ndarray))


@public("jaxinit")
def reinit(tree: Any, key: KeyArray, rules: Rules, *,
           strict: bool = True) -> Any:
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
    out = []
    for path, (_, leaf) in zip(paths, leaves):
        new = leaf
        if _is_array(leaf):
            for i, (match, init) in enumerate(matchers):
                if match(path, leaf):
                    used[i] = True
                    new = _apply(pairs[i], path, leaf, path_key(key, path))
                    break
        out.append(new)
    unused = [pairs[i][0] for i, u in enumerate(used) if not u]
    if unused and strict:
        shown = ", ".join(paths[:8]) + (" ..." if len(paths) > 8 else "")
        raise ValueError(f"reinit rules matched no array leaf: {unused!r}; the paths are: {shown} "
                         f"(pass strict=False to allow this)")
    return jax.tree_util.tree_unflatten(treedef, out)
