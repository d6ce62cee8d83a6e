"""Recipes against their reference code: HF ``transformers`` (GPT-2, LLaMA, BERT, T5),
``timm`` (ViT, every ``init_weights`` mode) and OLMo-core (``ai2-olmo-core``: every
``InitMethod``), built in PyTorch with tiny configs (no downloads).

Each reference model is built in PyTorch, so its own code draws its initial weights; the same
architecture is built in Flax NNX (``mirror``: the torch module tree, layer by layer, under the
same names) and initialised by the recipe. Then for every torch tensor:

* the recipe's law equals the law written here from the reference code (``EXPECTED``);
* constants are exact, in torch and in jaxinit;
* random tensors: two-sample KS between torch's draws and jaxinit's, and KS of torch's draws
  against the recipe's law, each above 1e-4 family-wise (divided by the number of tests).
"""

import importlib
import importlib.util
import math
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from scipy import stats

from jaxinit import recipes
from jaxinit._src.composite import ZeroRow, laws
from jaxinit.distributions import Constant, Normal, TruncatedNormal, Uniform

pytestmark = pytest.mark.slow  # builds PyTorch models: in the full run, not the edit-test loop

STAND_INS = pathlib.Path(__file__).parent / "stand_ins"


def torchvision_or_stand_in():
    """timm imports torchvision at module level; where it is not installed, the documented
    stand-in (tests/stand_ins/torchvision) takes its place for the ViT tests."""
    if importlib.util.find_spec("torchvision") is None:
        sys.path.insert(0, str(STAND_INS))
        importlib.import_module("torchvision")


torch = pytest.importorskip("torch")
tnn = torch.nn


class Node(nnx.Module):
    """A container of the mirror: the torch module's children and own parameters as attributes."""


def mirror(module, rngs, prefix="", names=None):
    """The NNX counterpart of a torch module tree, and {torch parameter name: NNX path}."""
    names = {} if names is None else names
    kind = type(module).__name__

    def param(torch_name, nnx_name):
        names[prefix + torch_name] = (prefix + nnx_name).replace(".", "/")

    if isinstance(module, tnn.Linear):
        param("weight", "kernel"), param("bias", "bias")
        return nnx.Linear(
            module.in_features, module.out_features, use_bias=module.bias is not None, rngs=rngs
        )
    if kind == "Conv1D":  # HF GPT-2's Linear, weight (in, out)
        param("weight", "kernel"), param("bias", "bias")
        return nnx.Linear(module.weight.shape[0], module.nf, rngs=rngs)
    if isinstance(module, tnn.Embedding):
        param("weight", "embedding")
        return nnx.Embed(module.num_embeddings, module.embedding_dim, rngs=rngs)
    if isinstance(module, tnn.LayerNorm):
        param("weight", "scale"), param("bias", "bias")
        return nnx.LayerNorm(
            module.normalized_shape[-1],
            use_bias=module.bias is not None,
            use_scale=module.weight is not None,
            rngs=rngs,
        )
    if "RMSNorm" in kind or kind == "T5LayerNorm":
        param("weight", "scale")
        return nnx.RMSNorm(module.weight.shape[0], rngs=rngs)
    if isinstance(module, tnn.Conv2d):
        param("weight", "kernel"), param("bias", "bias")
        return nnx.Conv(
            module.in_channels,
            module.out_channels,
            module.kernel_size,
            strides=module.stride,
            feature_group_count=module.groups,
            use_bias=module.bias is not None,
            rngs=rngs,
        )
    if isinstance(module, (tnn.ModuleList, tnn.Sequential)):
        return nnx.List([mirror(child, rngs, f"{prefix}{i}.", names) for i, child in enumerate(module)])
    assert not isinstance(module, (tnn.Conv1d, tnn.Conv3d, tnn.MultiheadAttention, tnn.LSTM)), kind
    node = Node()
    for name, p in module.named_parameters(recurse=False):
        setattr(node, name, nnx.Param(jnp.zeros(tuple(p.shape))))
        param(name, name)
    for name, child in module.named_children():
        setattr(node, name, mirror(child, rngs, f"{prefix}{name}.", names))
    return node


