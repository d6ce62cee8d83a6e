"""The recipes of the reference implementations: factories with their hyperparameters and defaults.

Each factory reads its reference's initialisation code and writes it as a :class:`Recipe`:
laws by layer kind, and roles found by the reference's own module names (which the user may
override; ``None`` leaves a role out). Verified against (``tests/test_recipes_reference.py``):
HF ``transformers`` 5.25.0, ``timm`` 1.0.31 and ``ai2-olmo-core`` 3.0.0, on torch 2.13.0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Literal, TypeAlias

from jaxinit._src import checks
from jaxinit._src.composite import ZeroRow
from jaxinit._src.export import public
from jaxinit._src.factories import (
    constant,
    normal,
    ones,
    trunc_normal,
    variance_scaling,
    xavier_uniform,
    zeros,
)
from jaxinit._src.initializer import Initializer
from jaxinit._src.recipe import (
    FanInTruncNormal,
    Law,
    Laws,
    NegLogBias,
    PerLayer,
    Recipe,
    Role,
    Shaped,
    patterns,
    transformer_globs,
)

#: A role's path patterns: a glob, several, or ``None`` (the role is left out).
RolePattern: TypeAlias = str | Sequence[str] | None
#: timm's ``VisionTransformer.init_weights(mode)`` modes.
VitMode: TypeAlias = Literal["", "jax", "jax_nlhb", "moco", "reset"]
VIT_MODES = ("", "jax", "jax_nlhb", "moco", "reset")
#: OLMo-core's ``InitMethod`` values (``olmo_core.nn.transformer.init``, ai2-olmo-core 3.0.0).
OlmoInitMethod: TypeAlias = Literal["normal", "llama", "llama_depth", "normalized", "fan_in"]
OLMO_INIT_METHODS = ("normal", "llama", "llama_depth", "normalized", "fan_in")


def _role(name: str, pattern: RolePattern, **laws: object) -> tuple[Role, ...]:
    globs = patterns(name, pattern)
    return (Role(name, globs, **laws),) if globs else ()  # type: ignore[arg-type]


def _std(name: str, value: float) -> float:
    std: float = checks.positive(name, value)
    return std


def _hf_layers(std: float) -> tuple[tuple[str, Laws], ...]:
    """``PreTrainedModel._init_weights`` (transformers 5.25.0): Linear and Conv weights N(0, std)
    with zero biases, Embedding N(0, std), norms one and zero."""
    dense = Laws(normal(0.0, std), zeros())
    return (
        ("linear", dense),
        ("conv", dense),
        ("conv_transpose", dense),
        ("embedding", Laws(normal(0.0, std))),
        ("norm", Laws(ones(), zeros())),
    )


def _padding(std: float, pad_token_id: int | None, pattern: RolePattern, argument: str) -> tuple[Role, ...]:
    """HF zeroes row ``padding_idx`` of an ``nn.Embedding`` that has one."""
    if pad_token_id is None:
        return ()
    pad = checks.integer("pad_token_id", pad_token_id)
    return _role(argument, pattern, weight=ZeroRow(normal(0.0, std), pad))


@public("jaxinit.recipes")
def gpt2(n_layer: int, initializer_range: float = 0.02, *, residual: RolePattern = "c_proj") -> Recipe:
    r"""GPT-2 (HF ``GPT2PreTrainedModel._init_weights``, transformers 5.25.0; OpenAI's GPT-2 and
    nanoGPT alike): every Linear/Conv1D weight and embedding :math:`\mathcal{N}(0, r^2)`,
    biases 0, LayerNorms 1 and 0; the residual output projections (``residual``: layers named
    ``c_proj``, of attention and MLP) :math:`\mathcal{N}(0, (r/\sqrt{2\,n\_layer})^2)`.

    >>> from jaxinit import recipes
    >>> recipes.gpt2(n_layer=12)
    gpt2(n_layer=12, initializer_range=0.02, residual=('c_proj',))
    """
    n = checks.integer("n_layer", n_layer, minimum=1)
    r = _std("initializer_range", initializer_range)
    globs = patterns("residual", residual)
    return Recipe(
        "gpt2",
        (("n_layer", n), ("initializer_range", r), ("residual", globs)),
        _hf_layers(r),
        _role("residual", globs, weight=normal(0.0, r / math.sqrt(2 * n))),
    )


@public("jaxinit.recipes")
def llama(
    initializer_range: float = 0.02,
    *,
    pad_token_id: int | None = None,
    embed_tokens: RolePattern = "embed_tokens",
) -> Recipe:
    r"""LLaMA (HF ``LlamaPreTrainedModel``, the base ``_init_weights`` of transformers 5.25.0):
    every Linear weight and embedding :math:`\mathcal{N}(0, r^2)`, biases 0, RMSNorms 1.
    With ``pad_token_id`` (``LlamaConfig``'s default is ``None``), that row of ``embed_tokens``
    is zero.

    >>> from jaxinit import recipes
    >>> recipes.llama()
    llama(initializer_range=0.02, pad_token_id=None)
    """
    r = _std("initializer_range", initializer_range)
    roles = _padding(r, pad_token_id, embed_tokens, "embed_tokens")
    return Recipe("llama", (("initializer_range", r), ("pad_token_id", pad_token_id)), _hf_layers(r), roles)


@public("jaxinit.recipes")
def bert(
    initializer_range: float = 0.02,
    *,
    pad_token_id: int | None = 0,
    word_embeddings: RolePattern = "word_embeddings",
) -> Recipe:
    r"""BERT (HF ``BertPreTrainedModel._init_weights``, transformers 5.25.0): every Linear weight
    and embedding :math:`\mathcal{N}(0, r^2)`, biases 0, LayerNorms 1 and 0, and row
    ``pad_token_id`` (``BertConfig``'s default: 0) of ``word_embeddings`` zero.

    >>> from jaxinit import recipes
    >>> recipes.bert()
    bert(initializer_range=0.02, pad_token_id=0)
    """
    r = _std("initializer_range", initializer_range)
    roles = _padding(r, pad_token_id, word_embeddings, "word_embeddings")
    return Recipe("bert", (("initializer_range", r), ("pad_token_id", pad_token_id)), _hf_layers(r), roles)


def _fan_in_normal(scale: float) -> Shaped:
    """N(0, scale^2 / fan_in) of the torch weight."""
    return Shaped(variance_scaling(scale * scale, "fan_in", "normal", layout="torch"))


@public("jaxinit.recipes")
def t5(
    d_model: int = 512,
    d_kv: int = 64,
    factor: float = 1.0,
    *,
    q: RolePattern = "q",
    relative_attention_bias: RolePattern = "relative_attention_bias",
    lm_head: RolePattern = None,
) -> Recipe:
    r"""T5 (HF ``T5PreTrainedModel._init_weights``, transformers 5.25.0), with ``T5Config``'s
    names and defaults (``factor`` is ``initializer_factor``):

    * every Linear weight (``k``, ``v``, ``o``, ``wi``, ``wi_0``, ``wi_1``, ``wo``)
      :math:`\mathcal{N}(0, \text{factor}^2/\text{fan\_in})`: ``d_model`` for ``k``, ``v``,
      ``wi``; ``n_heads * d_kv`` for ``o``; ``d_ff`` for ``wo``; biases 0;
    * ``q`` :math:`\mathcal{N}(0, \text{factor}^2/(\text{d\_model}\cdot\text{d\_kv}))`;
    * ``relative_attention_bias`` :math:`\mathcal{N}(0, \text{factor}^2/\text{d\_model})`;
    * embeddings (``shared``) :math:`\mathcal{N}(0, \text{factor}^2)`; layer norms ``factor``;
    * ``lm_head`` (only untied, ``tie_word_embeddings=False``: pass its pattern)
      :math:`\mathcal{N}(0, \text{factor}^2)`.

    >>> from jaxinit import recipes
    >>> recipes.t5()
    t5(d_model=512, d_kv=64, factor=1.0)
    """
    d = checks.integer("d_model", d_model, minimum=1)
    kv = checks.integer("d_kv", d_kv, minimum=1)
    f = _std("factor", factor)
    layers = (
        ("linear", Laws(_fan_in_normal(f), zeros())),
        ("embedding", Laws(normal(0.0, f))),
        ("norm", Laws(constant(f), zeros())),
    )
    roles = (
        _role("q", q, weight=normal(0.0, f / math.sqrt(d * kv)))
        + _role("relative_attention_bias", relative_attention_bias, weight=normal(0.0, f / math.sqrt(d)))
        + _role("lm_head", lm_head, weight=normal(0.0, f))
    )
    return Recipe("t5", (("d_model", d), ("d_kv", kv), ("factor", f)), layers, roles)


#: timm's ``lecun_normal_``: ``variance_scaling_(fan_in, "truncated_normal")``, a normal truncated
#: at two of its standard deviations, scaled so that the truncated law has variance 1 / fan_in.
_TIMM_LECUN = Shaped(variance_scaling(1.0, "fan_in", "truncated_normal", layout="torch"))
_XAVIER = Shaped(xavier_uniform(layout="torch"))


@public("jaxinit.recipes")
def vit(
    mode: VitMode = "",
    *,
    pos_embed: RolePattern = "pos_embed",
    cls_token: RolePattern = "cls_token",
    reg_token: RolePattern = None,
    head: RolePattern = "head",
    mlp: RolePattern = "mlp",
    qkv: RolePattern = "qkv",
) -> Recipe:
    r"""timm's ``VisionTransformer.init_weights(mode)`` (timm 1.0.31).

    Every mode: ``pos_embed`` ``trunc_normal_(std=.02)`` (bounds ±2, absolute), ``cls_token`` (and
    ``reg_token``, if your model has register tokens: pass its pattern)
    :math:`\mathcal{N}(0, 10^{-12})`; what a mode does not name keeps torch's defaults (the
    patch-embedding convolution, the LayerNorms).

    * ``""`` (timm's default): Linear weights ``trunc_normal_(std=.02)``, biases 0.
    * ``"jax"``: Linear weights ``xavier_uniform_``, biases 0 except under ``mlp``:
      :math:`\mathcal{N}(0, 10^{-12})`; the convolution timm's ``lecun_normal_``;
      ``head`` weight 0 and bias 0.
    * ``"jax_nlhb"``: ``"jax"`` with the head bias :math:`-\log(\text{num\_classes})`.
    * ``"moco"``: Linear weights ``xavier_uniform_``, ``qkv`` as three separate projections,
      biases 0.
    * ``"reset"``: torch's defaults for every layer.

    >>> from jaxinit import recipes
    >>> recipes.vit("jax")
    vit(mode='jax')
    """
    checks.choice("mode", mode, VIT_MODES)
    tokens = (
        _role("pos_embed", pos_embed, weight=trunc_normal(0.0, 0.02, -2.0, 2.0))
        + _role("cls_token", cls_token, weight=normal(0.0, 1e-6))
        + _role("reg_token", reg_token, weight=normal(0.0, 1e-6))
    )
    layers: tuple[tuple[str, Laws], ...] = ()
    roles: tuple[Role, ...] = ()
    if mode == "":
        layers = (("linear", Laws(trunc_normal(0.0, 0.02, -2.0, 2.0), zeros())),)
    elif mode in ("jax", "jax_nlhb"):
        layers = (("linear", Laws(_XAVIER, zeros())), ("conv", Laws(_TIMM_LECUN, zeros())))
        head_bias = NegLogBias() if mode == "jax_nlhb" else zeros()
        roles = _role("head", head, weight=zeros(), bias=head_bias) + _role(
            "mlp", mlp, bias=normal(0.0, 1e-6)
        )
    elif mode == "moco":
        layers = (("linear", Laws(_XAVIER, zeros())),)
        roles = _role("qkv", qkv, weight=Shaped(xavier_uniform(layout="torch"), split=3))
    return Recipe("vit", (("mode", mode),), layers, roles + tokens)


@public("jaxinit.recipes")
def megatron(
    sigma: float, num_layers: int, *, output_layers: RolePattern = ("linear_proj", "linear_fc2")
) -> Recipe:
    r"""Megatron-LM's ``init_method_normal(sigma)`` and ``scaled_init_method_normal(sigma,
    num_layers)``: every Linear weight and embedding :math:`\mathcal{N}(0, \sigma^2)`, biases 0,
    norms 1 and 0; the output layers of attention and MLP (``output_layers``, Megatron-core's
    ``linear_proj`` and ``linear_fc2``) :math:`\mathcal{N}(0, \sigma^2/(2\,\text{num\_layers}))`.
    Written from Megatron's formulas (Megatron is not a test dependency).

    >>> from jaxinit import recipes
    >>> recipes.megatron(0.02, num_layers=24)
    megatron(sigma=0.02, num_layers=24)
    """
    s = _std("sigma", sigma)
    n = checks.integer("num_layers", num_layers, minimum=1)
    dense = Laws(normal(0.0, s), zeros())
    layers = (("linear", dense), ("embedding", Laws(normal(0.0, s))), ("norm", Laws(ones(), zeros())))
    return Recipe(
        "megatron",
        (("sigma", s), ("num_layers", n)),
        layers,
        _role("output_layers", output_layers, weight=normal(0.0, s / math.sqrt(2 * n))),
    )


def _olmo_trunc(std: float) -> Initializer:
    """OLMo-core's ``init_linear``: ``trunc_normal_(std=std, a=-3 * std, b=3 * std)``."""
    return trunc_normal(0.0, std, -3.0 * std, 3.0 * std)


@public("jaxinit.recipes")
def olmo_core(
    init_method: OlmoInitMethod = "normal",
    *,
    d_model: int,
    n_layers: int,
    init_std: float = 0.02,
    embedding_init_std: float | None = None,
    embed_scale: float | None = None,
    blocks: str = "blocks",
    w_q: RolePattern = "attention/w_q",
    w_k: RolePattern = "attention/w_k",
    w_v: RolePattern = "attention/w_v",
    w_out: RolePattern = "attention/w_out",
    w1: RolePattern = "feed_forward/w1",
    w2: RolePattern = "feed_forward/w2",
    w3: RolePattern = "feed_forward/w3",
    lm_head: RolePattern = "lm_head/w_out",
) -> Recipe:
    r"""OLMo-core's ``Transformer.init_weights`` under its ``InitMethod`` (``init_method``),
    with ``Transformer``'s names and defaults (ai2-olmo-core 3.0.0,
    ``olmo_core/nn/transformer/init.py``): a dense transformer, attention ``w_q``, ``w_k``,
    ``w_v``, ``w_out`` and feed-forward ``w1``, ``w2``, ``w3`` under ``blocks/<i>``, then
    ``lm_head/w_out``.

    Every Linear weight is ``init_linear``'s :math:`T(\sigma)`, a normal of std :math:`\sigma`
    truncated at :math:`\pm 3\sigma` (absolute bounds), and its bias 0; norms 1 and 0. With
    :math:`s` = ``init_std``, :math:`d` = ``d_model``, :math:`n` = ``n_layers`` and :math:`i`
    the block index (from 0):

    .. math::

        \begin{array}{llllll}
        & \texttt{normal} & \texttt{llama} & \texttt{llama\_depth} & \texttt{normalized}
          & \texttt{fan\_in} \\
        \text{embeddings} & T(e) & \mathcal{N}(0, 1) & \mathcal{N}(0, 1)
          & \mathcal{N}(0, 1/d) & \mathcal{N}(0, 1/\text{embed\_scale}^2) \\
        w_q, w_k, w_v, w_1 & T(s) & T(s) & T(s) & T(d^{-1/2}) & F \\
        w_{out}, w_2 & T(s) & T(s/\sqrt{2n}) & T(s/\sqrt{2(i+1)}) & T(d^{-1/2}/\sqrt{2n}) & F \\
        w_3 & T(s) & T(s/\sqrt{2n}) & T(s/\sqrt{2(i+1)}) & T(d^{-1/2}) & F \\
        \text{lm\_head} & T(s) & T(d^{-1/2}) & T(d^{-1/2}) & T(d^{-1/2}) & T(d^{-1/2})
        \end{array}

    :math:`e` is ``embedding_init_std`` (default: ``init_std``); under ``fan_in`` the
    embeddings are :math:`\mathcal{N}(0, 1)` without ``embed_scale``, and every Linear weight
    is :math:`F = T(1/\sqrt{\text{in\_features}})` (:class:`FanInTruncNormal`). As in OLMo-core,
    ``w3`` (an input projection of the SwiGLU) takes the depth-scaled std under ``llama`` and
    ``llama_depth``. The layer index of ``llama_depth`` is read from the path after ``blocks``
    (:class:`PerLayer`): a block at index ``n_layers`` or beyond is an error. With tied
    embeddings (no ``lm_head`` weight) pass ``lm_head=None``. Any other Linear (an attention
    gate ``w_g``) gets the law of ``w_q``, as OLMo-core initialises its gates. Not covered: MoE
    blocks, fused ``w_qkv`` (pass ``w_q="attention/w_qkv", w_k=None, w_v=None``), attention
    sinks (a parameter no rule matches: an error), nGPT's ``NormalizedTransformer`` scalers.

    >>> from jaxinit import recipes
    >>> recipes.olmo_core("llama_depth", d_model=768, n_layers=12)
    olmo_core(init_method='llama_depth', d_model=768, n_layers=12, init_std=0.02)
    """
    checks.choice("init_method", init_method, OLMO_INIT_METHODS)
    d = checks.integer("d_model", d_model, minimum=1)
    n = checks.integer("n_layers", n_layers, minimum=1)
    s = _std("init_std", init_std)
    e = s if embedding_init_std is None else _std("embedding_init_std", embedding_init_std)
    scale = None if embed_scale is None else _std("embed_scale", embed_scale)
    checks.glob("blocks", blocks)
    arguments: tuple[tuple[str, object], ...] = (
        ("init_method", init_method),
        ("d_model", d),
        ("n_layers", n),
        ("init_std", s),
    )
    arguments += tuple(
        (k, v)
        for k, v in (("embedding_init_std", embedding_init_std), ("embed_scale", scale))
        if v is not None
    )

    inputs: Law = _olmo_trunc(s)  # w_q, w_k, w_v, w1
    outputs: Law = _olmo_trunc(s)  # w_out, w2
    gate: Law = _olmo_trunc(s)  # w3
    head: Law = _olmo_trunc(d**-0.5)
    embedding: Law
    if init_method == "normal":
        embedding, head = _olmo_trunc(e), _olmo_trunc(s)
    elif init_method == "llama":
        embedding = normal(0.0, 1.0)
        outputs = gate = _olmo_trunc(s / math.sqrt(2 * n))
    elif init_method == "llama_depth":
        embedding = normal(0.0, 1.0)
        outputs = gate = PerLayer(tuple(_olmo_trunc(s / math.sqrt(2 * (i + 1))) for i in range(n)), blocks)
    elif init_method == "normalized":
        embedding = normal(0.0, d**-0.5)
        inputs = gate = _olmo_trunc(d**-0.5)
        outputs = _olmo_trunc(d**-0.5 / math.sqrt(2 * n))
    else:  # fan_in
        embedding = normal(0.0, 1.0 if scale is None else 1.0 / scale)
        inputs = outputs = gate = FanInTruncNormal()
    layers = (  # a Linear no role names (an attention gate ``w_g``) gets w_q's law, as in OLMo-core
        ("linear", Laws(inputs, zeros())),
        ("embedding", Laws(embedding)),
        ("norm", Laws(ones(), zeros())),
    )
    roles = (
        _role("lm_head", lm_head, weight=head)
        + _role("w_q", w_q, weight=inputs)
        + _role("w_k", w_k, weight=inputs)
        + _role("w_v", w_v, weight=inputs)
        + _role("w_out", w_out, weight=outputs)
        + _role("w1", w1, weight=inputs)
        + _role("w2", w2, weight=outputs)
        + _role("w3", w3, weight=gate)
    )
    return Recipe("olmo_core", arguments, layers, roles)


@public("jaxinit.recipes")
def dit(
    *,
    adaLN_modulation: RolePattern = "adaLN_modulation",  # noqa: N803 - DiT's name
    final_linear: RolePattern = "final_layer/linear",
    t_embedder: RolePattern = "t_embedder/mlp",
) -> Recipe:
    r"""DiT's ``initialize_weights`` (Peebles & Xie, facebookresearch/DiT ``models.py``): every
    Linear ``xavier_uniform_``, biases 0; the patch-embedding convolution ``xavier_uniform_`` of
    its weight seen as ``(out, in * kh * kw)``, bias 0; embeddings (the label table)
    :math:`\mathcal{N}(0, 0.02^2)`; the timestep MLP (``t_embedder``) weights
    :math:`\mathcal{N}(0, 0.02^2)`; adaLN-Zero: every ``adaLN_modulation`` layer and the final
    linear layer (``final_linear``) weight and bias 0. DiT's fixed sin-cos ``pos_embed`` is not
    a random law: keep it out of the parameters. Written from the DiT code (not a test
    dependency).

    >>> from jaxinit import recipes
    >>> recipes.dit()
    dit()
    """
    layers = (
        ("linear", Laws(_XAVIER, zeros())),
        ("conv", Laws(Shaped(xavier_uniform(layout="torch"), flatten=True), zeros())),
        ("embedding", Laws(normal(0.0, 0.02))),
    )
    roles = (
        _role("adaLN_modulation", adaLN_modulation, weight=zeros(), bias=zeros())
        + _role("final_linear", final_linear, weight=zeros(), bias=zeros())
        + _role("t_embedder", t_embedder, weight=normal(0.0, 0.02))
    )
    return Recipe("dit", (), layers, roles)


@public("jaxinit.recipes")
def torch(*, transformer: str | Iterable[str] = ()) -> Recipe:
    """PyTorch's layer defaults: what ``torch_defaults.reset_parameters`` gives (``transformer``:
    the paths that stand for a ``torch.nn.Transformer``, see there).

    >>> from jaxinit import recipes
    >>> recipes.torch()
    torch()
    """
    found = transformer_globs(transformer)
    return Recipe("torch", (("transformer", found),) if found else (), transformer=found)
