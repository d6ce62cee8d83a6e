"""``x = base + factor * y`` with the constants computed where the precision lives: the
last step of the uniform, normal and truncated normal samplers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from jaxinit.typing import DTypeLike


def affine(
    base: float, factor: float, width: float, compute_dtype: DTypeLike
) -> tuple[str, tuple[np.ndarray[Any, Any], ...]]:
    """The form and constants of ``x = base + factor * y``, computed where the precision lives.

    ``base`` is split into ``hi + lo`` (twice the compute dtype's precision) when it is not a
    value of the compute dtype, so that a value close to ``base`` (a truncation bound, the mean
    of a narrow normal) is rounded once, as the exact law rounded to the dtype would be. When
    ``width`` (the range ``factor * y`` can span) would overflow the compute dtype, everything
    is halved and the sum doubled: scaling by a power of two is exact.

    The form (``"plain"``, ``"split"``, ``"scaled"`` or ``"split scaled"``) is static: XLA
    drops an addition of a known zero or a product with a known one and may then fuse a
    multiply-add into one rounding, so the arithmetic must not depend on whether the constants
    are known at compile time (inside an outer jit) or passed at run time.
    """
    dt = np.dtype(compute_dtype)
    s = 2.0 if width > float(np.finfo(dt).max) else 1.0
    with np.errstate(over="ignore"):  # an overflow is reported by the caller's finiteness check
        hi = np.asarray(base / s, dt)
        lo = np.asarray(base / s - float(hi), dt) if np.isfinite(hi) else np.zeros((), dt)
        k = np.asarray(factor / s, dt)
    form = " ".join(name for name, used in (("split", lo != 0), ("scaled", s != 1)) if used)
    return form or "plain", (hi, lo, k, np.asarray(s, dt))


def apply_affine(y: jax.Array, form: str, constants: Sequence[jax.Array]) -> jax.Array:
    """``x`` from ``y`` and the constants of :func:`affine` (see there for ``form``)."""
    hi, lo, k, s = constants  # lo, s: None from traced callers whose form does not use them
    x = hi + (lo + k * y) if "split" in form else hi + k * y
    return s * x if "scaled" in form else x