def nnx_values(model):
    return {
        "/".join(map(str, p)): np.asarray(v.get_value())
        for p, v in nnx.iter_graph(model)
        if isinstance(v, nnx.Param)
    }


def same_law(a, b):
    """Same family, parameters equal up to rounding (torch's xavier is gain * sqrt(2 / n) * sqrt(3))."""
    return (
        type(a) is type(b)
        and a.params.keys() == b.params.keys()
        and all(math.isclose(a.params[k], b.params[k], rel_tol=1e-12, abs_tol=0.0) for k in a.params)
    )


def compare(reference, recipe, expected, key=jax.random.key(2026)):
    """Checks every tensor of ``reference`` (see the module docstring); returns the smallest p."""
    model = mirror(reference, nnx.Rngs(0))
    names = {}
    mirror(reference, nnx.Rngs(0), names=names)
    inits = recipes.initializers(model, recipe)
    recipes.apply(model, key, recipe)
    ours = nnx_values(model)
    pvalues, seen = [], set()
    for name, tensor in reference.named_parameters():
        theirs = tensor.detach().numpy().astype(np.float64)
        path = names[name]
        mine = ours[path].astype(np.float64)
        init = inits[path]
        want = expected(name, tuple(tensor.shape))
        parts = laws(init, mine.shape)
        if isinstance(init, ZeroRow):  # embeddings: the same (num, dim) layout in both
            assert isinstance(want, tuple) and want[0] == init.index, (name, want, init)
            assert (theirs[init.index] == 0).all() and (mine[init.index] == 0).all(), name
            want = want[1]
            parts = [p for p in parts if not isinstance(p[1], Constant)]
            keep = np.ones(theirs.shape[0], bool)
            keep[init.index] = False
            theirs, mine = theirs[keep], mine[keep]
        (law,) = {law for _, law in parts}
        assert same_law(law, want), (name, law, want)
        seen.add(type(law))
        if isinstance(law, Constant):
            value = np.float32(law.value)  # both are float32 tensors
            assert (theirs.astype(np.float32) == value).all(), (name, law)
            assert (mine.astype(np.float32) == value).all(), (name, law)
            continue
        pvalues.append(
            (
                name,
                stats.ks_2samp(theirs.ravel(), mine.ravel()).pvalue,
                stats.kstest(theirs.ravel(), law.scipy().cdf).pvalue,
            )
        )
    threshold = 1e-4 / (2 * len(pvalues))
    bad = [row for row in pvalues if min(row[1:]) <= threshold]
    assert not bad, bad
    return min(min(row[1:]) for row in pvalues), seen


# -- HF transformers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def transformers():
    return pytest.importorskip("transformers")


def normal(std):
    return Normal(mean=0.0, std=std)


ONE, ZERO = Constant(value=1.0), Constant(value=0.0)


def test_gpt2(transformers):
    n_layer, r = 3, 0.03
    config = transformers.GPT2Config(
        n_layer=n_layer,
        n_embd=64,
        n_head=2,
        vocab_size=512,
        n_positions=64,
        initializer_range=r,
        bos_token_id=0,
        eos_token_id=0,
    )
    torch.manual_seed(0)
    reference = transformers.GPT2Model(config)

    def expected(name, shape):  # GPT2PreTrainedModel._init_weights
        if name.endswith("c_proj.weight"):
            return normal(r / math.sqrt(2 * n_layer))
        if "ln_" in name:
            return ONE if name.endswith("weight") else ZERO
        return normal(r) if name.endswith("weight") else ZERO

    smallest, seen = compare(reference, recipes.gpt2(n_layer, initializer_range=r), expected)
    assert seen == {Normal, Constant}


