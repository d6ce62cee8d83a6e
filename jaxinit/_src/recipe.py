"""A recipe: a model's own initialisation scheme, as laws by layer kind and laws by role.

A recipe gives each *kind* of layer (``"linear"``, ``"conv"``, ``"conv_transpose"``,
``"embedding"``, ``"norm"``) a law for its weight and its bias, and each *role* (GPT-2's
residual projections, a classifier head, a position embedding) a law that overrides them. A
role is found by path: its patterns are globs matched against the path of each layer and each
parameter, or any tail of that path after a ``/``. What the recipe does not name keeps PyTorch's
layer defaults (the reference models start from them too). The walker
(:mod:`jaxinit._src.torch_layers.walk`) applies a recipe; this module holds the values.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias, cast

from jaxinit._src import checks
from jaxinit._src.composite import ZeroRow
from jaxinit._src.export import public
from jaxinit._src.factories import constant, normal, trunc_normal, uniform
from jaxinit._src.initializer import Initializer
from jaxinit._src.laws import Constant, Distribution, Normal, TruncatedNormal, Uniform

#: The layer kinds a recipe gives laws to (each framework's layer types declare theirs).
KINDS = ("linear", "conv", "conv_transpose", "embedding", "norm")


@public("jaxinit.recipes")
@dataclasses.dataclass(frozen=True)
class Shaped:
    """A law read off the shape of the PyTorch tensor a parameter stands for.

    ``init`` (built with ``layout="torch"``) is evaluated on the torch weight's shape, with its
    first axis divided by ``split`` (timm's MoCo ``qkv``: the three projections' own fans) and,
    with ``flatten``, its axes after the second flattened into one (DiT's patch embedding:
    ``xavier_uniform_`` of ``weight.view(out, -1)``). The parameter then gets that fixed law,
    whatever its own layout (a Flax kernel is ``(in, out)``).

    >>> import jaxinit
    >>> from jaxinit.recipes import Shaped
    >>> Shaped(jaxinit.xavier_uniform(layout="torch")).resolve((256, 64))
    uniform(a=-0.1369..., b=0.1369...)
    """

    init: Initializer
    split: int = 1
    flatten: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.init, Initializer):
            raise TypeError(f"`init` must be a jaxinit initializer, got {self.init!r}")
        object.__setattr__(self, "split", checks.integer("split", self.split, minimum=1))

    def shape(self, torch_shape: Sequence[int]) -> tuple[int, ...]:
        dims = tuple(int(d) for d in torch_shape)
        if self.split > 1:
            if not dims or dims[0] % self.split:
                raise ValueError(
                    f"`split` {self.split} must divide the first axis of the torch tensor, got shape {dims}"
                )
            dims = (dims[0] // self.split,) + dims[1:]
        if self.flatten and len(dims) > 2:
            dims = dims[:1] + (math.prod(dims[1:]),)
        return dims

    def resolve(self, torch_shape: Sequence[int]) -> Initializer:
        """The fixed initializer with the law ``init`` gives a tensor of ``torch_shape``."""
        return fixed(self.init.distribution(self.shape(torch_shape)))


@public("jaxinit.recipes")
@dataclasses.dataclass(frozen=True)
class NegLogBias:
    """The constant ``-log(n)``, ``n`` the layer's output features: timm's ``"jax_nlhb"`` head
    bias (uniform class probabilities at the start)."""

    def resolve(self, torch_shape: Sequence[int]) -> Initializer:
        classes = int(torch_shape[0])
        init: Initializer = constant(-math.log(classes))
        return init


@public("jaxinit.recipes")
@dataclasses.dataclass(frozen=True)
class FanInTruncNormal:
    r"""A normal of std :math:`\sigma = 1/\sqrt{\text{fan\_in}}`, ``fan_in`` read off the torch
    tensor (its axes after the first: a Linear weight's ``in_features``), truncated at
    :math:`\pm\,\text{cut}\cdot\sigma` (absolute bounds): OLMo-core's ``fan_in`` init.

    >>> from jaxinit.recipes import FanInTruncNormal
    >>> FanInTruncNormal().resolve((8, 16))
    trunc_normal(mean=0.0, std=0.25, a=-0.75, b=0.75)
    """

    cut: float = 3.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "cut", checks.positive("cut", self.cut))

    def resolve(self, torch_shape: Sequence[int]) -> Initializer:
        dims = tuple(int(d) for d in torch_shape)
        fan_in = math.prod(dims[1:])
        if len(dims) < 2 or fan_in == 0:
            raise ValueError(
                f"a fan-in law needs a torch tensor of 2+ dimensions with a fan-in, got shape {dims}"
            )
        std = fan_in**-0.5
        return trunc_normal(0.0, std, -self.cut * std, self.cut * std)


def matches_path(path: str, glob: str) -> bool:
    """Whether ``glob`` matches the path ``a/b/c`` whole or any tail of it after a ``/``."""
    return fnmatch.fnmatchcase(path, glob) or fnmatch.fnmatchcase(path, "*/" + glob)


#: The laws a :class:`PerLayer` holds (every law but a :class:`PerLayer`).
LayerLaw: TypeAlias = Initializer | ZeroRow | Shaped | NegLogBias | FanInTruncNormal


@public("jaxinit.recipes")
@dataclasses.dataclass(frozen=True)
class PerLayer:
    """A law by layer index: a parameter under layer ``i`` of the stack ``blocks`` gets ``laws[i]``
    (a depth-scaled init, such as OLMo-core's ``llama_depth``).

    The index is the path component right after the part of the path that ``blocks`` (a glob)
    matches, whole or as a tail after a ``/``: with ``blocks="blocks"``, the parameter
    ``blocks/2/attention/w_out/kernel`` is under layer 2. A path without such an index, or with
    an index past the last law (a model deeper than the recipe was built for), is a
    ``ValueError``.

    >>> import jaxinit
    >>> from jaxinit.recipes import PerLayer
    >>> PerLayer((jaxinit.normal(std=1.0), jaxinit.normal(std=0.5))).law("blocks/1/w2/kernel")
    normal(mean=0.0, std=0.5)
    """

    laws: tuple[LayerLaw, ...]
    blocks: str = "blocks"

    def __post_init__(self) -> None:
        try:
            laws = tuple(self.laws)
        except TypeError:
            raise TypeError(f"`laws` must be a sequence of laws, got {self.laws!r}") from None
        if not laws:
            raise ValueError("`laws` must hold a law for each layer, got none")
        for law in laws:
            if isinstance(law, PerLayer) or not isinstance(law, _LAW_TYPES):
                raise TypeError(
                    f"`laws` must hold jaxinit initializers, ZeroRow, Shaped, NegLogBias or "
                    f"FanInTruncNormal values, got {law!r}"
                )
        object.__setattr__(self, "laws", laws)
        checks.glob("blocks", self.blocks)

    def index(self, path: str) -> int:
        """The layer index in ``path`` (``a/b/c``)."""
        parts = path.split("/")
        for k in range(len(parts) - 1):
            head = "/".join(parts[: k + 1])
            if not matches_path(head, self.blocks):
                continue
            if re.fullmatch(r"[0-9]+", parts[k + 1]):  # not str.isdigit: it takes "²", int() does not
                return int(parts[k + 1])
        raise ValueError(
            f"the path {path!r} has no layer index after `blocks` {self.blocks!r}; pass the "
            f"recipe the glob of the layer stack (its `blocks` argument)"
        )

    def law(self, path: str) -> LayerLaw:
        """The law of the parameter at ``path``."""
        i = self.index(path)
        if i >= len(self.laws):
            raise ValueError(
                f"the path {path!r} is under layer {i}, but the recipe has laws for "
                f"{len(self.laws)} layers (0 to {len(self.laws) - 1}): build it for the model's depth"
            )
        return self.laws[i]


_LAW_TYPES = (Initializer, ZeroRow, Shaped, NegLogBias, FanInTruncNormal)

#: What a recipe may give a parameter: an initializer (used as it is), a zero-row table
#: (``torch.nn.Embedding(padding_idx=...)``), a law read off the torch tensor's shape, or a
#: law by layer index.
Law: TypeAlias = Initializer | ZeroRow | Shaped | NegLogBias | FanInTruncNormal | PerLayer


def fixed(law: Distribution) -> Initializer:
    """An initializer whose law is ``law`` whatever the shape (uniform, normal, truncated normal,
    constant)."""
    init: Initializer
    if isinstance(law, Uniform):
        init = uniform(law.low, law.high)
    elif isinstance(law, Normal):
        init = normal(law.mean, law.std)
    elif isinstance(law, TruncatedNormal):
        init = trunc_normal(law.mean, law.std, law.low, law.high)
    elif isinstance(law, Constant):
        init = constant(law.value)
    else:  # pragma: no cover - the recipes use the four above
        raise TypeError(f"a recipe cannot fix the law {law!r} for every shape")
    return init


def resolve(law: Law, torch_shape: Sequence[int], path: str = "") -> Initializer | ZeroRow:
    """The initializer of the parameter at ``path`` whose torch tensor (the layer's weight) has
    ``torch_shape``."""
    if isinstance(law, PerLayer):
        law = law.law(path)
    if isinstance(law, (Shaped, NegLogBias, FanInTruncNormal)):
        return law.resolve(torch_shape)
    return law


def _check_law(name: str, law: object) -> None:
    if law is not None and not isinstance(law, (*_LAW_TYPES, PerLayer)):
        raise TypeError(
            f"`{name}` must be a jaxinit initializer, a ZeroRow, a Shaped, a NegLogBias, a "
            f"FanInTruncNormal or a PerLayer, got {law!r}"
        )


@public("jaxinit.recipes")
@dataclasses.dataclass(frozen=True)
class Laws:
    """The laws of one layer kind's weight and bias; ``None`` keeps PyTorch's default."""

    weight: Law | None = None
    bias: Law | None = None

    def __post_init__(self) -> None:
        _check_law("weight", self.weight)
        _check_law("bias", self.bias)


def patterns(name: str, value: str | Sequence[str] | None) -> tuple[str, ...]:
    """A role's patterns: a glob, a sequence of globs, or ``None`` (the role is off)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = (value,)
    try:
        globs = tuple(value)
    except TypeError:
        raise TypeError(
            f"`{name}` must be a glob string, a sequence of them or None, got {value!r}"
        ) from None
    for glob in globs:
        if not isinstance(glob, str) or not glob:
            raise TypeError(f"`{name}` must be a glob string, a sequence of them or None, got {value!r}")
    return globs


def transformer_globs(transformer: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(transformer, str):
        return (transformer,)
    try:
        globs = tuple(transformer)
    except TypeError:
        raise TypeError(
            f"`transformer` must be a glob string or a sequence of them, got {transformer!r}"
        ) from None
    for glob in globs:
        if not isinstance(glob, str):
            raise TypeError(f"`transformer` entries must be glob strings, got {glob!r}")
    return globs


@public("jaxinit.recipes")
@dataclasses.dataclass(frozen=True)
class Role:
    """Laws for the layers and parameters found by path.

    A parameter takes the role when a pattern matches its own path or the path of a layer that
    holds it (``"c_proj"`` matches ``h/0/attn/c_proj``: a pattern matches a whole path or any
    tail of it after a ``/``). The weight of a Linear, Conv, Embedding or norm layer gets
    ``weight``, its bias ``bias`` (``None``: the recipe's law for the layer kind); a parameter
    outside such layers (a ``pos_embed`` of your own module) gets ``weight``.
    """

    name: str
    pattern: tuple[str, ...]
    weight: Law | None = None
    bias: Law | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"`name` must be a non-empty string, got {self.name!r}")
        object.__setattr__(self, "pattern", patterns(self.name, cast(Any, self.pattern)))
        _check_law("weight", self.weight)
        _check_law("bias", self.bias)

    def matches(self, path: str) -> bool:
        return any(matches_path(path, glob) for glob in self.pattern)


@public("jaxinit.recipes")
@dataclasses.dataclass(frozen=True)
class Recipe:
    """A model's initialisation scheme: laws by layer kind, then roles found by path.

    Build one with a factory of :mod:`jaxinit.recipes` (``gpt2(n_layer=12)``), which checks the
    hyperparameters; apply it with :func:`jaxinit.recipes.apply`. ``layers`` maps a kind
    (``"linear"``, ``"conv"``, ``"conv_transpose"``, ``"embedding"``, ``"norm"``) to its
    :class:`Laws`; kinds and parameters it leaves out keep PyTorch's defaults, as do attention
    layers and recurrent cells. ``roles`` are tried in order; the first that matches a parameter
    and has a law for it wins. ``transformer``: see ``torch_defaults.reset_parameters``.
    """

    name: str
    arguments: tuple[tuple[str, Any], ...] = ()
    layers: tuple[tuple[str, Laws], ...] = ()
    roles: tuple[Role, ...] = ()
    transformer: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for kind, laws in self.layers:
            checks.choice("kind", kind, KINDS)
            if not isinstance(laws, Laws):
                raise TypeError(f"the laws of {kind!r} must be a Laws, got {laws!r}")
        for role in self.roles:
            if not isinstance(role, Role):
                raise TypeError(f"`roles` must hold Role values, got {role!r}")
        names = [role.name for role in self.roles]
        if len(set(names)) != len(names):
            raise ValueError(f"role names must be distinct, got {names}")

    def law(self, kind: str, slot: str) -> Law | None:
        """The recipe's law for the ``slot`` (``"weight"`` or ``"bias"``) of a ``kind`` layer."""
        for name, laws in self.layers:
            if name == kind:
                law: Law | None = getattr(laws, slot)
                return law
        return None

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.arguments)})"
