"""Whole models: a ResNet-18, a Transformer encoder and an LSTM language model, built in PyTorch
and in Flax NNX, Flax linen and Equinox (``examples/port_from_pytorch.py``), and an
``nn.Transformer`` in NNX. After ``reset_parameters`` every Flax parameter matches exactly one
torch tensor, its law equals the law torch's code gives that tensor, and torch's draws agree
with the law and with jaxinit's draws (KS, family-wise level 1e-4 per model).
"""

import importlib.util
import math
import pathlib
import sys

import jax
import numpy as np
import pytest

import jaxinit
from jaxinit import torch_defaults

pytestmark = pytest.mark.slow  # a framework-parity suite: in the full run, not the edit-test loop

torch = pytest.importorskip("torch")

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "port_from_pytorch.py"


@pytest.fixture(scope="module")
def port():
    spec = importlib.util.spec_from_file_location("port_from_pytorch", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # linen's dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def check_rows(rows):
    """Every law equal to torch's; constants exact; every KS p-value above 1e-4 / (number of tests)."""
    assert all(r["same_law"] for r in rows), [
        (r["torch"], r["torch_law"], r["jaxinit"]) for r in rows if not r["same_law"]
    ]
    assert all(r["exact"] for r in rows if "exact" in r), [
        r["torch"] for r in rows if not r.get("exact", True)
    ]
    tested = [r for r in rows if "p_two_sample" in r]
    threshold = 1e-4 / (2 * len(tested))
    smallest = min(min(r["p_two_sample"], r["p_torch_law"]) for r in tested)
    assert smallest > threshold, [
        (r["torch"], r["p_torch_law"], r["p_two_sample"])
        for r in tested
        if min(r["p_torch_law"], r["p_two_sample"]) <= threshold
    ]
    return smallest


ARCH_FRAMEWORKS = [
    (a, f) for a in ("resnet18", "transformer", "lstm_lm") for f in ("nnx", "linen", "equinox")
]


@pytest.mark.parametrize(
    "architecture,framework", ARCH_FRAMEWORKS, ids=[f"{a}-{f}" for a, f in ARCH_FRAMEWORKS]
)
def test_architecture_matches_torch(port, architecture, framework, record_property):
    rows = port.compare(framework, architecture)
    smallest = check_rows(rows)
    matched = [r for r in rows if r["flax"]]
    record_property("torch_tensors", len(matched))
    record_property("flax_parameters", sum(len(r["flax"]) for r in matched))
    record_property("smallest_ks_p", float(smallest))  # xdist sends plain floats only
    print(
        f"{architecture}/{framework}: {len(matched)} torch tensors, {sum(len(r['flax']) for r in matched)} "
        f"Flax parameters, smallest KS p = {smallest:.3g}"
    )
    expected = {"resnet18": 122 if framework == "equinox" else 102, "transformer": 25, "lstm_lm": 9}[
        architecture
    ]
    assert len(matched) == expected


def test_nn_transformer_in_nnx(port):
    """torch's nn.Transformer re-draws every tensor of 2+ dims by xavier_uniform: transformer="*"."""
    from flax import nnx

    E, HEADS, FF = 32, 4, 64

    def attention(rngs):
        return nnx.MultiHeadAttention(HEADS, E, decode=False, rngs=rngs)

    class EncoderLayer(nnx.Module):
        def __init__(self, rngs):
            self.self_attn = attention(rngs)
            self.linear1, self.linear2 = nnx.Linear(E, FF, rngs=rngs), nnx.Linear(FF, E, rngs=rngs)
            self.norm1, self.norm2 = nnx.LayerNorm(E, rngs=rngs), nnx.LayerNorm(E, rngs=rngs)

    class DecoderLayer(EncoderLayer):
        def __init__(self, rngs):
            super().__init__(rngs)
            self.multihead_attn = attention(rngs)
            self.norm3 = nnx.LayerNorm(E, rngs=rngs)

    class Stack(nnx.Module):
        def __init__(self, layer, rngs):
            self.layers = nnx.List([layer(rngs)])
            self.norm = nnx.LayerNorm(E, rngs=rngs)

    class Transformer(nnx.Module):
        def __init__(self, rngs):
            self.encoder = Stack(EncoderLayer, rngs)
            self.decoder = Stack(DecoderLayer, rngs)

    key = jax.random.key(1)
    model = torch_defaults.reset_parameters(
        nnx.eval_shape(lambda: Transformer(nnx.Rngs(0))), key, transformer="*"
    )
    inits = torch_defaults.initializers(model, transformer="*")
    values = {
        "/".join(map(str, p)): v.get_value() for p, v in nnx.iter_graph(model) if isinstance(v, nnx.Param)
    }
    for path, init in inits.items():  # the values are the reset's draws of the reported laws
        np.testing.assert_array_equal(
            np.asarray(values[path]),
            np.asarray(init(jaxinit.path_key(key, path), values[path].shape, values[path].dtype)),
        )

    def xavier(name, value, law):
        if value.ndim < 2:
            return law
        fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(value.shape))
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return type(law)(low=-bound, high=bound)

    rows = port.compare_draws(
        "nnx",
        values,
        inits,
        key,
        lambda: torch.nn.Transformer(E, HEADS, 1, 1, FF, batch_first=True),
        torch,
        torch_law_of=xavier,
    )
    check_rows(rows)
    assert len(rows) == 34  # encoder layer 12 + norm 2, decoder layer 18 + norm 2
    assert any(r["torch"] == "decoder.layers.0.linear1.weight" and r["torch_law"] == "U(±0.25)" for r in rows)