def test_llama(transformers):
    config = transformers.LlamaConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=512,
        pad_token_id=3,
        initializer_range=0.05,
        bos_token_id=1,
        eos_token_id=2,
    )
    torch.manual_seed(1)
    reference = transformers.LlamaModel(config)

    def expected(name, shape):  # PreTrainedModel._init_weights
        if name == "embed_tokens.weight":
            return 3, normal(0.05)
        return ONE if "norm" in name else normal(0.05)

    compare(reference, recipes.llama(0.05, pad_token_id=3), expected)


def test_bert(transformers):
    config = transformers.BertConfig(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        vocab_size=512,
        max_position_embeddings=64,
    )
    torch.manual_seed(2)
    reference = transformers.BertModel(config, add_pooling_layer=True)

    def expected(name, shape):
        if name == "embeddings.word_embeddings.weight":
            return 0, normal(0.02)  # BertConfig.pad_token_id = 0
        if "LayerNorm" in name:
            return ONE if name.endswith("weight") else ZERO
        return normal(0.02) if name.endswith("weight") else ZERO

    compare(reference, recipes.bert(), expected)


@pytest.mark.parametrize("factor", [1.0, 0.5])
def test_t5(transformers, factor):
    d_model, d_kv, d_ff, heads = 64, 8, 128, 4
    config = transformers.T5Config(
        d_model=d_model,
        d_kv=d_kv,
        d_ff=d_ff,
        num_layers=2,
        num_heads=heads,
        vocab_size=512,
        initializer_factor=factor,
        feed_forward_proj="gated-gelu",
    )
    torch.manual_seed(3)
    reference = transformers.T5Model(config)

    def expected(name, shape):  # T5PreTrainedModel._init_weights
        leaf = name.split(".")[-2]
        if name == "shared.weight":
            return normal(factor)
        if "layer_norm" in name:
            return Constant(value=factor)
        stds = {
            "q": (d_model * d_kv) ** -0.5,
            "k": d_model**-0.5,
            "v": d_model**-0.5,
            "o": (heads * d_kv) ** -0.5,
            "wi_0": d_model**-0.5,
            "wi_1": d_model**-0.5,
            "wo": d_ff**-0.5,
            "relative_attention_bias": d_model**-0.5,
        }
        return normal(factor * stds[leaf])

    compare(reference, recipes.t5(d_model=d_model, d_kv=d_kv, factor=factor), expected)


# -- timm --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def timm_vit():
    torchvision_or_stand_in()
    return pytest.importorskip("timm.models.vision_transformer")


def lecun_tf(fan_in):
    std = math.sqrt(1 / fan_in) / 0.87962566103423978  # timm's variance_scaling_, truncated_normal
    return TruncatedNormal(mean=0.0, std=std, low=-2 * std, high=2 * std)


def xavier(fan_in, fan_out):
    bound = math.sqrt(6 / (fan_in + fan_out))
    return Uniform(low=-bound, high=bound)


