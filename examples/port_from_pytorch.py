"""Porting PyTorch models to Flax NNX, Flax linen and Equinox with PyTorch's initial weights.

Three architectures are written once in PyTorch and once in each framework (narrow widths, so
that the script runs in seconds):

* a ResNet-18 (convolutions, batch norms, a linear classifier);
* a Transformer encoder (an embedding and two ``nn.TransformerEncoderLayer``);
* an LSTM language model (an embedding, a 2-layer ``nn.LSTM``, a linear decoder).

One call, ``jaxinit.torch_defaults.reset_parameters(model, key)``, gives every Flax/Equinox
parameter the law torch's ``reset_parameters`` gives its counterpart. The script prints, for
every torch tensor: the law torch's code implies, the law jaxinit reports for the matching
Flax parameters, and the two-sample Kolmogorov-Smirnov p-value between torch's draws and
jaxinit's (``exact`` for constants). Without torch it prints jaxinit's laws only.

    python examples/port_from_pytorch.py            # NNX, linen and Equinox
    python examples/port_from_pytorch.py nnx        # one framework

The tables double as the map a weight port needs: which Flax parameters hold which torch
tensor (torch's ``in_proj_weight`` is Flax's query, key and value kernels; torch's two LSTM
biases are one Flax bias per gate, whose law is that of their sum).
"""

from __future__ import annotations

import math
import re
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxinit
from jaxinit import torch_defaults

WIDTHS = (8, 16, 32, 64)  # ResNet-18 stages (torchvision: 64, 128, 256, 512)
CLASSES = 10
VOCAB, EMBED, HEADS, FEEDFORWARD, HIDDEN = 100, 32, 4, 64, 48
ARCHITECTURES = ("resnet18", "transformer", "lstm_lm")
FRAMEWORKS = ("nnx", "linen", "equinox")


def _stages():
    """(stage name, block index, in channels, out channels, stride) of ResNet-18's 8 blocks."""
    in_c = WIDTHS[0]
    for s, out_c in enumerate(WIDTHS):
        for b in range(2):
            stride = 2 if (s > 0 and b == 0) else 1
            yield f"layer{s + 1}", b, in_c, out_c, stride
            in_c = out_c


# -- PyTorch -----------------------------------------------------------------------------


