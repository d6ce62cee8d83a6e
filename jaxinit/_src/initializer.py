"""The initializer object: a value that holds its recipe and hyperparameters."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxinit._src import checks, engine, sharding as shardings
from jaxinit._src.export import public
from jaxinit._src.fans import FanAxes
from jaxinit._src.laws import Distribution
from jaxinit.typing import DTypeLike, KeyArray, ShapeLike, ShardingLike

Hyper = Mapping[str, Any]
LawFunction = Callable[[Hyper, tuple[int, ...], FanAxes], Distribution]


@dataclasses.dataclass(frozen=True, eq=False)
class Recipe:
    """How a factory's initializers get their law: ``law(hyper, shape, axes)``.

    ``law`` is plain Python arithmetic on floats (or on tracers, when a hyperparameter is
    being vmapped) that validates the shape and returns the :class:`Distribution`. ``name`` is
    the factory's registry name (``"xavier_uniform"``, ``"jax_nn.he_normal"``): recipes, and
    the initializers built from them, compare by it.
    """

    name: str
    law: LawFunction
    random: bool = True  # needs a floating dtype and a key
    fan_based: bool = False  # zero-element shapes warn, as torch does
    # the axes follow from the hyperparameters (jax_nn's ``column_axis``), not from keywords
    axes_of: Callable[[Hyper], FanAxes] | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Recipe) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


@public("jaxinit")
class Initializer:
    """An initializer: ``init(key, shape, dtype=None, out_sharding=None) -> jax.Array``.

    Built by the factories (``jaxinit.xavier_uniform()`` ...). It satisfies the
    ``jax.nn.initializers.Initializer`` protocol (:class:`jaxinit.typing.Initializer`), so it
    drops into Flax ``kernel_init`` / ``bias_init``. It is a value: equal hyperparameters give
    equal (and equally hashed) objects, it pickles, and its ``repr`` is the call that builds
    it. Sampling runs in one jit-compiled kernel per (law family, shape, dtype, sharding),
    shared by all initializers; eager calls are cut from chunks instead, so a new shape costs
    no compilation (see :mod:`jaxinit._src.engine`).

    ``out_sharding`` (a ``jax.sharding.NamedSharding``, or a ``PartitionSpec`` inside
    ``jax.set_mesh``) returns the array with that sharding; each device computes only its
    shard, and the values are those of the unsharded call.
    """

    __slots__ = ("_recipe", "_hyper", "_dtype", "_axes", "__weakref__")  # jax.jit(init) needs a weakref

    def __init__(self, recipe: Recipe, hyper: Hyper, dtype: DTypeLike = None, axes: FanAxes | None = None):
        if not isinstance(recipe, Recipe):
            raise TypeError(
                f"`recipe` must be a jaxinit Recipe, got {recipe!r}; build initializers "
                f"with the factories (jaxinit.xavier_uniform()) or by name with "
                f"jaxinit.get(name, **keywords)"
            )
        checked = checks.dtype(dtype)
        if checked is not None:
            checks.initializer_dtype(recipe.name, recipe.random, checked)
        self._recipe = recipe
        self._hyper = dict(hyper)
        self._dtype = checked
        if recipe.axes_of is not None:
            axes = recipe.axes_of(self._hyper)
        self._axes = axes if axes is not None else FanAxes()

    # -- value semantics -------------------------------------------------------------
    @property
    def name(self) -> str:
        """The factory that builds this initializer (its name for :func:`jaxinit.get`)."""
        return self._recipe.name

    @property
    def random(self) -> bool:
        """Whether it draws random values (and needs a key and a floating dtype)."""
        return self._recipe.random

    @property
    def hyperparameters(self) -> dict[str, Any]:
        return dict(self._hyper)

    @property
    def dtype(self) -> np.dtype[Any] | None:
        """The default dtype (``None``: JAX's default float dtype)."""
        return self._dtype

    def to_config(self) -> dict[str, Any]:
        """A plain dict ``{"name": ..., **keywords}`` that rebuilds this initializer."""
        axes = {} if self._recipe.axes_of is not None else self._axes.kwargs()
        config = {"name": self.name, **self._hyper, **axes}
        if self._dtype is not None:
            config["dtype"] = self._dtype.name
        return config

    def _identity(self) -> tuple[Any, ...]:
        return (self.name, tuple(self._hyper.items()), self._dtype, self._axes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Initializer):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        config = self.to_config()
        del config["name"]
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in config.items())})"

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as its config, rebuilt by the public jaxinit.get: a pickle names no private
        # function, so it survives refactors of jaxinit's internals
        import jaxinit

        return jaxinit.get, (self.to_config(),)

    # -- the law and the draw --------------------------------------------------------
    def _resolve_dtype(self, dtype: DTypeLike) -> np.dtype[Any]:
        checked = checks.dtype(dtype)
        if checked is None:
            checked = self._dtype if self._dtype is not None else checks.default_float()
        checks.initializer_dtype(self.name, self.random, checked)
        return checked

    def distribution(self, shape: ShapeLike, dtype: DTypeLike = None) -> Distribution:
        """The exact law this initializer samples for ``shape`` (see :class:`Distribution`)."""
        checked = checks.shape(shape)
        self._resolve_dtype(dtype)
        return self._recipe.law(self._hyper, checked, self._axes)

    def __call__(
        self,
        key: KeyArray | np.ndarray[Any, Any],
        shape: ShapeLike,
        dtype: DTypeLike = None,
        out_sharding: ShardingLike = None,
    ) -> jax.Array:
        checks.shape(shape)  # the arguments are checked in order: shape, dtype, key, sharding
        self._resolve_dtype(dtype)
        checks.key(key)
        planned = self.plan(shape, dtype, out_sharding, stacklevel=3)
        if isinstance(planned, engine.Draw):
            return engine.draw(planned, key)
        return planned

    def plan(
        self,
        shape: ShapeLike,
        dtype: DTypeLike = None,
        out_sharding: ShardingLike = None,
        *,
        stacklevel: int = 2,
    ) -> engine.Draw | jax.Array:
        """Everything a call with these arguments checks and decides, without the key: the
        :class:`engine.Draw` to sample, or the (empty) array itself for a zero-element shape.
        Whole-tree initialisation plans every leaf first, then draws like leaves together."""
        checked = checks.shape(shape)
        resolved = self._resolve_dtype(dtype)
        sharding = shardings.resolve(out_sharding, checked)
        if math.prod(checked) == 0:
            if self._recipe.fan_based:
                warnings.warn(
                    "Initializing zero-element tensors is a no-op", UserWarning, stacklevel=stacklevel
                )
            else:
                self._recipe.law(self._hyper, checked, self._axes)  # still reject a wrong rank
            return jnp.zeros(checked, resolved, device=sharding)
        law = self._recipe.law(self._hyper, checked, self._axes)
        shardings.warn_whole_matrix(
            self.name, engine.whole_matrix(law), checked, resolved, sharding, stacklevel=stacklevel + 2
        )
        return engine.Draw(law, checked, resolved, sharding, self._axes)