@pytest.mark.parametrize("mode", ["", "jax", "jax_nlhb", "moco", "reset"])
def test_vit(timm_vit, mode):
    dim, classes, patch = 64, 10, 8
    torch.manual_seed(4)
    reference = timm_vit.VisionTransformer(
        img_size=32,
        patch_size=patch,
        embed_dim=dim,
        depth=2,
        num_heads=4,
        num_classes=classes,
        qkv_bias=True,
        weight_init=mode,
    )

    def expected(name, shape):  # VisionTransformer.init_weights and init_weights_vit_*
        if name == "pos_embed":
            return TruncatedNormal(mean=0.0, std=0.02, low=-2.0, high=2.0)
        if name == "cls_token":
            return normal(1e-6)
        if "norm" in name:
            return ONE if name.endswith("weight") else ZERO
        if name.startswith("patch_embed"):
            fan_in = 3 * patch * patch
            if mode.startswith("jax"):
                return lecun_tf(fan_in) if name.endswith("weight") else ZERO
            bound = 1 / math.sqrt(fan_in)  # torch's Conv2d.reset_parameters
            return Uniform(low=-bound, high=bound)
        # Linear layers
        out, fan_in = shape if len(shape) == 2 else (shape[0], None)
        if mode == "reset":
            bound = 1 / math.sqrt(
                fan_in if fan_in else dict(reference.named_parameters())[name[:-4] + "weight"].shape[1]
            )
            return Uniform(low=-bound, high=bound)
        if name.endswith("bias"):
            if mode.startswith("jax") and name.startswith("head"):
                return Constant(value=-math.log(classes)) if mode == "jax_nlhb" else ZERO
            if mode.startswith("jax") and ".mlp." in name:
                return normal(1e-6)
            return ZERO
        if mode == "":
            return TruncatedNormal(mean=0.0, std=0.02, low=-2.0, high=2.0)
        if mode.startswith("jax") and name.startswith("head"):
            return ZERO
        if mode == "moco" and ".qkv." in name:
            return xavier(fan_in, out // 3)
        return xavier(fan_in, out)

    smallest, seen = compare(reference, recipes.vit(mode), expected)
    assert (TruncatedNormal in seen) and (Uniform in seen)


def test_the_comparison_can_fail(transformers):
    """A recipe without GPT-2's residual scaling: the law check fails; and with a reference law
    that agrees with the wrong recipe, the KS tests against torch's own draws catch it."""
    n_layer, r = 3, 0.03
    config = transformers.GPT2Config(
        n_layer=n_layer,
        n_embd=64,
        n_head=2,
        vocab_size=512,
        n_positions=64,
        initializer_range=r,
        bos_token_id=0,
        eos_token_id=0,
    )
    torch.manual_seed(0)
    reference = transformers.GPT2Model(config)
    wrong = recipes.gpt2(n_layer, initializer_range=r, residual=None)

    def unscaled(name, shape):
        if "ln_" in name:
            return ONE if name.endswith("weight") else ZERO
        return normal(r) if name.endswith("weight") else ZERO

    with pytest.raises(AssertionError, match="c_proj.weight"):
        compare(
            reference,
            wrong,
            lambda name, shape: (
                normal(r / math.sqrt(2 * n_layer))
                if name.endswith("c_proj.weight")
                else unscaled(name, shape)
            ),
        )
    with pytest.raises(AssertionError, match=r"\('h.0.attn.c_proj.weight', "):
        compare(reference, wrong, unscaled)


# -- OLMo-core ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def olmo_core():
    pytest.importorskip("olmo_core")  # installed but broken (a missing dependency) is an error
    return importlib.import_module("olmo_core.nn.transformer")


def olmo_trunc(std):
    """OLMo-core's ``init_linear``: trunc_normal_(std=std, a=-3 * std, b=3 * std)."""
    return TruncatedNormal(mean=0.0, std=std, low=-3 * std, high=3 * std)


def olmo_reference(olmo_core, method, seed, gate=False, **kwargs):
    """A tiny LLaMA-like OLMo-core transformer, initialised by its own ``init_weights``; with
    ``gate``, its attention has an elementwise output gate (``w_g``)."""
    config = olmo_core.TransformerConfig.llama_like(
        d_model=64, vocab_size=256, n_layers=3, n_heads=4, init_method=method, **kwargs
    )
    if gate:
        from olmo_core.nn.attention import GateConfig, GateGranularity

        config.block.sequence_mixer.gate = GateConfig(granularity=GateGranularity.elementwise)
    config.init_seed = seed
    reference = config.build(init_device="cpu")
    reference.init_weights(device=torch.device("cpu"))
    return reference


def olmo_expected(method, d_model, n_layers, s, embedding_std=None, embed_scale=None):
    """The law of each tensor, read from OLMo-core 3.0.0's ``InitMethod`` code
    (``init_embeddings``, ``Attention.init_weights``, ``init_feed_forward``, ``init_final_w_out``)."""

    def expected(name, shape):
        if "norm" in name:
            return ONE if name.endswith("weight") else ZERO
        if name == "embeddings.weight":
            return {
                "normal": olmo_trunc(embedding_std or s),
                "llama": normal(1.0),
                "llama_depth": normal(1.0),
                "normalized": normal(d_model**-0.5),
                "fan_in": normal(1.0 / embed_scale if embed_scale else 1.0),
            }[method]
        if name.endswith("bias"):
            return ZERO
        if method == "fan_in":
            return olmo_trunc(shape[1] ** -0.5)  # the torch weight is (out, in)
        if name == "lm_head.w_out.weight":
            return olmo_trunc(s if method == "normal" else d_model**-0.5)
        block = int(name.split(".")[1])
        leaf = name.split(".")[-2]
        deep = {
            "normal": s,
            "llama": s / (2 * n_layers) ** 0.5,
            "llama_depth": s / (2 * (block + 1)) ** 0.5,
            "normalized": d_model**-0.5 / (2 * n_layers) ** 0.5,
        }[method]
        wide = d_model**-0.5 if method == "normalized" else s
        if leaf in ("w_out", "w2"):
            return olmo_trunc(deep)
        if leaf == "w3":  # the std w1 left behind, then scaled like w2 under llama/llama_depth
            return olmo_trunc(wide if method == "normalized" else deep)
        return olmo_trunc(wide)  # w_q, w_k, w_v, w1, and the attention gate w_g

    return expected


@pytest.mark.parametrize(
    "method, kwargs",
    [
        ("normal", {}),
        ("normal", {"init_std": 0.03, "embedding_init_std": 0.5}),
        ("llama", {}),
        ("llama_depth", {"init_std": 0.05}),
        ("normalized", {}),
        ("fan_in", {}),
        ("fan_in", {"embed_scale": 8.0}),
    ],
)
def test_olmo_core(olmo_core, method, kwargs):
    reference = olmo_reference(olmo_core, method, seed=5, **kwargs)
    s = kwargs.get("init_std", 0.02)
    recipe = recipes.olmo_core(method, d_model=64, n_layers=3, **kwargs)
    expected = olmo_expected(method, 64, 3, s, kwargs.get("embedding_init_std"), kwargs.get("embed_scale"))
    smallest, seen = compare(reference, recipe, expected)
    assert TruncatedNormal in seen


@pytest.mark.parametrize("method", ["normal", "normalized", "fan_in"])
def test_olmo_core_attention_gate(olmo_core, method):
    """A gated attention's ``w_g`` (no role of its own) gets ``w_q``'s law, as OLMo-core's."""
    reference = olmo_reference(olmo_core, method, seed=7, gate=True)
    assert any(name.endswith("w_g.weight") for name, _ in reference.named_parameters())
    recipe = recipes.olmo_core(method, d_model=64, n_layers=3)
    compare(reference, recipe, olmo_expected(method, 64, 3, 0.02))


def test_olmo_core_comparison_can_fail(olmo_core):
    """``llama`` (one std for every block) against OLMo-core's ``llama_depth``: the law check
    names a block's output layer; with the wrong reference law, KS against torch's draws does."""
    reference = olmo_reference(olmo_core, "llama_depth", seed=6)
    wrong = recipes.olmo_core("llama", d_model=64, n_layers=3)
    with pytest.raises(AssertionError, match=r"blocks\.0\.attention\.w_out\.weight"):
        compare(reference, wrong, olmo_expected("llama_depth", 64, 3, 0.02))
    with pytest.raises(AssertionError, match=r"\('blocks\.0\.attention\.w_out\.weight', "):
        compare(reference, wrong, olmo_expected("llama", 64, 3, 0.02))
