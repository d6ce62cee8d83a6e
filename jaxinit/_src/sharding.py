"""``out_sharding``: what a caller may pass, and how the kernel puts its output there.

Every elementwise initializer computes element ``i`` from (key, flat index ``i``) alone, so a
sharded output needs no communication: XLA's SPMD partitioner gives each device the iota of
its own shard, and the device hashes and transforms only those elements. The values are the
same as unsharded, whatever the mesh.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable
from typing import Any, TypeGuard, cast

import jax
import numpy as np
from jax import lax
from jax.sharding import AbstractMesh, AxisType, Mesh, NamedSharding, PartitionSpec, Sharding

from jaxinit.typing import Shape, ShardingLike

# Laws that need the whole matrix at once (QR, a sort along the output axis): above this many
# elements, building it on every device of a sharded output is worth a warning.
WHOLE_MATRIX_WARN_ELEMENTS = 2**24


def resolve(out_sharding: ShardingLike, shape: Shape) -> Sharding | None:
    """A :class:`jax.sharding.Sharding` (or None) from what the caller passed."""
    if out_sharding is None or isinstance(out_sharding, Sharding):
        sharding = out_sharding
    elif isinstance(out_sharding, PartitionSpec):
        mesh = jax.sharding.get_abstract_mesh()
        if mesh.empty:
            raise ValueError(
                f"`out_sharding` is a PartitionSpec ({out_sharding}) but no mesh is "
                f"set; call inside `with jax.set_mesh(mesh):` or pass "
                f"NamedSharding(mesh, spec)"
            )
        concrete: Mesh | AbstractMesh
        try:
            concrete = jax.sharding.get_mesh()
        except ValueError:  # inside jit only the abstract mesh is known, and it is enough
            concrete = mesh
        sharding = NamedSharding(mesh if concrete.empty else concrete, out_sharding)
    else:
        raise TypeError(
            f"`out_sharding` must be a jax.sharding.Sharding (e.g. NamedSharding) or a "
            f"PartitionSpec, got {type(out_sharding).__name__}: {out_sharding!r}"
        )
    if isinstance(sharding, NamedSharding):
        spec = sharding.spec
        if len(spec) > len(shape):
            raise ValueError(
                f"`out_sharding` {spec} has {len(spec)} entries, more than the "
                f"{len(shape)} axes of shape {shape}"
            )
    if sharding is not None:
        try:
            sharding.shard_shape(shape)
        except ValueError:  # jax's IndivisibleError
            raise ValueError(
                f"`out_sharding` {getattr(sharding, 'spec', sharding)} cannot split "
                f"shape {shape} evenly: a JAX array's shards must all have the same "
                f"shape, so each sharded axis must be divisible by its number of "
                f"shards"
            ) from None
    return sharding


def is_explicit(sharding: Sharding | None) -> TypeGuard[NamedSharding]:
    """True when the sharding names a mesh axis of type Explicit (sharding in types)."""
    if not isinstance(sharding, NamedSharding):
        return False
    types = dict(zip(sharding.mesh.axis_names, sharding.mesh.axis_types))
    names = [
        n
        for entry in sharding.spec
        if entry is not None
        for n in (entry if isinstance(entry, tuple) else (entry,))
    ]
    return any(types.get(n) == AxisType.Explicit for n in names if isinstance(n, str))


def explicit_mesh(sharding: Sharding | None) -> TypeGuard[NamedSharding]:
    """True when the sharding's mesh has an Explicit axis (whether or not its spec names one)."""
    return isinstance(sharding, NamedSharding) and AxisType.Explicit in sharding.mesh.axis_types


def mesh_context(sharding: Sharding | None, tracing: bool) -> contextlib.AbstractContextManager[object]:
    """Shardings on a mesh with Explicit axes are traced inside their mesh; enter it if an
    eager caller has not (under jit the caller's jit must already be inside it, as JAX
    requires)."""
    if explicit_mesh(sharding) and not tracing and jax.sharding.get_abstract_mesh().empty:
        # a NamedSharding may hold an AbstractMesh; jax.set_mesh itself rejects one
        return jax.set_mesh(cast(Mesh, sharding.mesh))
    return contextlib.nullcontext()


def place(out: jax.Array, sharding: Sharding | None) -> jax.Array:
    if sharding is None:
        return out
    # jax leaves with_sharding_constraint unannotated; it returns an array like `out`
    constrain = cast(Callable[[jax.Array, Sharding], jax.Array], lax.with_sharding_constraint)
    return constrain(out, sharding)


def with_spec(sharding: NamedSharding, entries: tuple[Any, ...]) -> NamedSharding:
    """``sharding`` with another spec (e.g. one more, unsplit, leading axis)."""
    spec = cast(Callable[..., PartitionSpec], PartitionSpec)(*entries)
    return NamedSharding(sharding.mesh, spec, memory_kind=sharding.memory_kind)


def place_spec(out: jax.Array, spec: PartitionSpec) -> jax.Array:
    """``out`` constrained to ``spec`` on the context mesh (inside ``auto_axes``)."""
    constrain = cast(Callable[[jax.Array, PartitionSpec], jax.Array], lax.with_sharding_constraint)
    return constrain(out, spec)


def warn_whole_matrix(
    name: str,
    whole_matrix: bool,
    shape: Shape,
    dtype: np.dtype[Any],
    sharding: Sharding | None,
    stacklevel: int = 4,
) -> None:
    """``whole_matrix``: the law needs the whole matrix at once (``Sampler.whole_matrix``)."""
    if sharding is None or not whole_matrix:
        return
    if math.prod(shape) >= WHOLE_MATRIX_WARN_ELEMENTS and not sharding.is_fully_replicated:
        mib = math.prod(shape) * max(np.dtype(dtype).itemsize, 4) / 2**20
        warnings.warn(
            f"{name} needs the whole matrix at once (QR or a sort), so with a sharded "
            f"`out_sharding` every device builds all of shape {shape} (about "
            f"{mib:.0f} MiB in float32) and keeps its shard; the values are the same "
            f"as unsharded",
            UserWarning,
            stacklevel=stacklevel,
        )