def torch_models():
    import torch
    from torch import nn

    class BasicBlock(nn.Module):
        def __init__(self, in_c, out_c, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(in_c, out_c, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(out_c)
            self.conv2 = nn.Conv2d(out_c, out_c, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(out_c)
            self.shortcut_conv = self.shortcut_bn = None
            if stride != 1 or in_c != out_c:
                self.shortcut_conv = nn.Conv2d(in_c, out_c, 1, stride, bias=False)
                self.shortcut_bn = nn.BatchNorm2d(out_c)

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, WIDTHS[0], 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(WIDTHS[0])
            for stage in sorted({s for s, *_ in _stages()}):
                setattr(
                    self,
                    stage,
                    nn.ModuleList(BasicBlock(i, o, st) for s, _, i, o, st in _stages() if s == stage),
                )
            self.fc = nn.Linear(WIDTHS[-1], CLASSES)

    class TransformerEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, EMBED)
            # two independent layers (nn.TransformerEncoder would deep-copy one: identical weights)
            self.layers = nn.ModuleList(
                nn.TransformerEncoderLayer(EMBED, HEADS, FEEDFORWARD, batch_first=True) for _ in range(2)
            )

    class LSTMLanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, EMBED)
            self.lstm = nn.LSTM(EMBED, HIDDEN, num_layers=2, batch_first=True)
            self.decoder = nn.Linear(HIDDEN, VOCAB)

    return {"resnet18": ResNet18, "transformer": TransformerEncoder, "lstm_lm": LSTMLanguageModel}, torch


# -- Flax NNX ----------------------------------------------------------------------------


def nnx_models():
    from flax import nnx

    class BasicBlock(nnx.Module):
        def __init__(self, in_c, out_c, stride, rngs):
            self.conv1 = nnx.Conv(in_c, out_c, (3, 3), stride, padding=1, use_bias=False, rngs=rngs)
            self.bn1 = nnx.BatchNorm(out_c, rngs=rngs)
            self.conv2 = nnx.Conv(out_c, out_c, (3, 3), padding=1, use_bias=False, rngs=rngs)
            self.bn2 = nnx.BatchNorm(out_c, rngs=rngs)
            if stride != 1 or in_c != out_c:
                self.shortcut_conv = nnx.Conv(in_c, out_c, (1, 1), stride, use_bias=False, rngs=rngs)
                self.shortcut_bn = nnx.BatchNorm(out_c, rngs=rngs)
            else:
                self.shortcut_conv = self.shortcut_bn = None

        def __call__(self, x):
            y = nnx.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            if self.shortcut_conv is not None:
                x = self.shortcut_bn(self.shortcut_conv(x))
            return nnx.relu(x + y)

    class ResNet18(nnx.Module):
        def __init__(self, rngs):
            self.conv1 = nnx.Conv(3, WIDTHS[0], (7, 7), 2, padding=3, use_bias=False, rngs=rngs)
            self.bn1 = nnx.BatchNorm(WIDTHS[0], rngs=rngs)
            for stage in sorted({s for s, *_ in _stages()}):
                setattr(
                    self,
                    stage,
                    nnx.List([BasicBlock(i, o, st, rngs) for s, _, i, o, st in _stages() if s == stage]),
                )
            self.fc = nnx.Linear(WIDTHS[-1], CLASSES, rngs=rngs)

        def __call__(self, x):  # NHWC
            x = nnx.relu(self.bn1(self.conv1(x)))
            x = nnx.max_pool(x, (3, 3), (2, 2), "SAME")
            for stage in (self.layer1, self.layer2, self.layer3, self.layer4):
                for block in stage:
                    x = block(x)
            return self.fc(x.mean(axis=(1, 2)))

    class EncoderLayer(nnx.Module):
        def __init__(self, rngs):
            self.self_attn = nnx.MultiHeadAttention(HEADS, EMBED, decode=False, rngs=rngs)
            self.linear1 = nnx.Linear(EMBED, FEEDFORWARD, rngs=rngs)
            self.linear2 = nnx.Linear(FEEDFORWARD, EMBED, rngs=rngs)
            self.norm1 = nnx.LayerNorm(EMBED, rngs=rngs)
            self.norm2 = nnx.LayerNorm(EMBED, rngs=rngs)

        def __call__(self, x):  # post-norm, as torch's default
            x = self.norm1(x + self.self_attn(x))
            return self.norm2(x + self.linear2(nnx.relu(self.linear1(x))))

    class TransformerEncoder(nnx.Module):
        def __init__(self, rngs):
            self.embedding = nnx.Embed(VOCAB, EMBED, rngs=rngs)
            self.layers = nnx.List([EncoderLayer(rngs) for _ in range(2)])

        def __call__(self, tokens):
            x = self.embedding(tokens)
            for layer in self.layers:
                x = layer(x)
            return x

    class LSTMLanguageModel(nnx.Module):
        def __init__(self, rngs):
            self.embedding = nnx.Embed(VOCAB, EMBED, rngs=rngs)
            self.lstm0 = nnx.RNN(nnx.LSTMCell(EMBED, HIDDEN, rngs=rngs))
            self.lstm1 = nnx.RNN(nnx.LSTMCell(HIDDEN, HIDDEN, rngs=rngs))
            self.decoder = nnx.Linear(HIDDEN, VOCAB, rngs=rngs)

        def __call__(self, tokens):
            return self.decoder(self.lstm1(self.lstm0(self.embedding(tokens))))

    return {"resnet18": ResNet18, "transformer": TransformerEncoder, "lstm_lm": LSTMLanguageModel}


# -- Flax linen --------------------------------------------------------------------------


def linen_models():
    import flax.linen as nn

    class BasicBlock(nn.Module):
        in_c: int
        out_c: int
        stride: int

        @nn.compact
        def __call__(self, x, train: bool = False):
            norm = lambda name: nn.BatchNorm(use_running_average=not train, name=name)  # noqa: E731
            y = nn.Conv(self.out_c, (3, 3), self.stride, padding=1, use_bias=False, name="conv1")(x)
            y = nn.relu(norm("bn1")(y))
            y = norm("bn2")(nn.Conv(self.out_c, (3, 3), padding=1, use_bias=False, name="conv2")(y))
            if self.stride != 1 or self.in_c != self.out_c:
                x = nn.Conv(self.out_c, (1, 1), self.stride, use_bias=False, name="shortcut_conv")(x)
                x = norm("shortcut_bn")(x)
            return nn.relu(x + y)

    class ResNet18(nn.Module):
        @nn.compact
        def __call__(self, x, train: bool = False):
            x = nn.Conv(WIDTHS[0], (7, 7), 2, padding=3, use_bias=False, name="conv1")(x)
            x = nn.relu(nn.BatchNorm(use_running_average=not train, name="bn1")(x))
            x = nn.max_pool(x, (3, 3), (2, 2), "SAME")
            for stage, b, in_c, out_c, stride in _stages():
                x = BasicBlock(in_c, out_c, stride, name=f"{stage}_{b}")(x, train)
            return nn.Dense(CLASSES, name="fc")(x.mean(axis=(1, 2)))

    class EncoderLayer(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.LayerNorm(name="norm1")(x + nn.MultiHeadDotProductAttention(HEADS, name="self_attn")(x))
            y = nn.Dense(EMBED, name="linear2")(nn.relu(nn.Dense(FEEDFORWARD, name="linear1")(x)))
            return nn.LayerNorm(name="norm2")(x + y)

    class TransformerEncoder(nn.Module):
        @nn.compact
        def __call__(self, tokens):
            x = nn.Embed(VOCAB, EMBED, name="embedding")(tokens)
            for i in range(2):
                x = EncoderLayer(name=f"layers_{i}")(x)
            return x

    class LSTMLanguageModel(nn.Module):
        @nn.compact
        def __call__(self, tokens):
            x = nn.Embed(VOCAB, EMBED, name="embedding")(tokens)
            for k in range(2):
                x = nn.RNN(nn.LSTMCell(HIDDEN, name=f"lstm{k}"), name=f"rnn{k}")(x)
            return nn.Dense(VOCAB, name="decoder")(x)

    inputs = {
        "resnet18": (jnp.ones((1, 32, 32, 3)),),
        "transformer": (jnp.zeros((1, 7), jnp.int32),),
        "lstm_lm": (jnp.zeros((1, 7), jnp.int32),),
    }
    return {"resnet18": ResNet18, "transformer": TransformerEncoder, "lstm_lm": LSTMLanguageModel}, inputs


# -- Equinox -----------------------------------------------------------------------------


def equinox_models():
    import equinox as eqx

    class BasicBlock(eqx.Module):
        conv1: eqx.nn.Conv2d
        bn1: eqx.nn.BatchNorm
        conv2: eqx.nn.Conv2d
        bn2: eqx.nn.BatchNorm
        shortcut_conv: eqx.nn.Conv2d | None
        shortcut_bn: eqx.nn.BatchNorm | None

        def __init__(self, in_c, out_c, stride, key):
            k1, k2, k3 = jax.random.split(key, 3)
            self.conv1 = eqx.nn.Conv2d(in_c, out_c, 3, stride, 1, use_bias=False, key=k1)
            self.bn1 = eqx.nn.BatchNorm(out_c, "batch", mode="batch")
            self.conv2 = eqx.nn.Conv2d(out_c, out_c, 3, 1, 1, use_bias=False, key=k2)
            self.bn2 = eqx.nn.BatchNorm(out_c, "batch", mode="batch")
            self.shortcut_conv = self.shortcut_bn = None
            if stride != 1 or in_c != out_c:
                self.shortcut_conv = eqx.nn.Conv2d(in_c, out_c, 1, stride, use_bias=False, key=k3)
                self.shortcut_bn = eqx.nn.BatchNorm(out_c, "batch", mode="batch")

    class ResNet18(eqx.Module):
        conv1: eqx.nn.Conv2d
        bn1: eqx.nn.BatchNorm
        layer1: tuple
        layer2: tuple
        layer3: tuple
        layer4: tuple
        fc: eqx.nn.Linear

        def __init__(self, key):
            keys = iter(jax.random.split(key, 10))
            self.conv1 = eqx.nn.Conv2d(3, WIDTHS[0], 7, 2, 3, use_bias=False, key=next(keys))
            self.bn1 = eqx.nn.BatchNorm(WIDTHS[0], "batch", mode="batch")
            for stage in ("layer1", "layer2", "layer3", "layer4"):
                setattr(
                    self,
                    stage,
                    tuple(BasicBlock(i, o, st, next(keys)) for s, _, i, o, st in _stages() if s == stage),
                )
            self.fc = eqx.nn.Linear(WIDTHS[-1], CLASSES, key=next(keys))

    class EncoderLayer(eqx.Module):
        self_attn: eqx.nn.MultiheadAttention
        linear1: eqx.nn.Linear
        linear2: eqx.nn.Linear
        norm1: eqx.nn.LayerNorm
        norm2: eqx.nn.LayerNorm

        def __init__(self, key):
            k1, k2, k3 = jax.random.split(key, 3)
            self.self_attn = eqx.nn.MultiheadAttention(
                HEADS,
                EMBED,
                use_query_bias=True,
                use_key_bias=True,
                use_value_bias=True,
                use_output_bias=True,
                key=k1,
            )
            self.linear1 = eqx.nn.Linear(EMBED, FEEDFORWARD, key=k2)
            self.linear2 = eqx.nn.Linear(FEEDFORWARD, EMBED, key=k3)
            self.norm1 = eqx.nn.LayerNorm(EMBED)
            self.norm2 = eqx.nn.LayerNorm(EMBED)

    class TransformerEncoder(eqx.Module):
        embedding: eqx.nn.Embedding
        layers: tuple

        def __init__(self, key):
            k0, k1, k2 = jax.random.split(key, 3)
            self.embedding = eqx.nn.Embedding(VOCAB, EMBED, key=k0)
            self.layers = (EncoderLayer(k1), EncoderLayer(k2))

    class LSTMLanguageModel(eqx.Module):
        embedding: eqx.nn.Embedding
        lstm0: eqx.nn.LSTMCell
        lstm1: eqx.nn.LSTMCell
        decoder: eqx.nn.Linear

        def __init__(self, key):
            k = jax.random.split(key, 4)
            self.embedding = eqx.nn.Embedding(VOCAB, EMBED, key=k[0])
            self.lstm0 = eqx.nn.LSTMCell(EMBED, HIDDEN, key=k[1])
            self.lstm1 = eqx.nn.LSTMCell(HIDDEN, HIDDEN, key=k[2])
            self.decoder = eqx.nn.Linear(HIDDEN, VOCAB, key=k[3])

    # (forward passes left out: the initial parameters are what is compared)
    return {"resnet18": ResNet18, "transformer": TransformerEncoder, "lstm_lm": LSTMLanguageModel}


# -- building and resetting ----------------------------------------------------------------


def reset(framework: str, architecture: str, key):
    """(parameter values by path, jaxinit's initializer by path) of a freshly reset model."""
    if framework == "nnx":
        from flax import nnx

        cls = nnx_models()[architecture]
        if architecture == "lstm_lm":  # nnx.RNN keeps an RNG stream: an abstract one would stay abstract
            model = cls(nnx.Rngs(0))
        else:  # built abstractly: no default draws to throw away
            model = nnx.eval_shape(lambda: cls(nnx.Rngs(0)))
        model = torch_defaults.reset_parameters(model, key)  # in place
        values = {
            "/".join(map(str, p)): v.get_value()
            for p, v in nnx.iter_graph(model)
            if isinstance(v, (nnx.Param, nnx.BatchStat))
        }
        return values, torch_defaults.initializers(model), model
    if framework == "linen":
        classes, inputs = linen_models()
        model = classes[architecture]()
        variables = torch_defaults.reset_parameters(model, key, *inputs[architecture])
        values = {
            jaxinit._src.tree.path_str(p): v for p, v in jax.tree_util.tree_flatten_with_path(variables)[0]
        }
        return values, torch_defaults.initializers(model, *inputs[architecture]), (model, variables)
    import equinox as eqx

    model = eqx.filter_eval_shape(equinox_models()[architecture], jax.random.key(0))
    model = torch_defaults.reset_parameters(model, key)
    values = {
        jaxinit._src.tree.path_str(p): v
        for p, v in jax.tree_util.tree_flatten_with_path(model)[0]
        if isinstance(v, jax.Array)
    }
    return values, torch_defaults.initializers(model), model


# -- which Flax parameters hold which torch tensor ---------------------------------------

LSTM_GATES = {
    "nnx": (("ii", "if_", "ig", "io"), ("hi", "hf", "hg", "ho")),
    "linen": (("ii", "if", "ig", "io"), ("hi", "hf", "hg", "ho")),
}


def flax_paths(framework: str, module_name: str, kind: str, tensor: str) -> list[str]:
    """The Flax parameters that hold torch tensor ``module_name.tensor`` (of a ``kind`` module)."""
    if framework == "linen":  # compact submodules are named layer1_0, layers_1, ...
        prefix = re.sub(r"\.(\d+)(?=\.|$)", r"_\1", module_name).replace(".", "/")
        collection = "batch_stats" if tensor.startswith("running") else "params"
    else:
        prefix, collection = module_name.replace(".", "/"), None
    renames = {
        "nnx": {
            "Conv2d": {"weight": "kernel"},
            "Linear": {"weight": "kernel"},
            "Embedding": {"weight": "embedding"},
            "BatchNorm2d": {"weight": "scale", "running_mean": "mean", "running_var": "var"},
            "LayerNorm": {"weight": "scale"},
        },
        "equinox": {
            "BatchNorm2d": {
                "running_mean": "batch_state_index/init/0",
                "running_var": "batch_state_index/init/1",
                "num_batches_tracked": "batch_counter/init",
            }
        },
    }
    renames["linen"] = renames["nnx"]
    if tensor == "num_batches_tracked" and framework != "equinox":
        return []  # Flax's BatchNorm counts no batches
    if kind == "MultiheadAttention":
        projections = (
            ("query_proj", "key_proj", "value_proj") if framework == "equinox" else ("query", "key", "value")
        )
        leaf = {"equinox": "weight"}.get(framework, "kernel") if tensor == "in_proj_weight" else "bias"
        paths = [f"{prefix}/{p}/{leaf}" for p in projections]
    elif kind == "out_proj":  # MultiheadAttention's output projection
        out = "output_proj" if framework == "equinox" else "out"
        leaf = "kernel" if (tensor == "weight" and framework != "equinox") else tensor
        paths = [f"{prefix.rsplit('/', 1)[0]}/{out}/{leaf}"]
    elif kind == "LSTM":
        what, layer = re.fullmatch(r"(weight_ih|weight_hh|bias)_l(\d)", tensor).groups()
        if framework == "equinox":
            paths = [f"lstm{layer}/{what}"]
        else:
            cell = (
                f"lstm{layer}" if framework == "linen" else f"lstm{layer}/cell"
            )  # linen: the cell lives where it was made
            inputs, hidden = LSTM_GATES[framework]
            gates, leaf = {
                "weight_ih": (inputs, "kernel"),
                "weight_hh": (hidden, "kernel"),
                "bias": (hidden, "bias"),
            }[what]
            paths = [f"{cell}/{g}/{leaf}" for g in gates]
    else:
        paths = [f"{prefix}/{renames.get(framework, {}).get(kind, {}).get(tensor, tensor)}"]
    return [f"{collection}/{p}" for p in paths] if collection else paths


# -- the laws torch's code gives ----------------------------------------------------------


def torch_tensors(model, torch):
    """{name: (kind, module name, tensor name, values, law)} for every torch tensor that holds a
    parameter or a running statistic. An LSTM's b_ih and b_hh become one entry, their sum."""
    fans = torch.nn.init._calculate_fan_in_and_fan_out
    from jaxinit.distributions import Constant, Normal, Triangular, Uniform

    def uniform(bound):
        return Uniform(low=-bound, high=bound)

    out = {}
    for name, module in model.named_modules():
        kind = type(module).__name__
        get = lambda t: t.detach().numpy().astype(np.float64)  # noqa: E731
        if kind in (
            "Conv2d",
            "Linear",
        ):  # reset_parameters: kaiming_uniform(a=sqrt(5)), bias U(+-1/sqrt(fan_in))
            bound = 1 / math.sqrt(fans(module.weight)[0])
            for t in ("weight", "bias"):
                if getattr(module, t) is not None:
                    out[f"{name}.{t}"] = (kind, name, t, get(getattr(module, t)), uniform(bound))
        elif kind in ("BatchNorm2d", "LayerNorm"):
            for t, v in (
                ("weight", 1.0),
                ("bias", 0.0),
                ("running_mean", 0.0),
                ("running_var", 1.0),
                ("num_batches_tracked", 0.0),
            ):
                if getattr(module, t, None) is not None:
                    out[f"{name}.{t}"] = (kind, name, t, get(getattr(module, t)), Constant(value=v))
        elif kind == "Embedding":
            out[f"{name}.weight"] = (kind, name, "weight", get(module.weight), Normal(mean=0.0, std=1.0))
        elif kind == "MultiheadAttention":  # _reset_parameters: xavier in_proj, zero biases
            fan_in, fan_out = fans(module.in_proj_weight)
            out[f"{name}.in_proj_weight"] = (
                kind,
                name,
                "in_proj_weight",
                get(module.in_proj_weight),
                uniform(math.sqrt(6 / (fan_in + fan_out))),
            )
            out[f"{name}.in_proj_bias"] = (
                kind,
                name,
                "in_proj_bias",
                get(module.in_proj_bias),
                Constant(value=0.0),
            )
            proj = module.out_proj  # NonDynamicallyQuantizableLinear: Linear's weight law, bias zeroed
            out[f"{name}.out_proj.weight"] = (
                "out_proj",
                f"{name}.out_proj",
                "weight",
                get(proj.weight),
                uniform(1 / math.sqrt(fans(proj.weight)[0])),
            )
            out[f"{name}.out_proj.bias"] = (
                "out_proj",
                f"{name}.out_proj",
                "bias",
                get(proj.bias),
                Constant(value=0.0),
            )
        elif kind == "LSTM":  # every weight and bias U(+-1/sqrt(hidden)); the gates see b_ih + b_hh
            k = 1 / math.sqrt(module.hidden_size)
            for layer in range(module.num_layers):
                for t in (f"weight_ih_l{layer}", f"weight_hh_l{layer}"):
                    out[f"{name}.{t}"] = (kind, name, t, get(getattr(module, t)), uniform(k))
                total = get(getattr(module, f"bias_ih_l{layer}")) + get(getattr(module, f"bias_hh_l{layer}"))
                out[f"{name}.bias_ih_l{layer} + bias_hh_l{layer}"] = (
                    kind,
                    name,
                    f"bias_l{layer}",
                    total,
                    Triangular(low=-2 * k, high=2 * k),
                )
    return out


# -- the comparison -------------------------------------------------------------------------


def describe(law) -> str:
    p = law.params
    if law.family == "uniform":
        return f"U(±{p['high']:.4g})"
    if law.family == "triangular":
        return f"Tri(±{p['high']:.4g})"
    if law.family == "normal":
        return f"N({p['mean']:g}, {p['std']:.4g}²)"
    if law.family == "constant":
        return f"= {p['value']:g}"
    return repr(law)


def same_law(a, b) -> bool:
    return (
        a.family == b.family
        and set(a.params) == set(b.params)
        and all(math.isclose(a.params[k], b.params[k], rel_tol=1e-12, abs_tol=1e-15) for k in a.params)
    )


def compare(framework: str, architecture: str, repeats: int = 8, seed: int = 0) -> list[dict]:
    """One row per torch tensor: torch's law, jaxinit's, and the KS p-values of the draws."""
    key = jax.random.key(seed)
    values, inits, _ = reset(framework, architecture, key)
    try:
        classes, torch = torch_models()
    except ImportError:
        return [
            {
                "torch": path,
                "jaxinit": describe(torch_defaults.laws(init, values[path].shape)[0][1]),
                "flax": [path],
            }
            for path, init in inits.items()
        ]
    return compare_draws(framework, values, inits, key, classes[architecture], torch, repeats, seed)


def compare_draws(
    framework, values, inits, key, make_torch, torch, repeats=8, seed=0, torch_law_of=None
) -> list[dict]:
    """Compare a reset Flax model (``values`` and ``inits`` by path) with torch models from
    ``make_torch()``: torch's draws come from ``repeats`` models (seeds ``seed``, ``seed + 1``,
    ...); jaxinit's from the reset model and ``repeats - 1`` more draws of each parameter's
    initializer. ``torch_law_of(name, values, law)`` may replace the law of a torch tensor."""
    from scipy import stats

    draws = []
    for r in range(repeats):
        torch.manual_seed(seed + r)
        draws.append(torch_tensors(make_torch(), torch))
    rows, used = [], set()
    for name, (kind, module_name, tensor, first, torch_law) in draws[0].items():
        if torch_law_of is not None:
            torch_law = torch_law_of(name, first, torch_law)
        paths = flax_paths(framework, module_name, kind, tensor)
        if not paths:
            rows.append(
                {
                    "torch": name,
                    "flax": [],
                    "torch_law": describe(torch_law),
                    "jaxinit": "(no counterpart)",
                    "same_law": True,
                    "exact": True,
                }
            )
            continue
        missing = [p for p in paths if p not in inits]
        if missing:
            raise KeyError(f"{framework}: no Flax parameter {missing} for torch's {name}")
        used.update(paths)
        laws = [law for p in paths for _, law in torch_defaults.laws(inits[p], values[p].shape)]
        ours = [np.asarray(values[p], np.float64).ravel() for p in paths]
        ours += [
            np.asarray(
                inits[p](jax.random.fold_in(key, r), values[p].shape, values[p].dtype), np.float64
            ).ravel()
            for r in range(1, repeats)
            for p in paths
        ]
        ours = np.concatenate(ours)
        theirs = np.concatenate([d[name][3].ravel() for d in draws])
        row = {
            "torch": name,
            "flax": paths,
            "torch_law": describe(torch_law),
            "jaxinit": describe(laws[0]),
            "same_law": all(same_law(law, torch_law) for law in laws),
            "samples": (theirs.size, ours.size),
        }
        if torch_law.family == "constant":
            row["exact"] = bool((theirs == torch_law.value).all() and (ours == torch_law.value).all())
        else:
            row["p_torch_law"] = stats.kstest(theirs, laws[0].scipy().cdf).pvalue
            row["p_two_sample"] = stats.ks_2samp(theirs, ours).pvalue
        rows.append(row)
    unmatched = sorted(set(inits) - used)
    if unmatched:
        raise KeyError(f"{framework}: Flax parameters with no torch counterpart: {unmatched}")
    return rows


def print_table(framework: str, architecture: str, rows: list[dict]) -> None:
    print(
        f"\n{architecture} in {framework}: {len(rows)} torch tensors, "
        f"{sum(len(r['flax']) for r in rows)} Flax parameters"
    )
    if "torch_law" not in rows[0]:
        print("  (torch is not installed: jaxinit's laws only)")
        for r in rows:
            print(f"  {r['torch']:<48}{r['jaxinit']}")
        return
    print(f"  {'torch tensor':<44}{'torch law':<16}{'jaxinit law':<16}{'KS p (2-sample)':>16}")
    for r in rows:
        p = ("exact" if r["exact"] else "DIFFERENT") if "exact" in r else f"{r['p_two_sample']:.3f}"
        p = "-" if not r["flax"] else p
        mark = "" if r["same_law"] else "   <- laws differ"
        print(f"  {r['torch']:<44}{r['torch_law']:<16}{r['jaxinit']:<16}{p:>16}{mark}")


def run(frameworks=FRAMEWORKS, architectures=ARCHITECTURES) -> dict:
    results = {}
    for framework in frameworks:
        for architecture in architectures:
            rows = compare(framework, architecture)
            print_table(framework, architecture, rows)
            results[framework, architecture] = rows
    if "nnx" in frameworks and "lstm_lm" in architectures:  # the reset model runs
        _, _, model = reset("nnx", "lstm_lm", jax.random.key(0))
        print(
            f"\nforward pass of the reset NNX LSTM language model: {model(jnp.zeros((2, 7), jnp.int32)).shape}"
        )
    return results


if __name__ == "__main__":
    run(tuple(sys.argv[1:]) or FRAMEWORKS)
