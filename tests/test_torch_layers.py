"""Every torch layer with parameters: jaxinit's law for its Flax NNX / linen / Equinox counterpart
against the formula torch's ``reset_parameters`` implies, and against torch's own draws.

For each torch layer and each framework that has the layer, ``reset_parameters`` is run on an
abstract model; then for every torch tensor (or sum of tensors, for the recurrent biases):

* the law jaxinit reports for the matching Flax parameters equals the law read off torch's
  code (fans from ``torch.nn.init._calculate_fan_in_and_fan_out`` of the torch tensor);
* torch's samples follow that law (one-sample KS), and torch's and jaxinit's samples are
  indistinguishable (two-sample KS). Each test tests several tensors at a family-wise level of
  1e-4 (Bonferroni).

The laws need no torch; the draws are compared where torch is installed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import equinox as eqx
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from scipy import stats

import jaxinit
from jaxinit import torch_defaults as td
from jaxinit.distributions import Constant, Normal, Triangular, Uniform

pytestmark = pytest.mark.slow  # a framework-parity suite: in the full run, not the edit-test loop

torch = pytest.importorskip("torch")
tinit = torch.nn.init

MIN_SAMPLES = 4096


# -- the laws torch's reset_parameters code implies ------------------------------------


def U(bound):
    return Uniform(low=-bound, high=bound)


def TRI(bound):
    return Triangular(low=-bound, high=bound)


def N(std):
    return Normal(mean=0.0, std=std)


def C(value):
    return Constant(value=value)


def fans(t):
    return tinit._calculate_fan_in_and_fan_out(t)


def kaiming_sqrt5(t):  # Linear / Conv*: kaiming_uniform_(w, a=sqrt(5)) and bias U(+-1/sqrt(fan_in))
    return U(1 / math.sqrt(fans(t)[0]))


def xavier_u(t):
    fan_in, fan_out = fans(t)
    return U(math.sqrt(6.0 / (fan_in + fan_out)))


def xavier_n(t):
    fan_in, fan_out = fans(t)
    return N(math.sqrt(2.0 / (fan_in + fan_out)))


def rnn(m):
    return U(1 / math.sqrt(m.hidden_size))


def rnn_sum(m):
    return TRI(2 / math.sqrt(m.hidden_size))


def same_law(ours, theirs):
    if ours.family != theirs.family or set(ours.params) != set(theirs.params):
        return False
    return all(
        math.isclose(ours.params[k], theirs.params[k], rel_tol=1e-12, abs_tol=1e-15) for k in ours.params
    )


# -- the cases ---------------------------------------------------------------------------


def t(name):
    """A torch tensor of the layer, by attribute path."""

    def get(m):
        for part in name.split("."):
            m = getattr(m, part)
        return m.detach().numpy()

    return get


@dataclasses.dataclass
class Case:
    torch: Callable[[], Any]
    # label -> (torch values of one layer, torch law of one layer)
    tensors: dict[str, tuple[Callable, Callable]]
    # framework -> (build the abstract model, {label: [(param path, region index)]})
    flax: dict[str, tuple[Callable, dict]]


def nnx_model(make):
    return lambda: nnx.eval_shape(lambda: make(nnx.Rngs(0)))


def linen_model(module, *inputs):
    return lambda: (module, inputs)


def eqx_model(make):
    return lambda: eqx.filter_eval_shape(make, jax.random.key(0))


ALL = (Ellipsis,)


def whole(*paths):
    return [(p, ALL) for p in paths]


def linen_params(*paths):
    return [(f"params/{p}", ALL) for p in paths]


H = 32  # hidden size of the recurrent cases
E = 32  # attention embedding


CASES = {
    "Linear": Case(
        lambda: torch.nn.Linear(48, 40),
        {
            "weight": (t("weight"), lambda m: kaiming_sqrt5(m.weight)),
            "bias": (t("bias"), lambda m: kaiming_sqrt5(m.weight)),
        },
        {
            "nnx": (
                nnx_model(lambda r: nnx.Linear(48, 40, rngs=r)),
                {"weight": whole("kernel"), "bias": whole("bias")},
            ),
            "linen": (
                linen_model(nn.Dense(40), jnp.ones((1, 48))),
                {"weight": linen_params("kernel"), "bias": linen_params("bias")},
            ),
            "equinox": (
                eqx_model(lambda k: eqx.nn.Linear(48, 40, key=k)),
                {"weight": whole("weight"), "bias": whole("bias")},
            ),
        },
    ),
    "LinearGeneral": Case(
        lambda: torch.nn.Linear(24, 40),
        {
            "weight": (t("weight"), lambda m: kaiming_sqrt5(m.weight)),
            "bias": (t("bias"), lambda m: kaiming_sqrt5(m.weight)),
        },
        {
            "nnx": (
                nnx_model(lambda r: nnx.LinearGeneral((4, 6), (5, 8), axis=(-2, -1), rngs=r)),
                {"weight": whole("kernel"), "bias": whole("bias")},
            ),
            "linen": (
                linen_model(nn.DenseGeneral((5, 8), axis=(-2, -1)), jnp.ones((1, 4, 6))),
                {"weight": linen_params("kernel"), "bias": linen_params("bias")},
            ),
        },
    ),
    "Conv2d_groups": Case(
        lambda: torch.nn.Conv2d(8, 24, 3, groups=2),
        {
            "weight": (t("weight"), lambda m: kaiming_sqrt5(m.weight)),
            "bias": (t("bias"), lambda m: kaiming_sqrt5(m.weight)),
        },
        {
            "nnx": (
                nnx_model(lambda r: nnx.Conv(8, 24, (3, 3), feature_group_count=2, rngs=r)),
                {"weight": whole("kernel"), "bias": whole("bias")},
            ),
            "linen": (
                linen_model(nn.Conv(24, (3, 3), feature_group_count=2), jnp.ones((1, 6, 6, 8))),
                {"weight": linen_params("kernel"), "bias": linen_params("bias")},
            ),
            "equinox": (
                eqx_model(lambda k: eqx.nn.Conv2d(8, 24, 3, groups=2, key=k)),
                {"weight": whole("weight"), "bias": whole("bias")},
            ),
        },
    ),
    "Conv1d": Case(
        lambda: torch.nn.Conv1d(6, 16, 5),
        {
            "weight": (t("weight"), lambda m: kaiming_sqrt5(m.weight)),
            "bias": (t("bias"), lambda m: kaiming_sqrt5(m.weight)),
        },
        {
            "nnx": (
                nnx_model(lambda r: nnx.Conv(6, 16, 5, rngs=r)),
                {"weight": whole("kernel"), "bias": whole("bias")},
            ),
            "equinox": (
                eqx_model(lambda k: eqx.nn.Conv1d(6, 16, 5, key=k)),
                {"weight": whole("weight"), "bias": whole("bias")},
            ),
        },
    ),
    "ConvTranspose2d": Case(
        lambda: torch.nn.ConvTranspose2d(12, 8, 3),
        {
            "weight": (t("weight"), lambda m: kaiming_sqrt5(m.weight)),
            "bias": (t("bias"), lambda m: kaiming_sqrt5(m.weight)),
        },
        {
            "nnx": (
                nnx_model(lambda r: nnx.ConvTranspose(12, 8, (3, 3), rngs=r)),
                {"weight": whole("kernel"), "bias": whole("bias")},
            ),
            "linen": (
                linen_model(nn.ConvTranspose(8, (3, 3)), jnp.ones((1, 5, 5, 12))),
                {"weight": linen_params("kernel"), "bias": linen_params("bias")},
            ),
            "equinox": (
                eqx_model(lambda k: eqx.nn.ConvTranspose2d(12, 8, 3, key=k)),
                {"weight": whole("weight"), "bias": whole("bias")},
            ),
        },
    ),
    "ConvTranspose2d_groups": Case(
        lambda: torch.nn.ConvTranspose2d(12, 8, 3, groups=2),
        {
            "weight": (t("weight"), lambda m: kaiming_sqrt5(m.weight)),
            "bias": (t("bias"), lambda m: kaiming_sqrt5(m.weight)),
        },
        {
            "equinox": (
                eqx_model(lambda k: eqx.nn.ConvTranspose2d(12, 8, 3, groups=2, key=k)),
                {"weight": whole("weight"), "bias": whole("bias")},
            )
        },
    ),
    "Embedding": Case(
        lambda: torch.nn.Embedding(50, 16),
        {"weight": (t("weight"), lambda m: N(1.0))},
        {
            "nnx": (nnx_model(lambda r: nnx.Embed(50, 16, rngs=r)), {"weight": whole("embedding")}),
            "linen": (
                linen_model(nn.Embed(50, 16), jnp.zeros((1,), jnp.int32)),
                {"weight": linen_params("embedding")},
            ),
            "equinox": (eqx_model(lambda k: eqx.nn.Embedding(50, 16, key=k)), {"weight": whole("weight")}),
        },
    ),
    "LayerNorm": Case(
        lambda: torch.nn.LayerNorm(16),
        {"weight": (t("weight"), lambda m: C(1.0)), "bias": (t("bias"), lambda m: C(0.0))},
        {
            "nnx": (
                nnx_model(lambda r: nnx.LayerNorm(16, rngs=r)),
                {"weight": whole("scale"), "bias": whole("bias")},
            ),
            "linen": (
                linen_model(nn.LayerNorm(), jnp.ones((1, 16))),
                {"weight": linen_params("scale"), "bias": linen_params("bias")},
            ),
            "equinox": (lambda: eqx.nn.LayerNorm(16), {"weight": whole("weight"), "bias": whole("bias")}),
        },
    ),
    "GroupNorm": Case(
        lambda: torch.nn.GroupNorm(4, 16),
        {"weight": (t("weight"), lambda m: C(1.0)), "bias": (t("bias"), lambda m: C(0.0))},
        {
            "nnx": (
                nnx_model(lambda r: nnx.GroupNorm(16, num_groups=4, rngs=r)),
                {"weight": whole("scale"), "bias": whole("bias")},
            ),
            "linen": (
                linen_model(nn.GroupNorm(num_groups=4), jnp.ones((1, 3, 16))),
                {"weight": linen_params("scale"), "bias": linen_params("bias")},
            ),
            "equinox": (lambda: eqx.nn.GroupNorm(4, 16), {"weight": whole("weight"), "bias": whole("bias")}),
        },
    ),
    "BatchNorm1d": Case(
        lambda: torch.nn.BatchNorm1d(16),
        {
            "weight": (t("weight"), lambda m: C(1.0)),
            "bias": (t("bias"), lambda m: C(0.0)),
            "running_mean": (t("running_mean"), lambda m: C(0.0)),
            "running_var": (t("running_var"), lambda m: C(1.0)),
        },
        {
            "nnx": (
                nnx_model(lambda r: nnx.BatchNorm(16, rngs=r)),
                {
                    "weight": whole("scale"),
                    "bias": whole("bias"),
                    "running_mean": whole("mean"),
                    "running_var": whole("var"),
                },
            ),
            "linen": (
                linen_model(nn.BatchNorm(use_running_average=True), jnp.ones((2, 16))),
                {
                    "weight": linen_params("scale"),
                    "bias": linen_params("bias"),
                    "running_mean": [("batch_stats/mean", ALL)],
                    "running_var": [("batch_stats/var", ALL)],
                },
            ),
            "equinox": (
                lambda: eqx.nn.BatchNorm(16, "batch", mode="batch"),
                {
                    "weight": whole("weight"),
                    "bias": whole("bias"),
                    "running_mean": whole("batch_state_index/init/0"),
                    "running_var": whole("batch_state_index/init/1"),
                },
            ),
        },
    ),
    "InstanceNorm1d": Case(
        lambda: torch.nn.InstanceNorm1d(16, affine=True),
        {"weight": (t("weight"), lambda m: C(1.0)), "bias": (t("bias"), lambda m: C(0.0))},
        {
            "nnx": (
                nnx_model(lambda r: nnx.InstanceNorm(16, rngs=r)),
                {"weight": whole("scale"), "bias": whole("bias")},
            ),
            "linen": (
                linen_model(nn.InstanceNorm(), jnp.ones((1, 3, 16))),
                {"weight": linen_params("scale"), "bias": linen_params("bias")},
            ),
        },
    ),
    "RMSNorm": Case(
        lambda: torch.nn.RMSNorm(16),
        {"weight": (t("weight"), lambda m: C(1.0))},
        {
            "nnx": (nnx_model(lambda r: nnx.RMSNorm(16, rngs=r)), {"weight": whole("scale")}),
            "linen": (linen_model(nn.RMSNorm(), jnp.ones((1, 16))), {"weight": linen_params("scale")}),
            "equinox": (lambda: eqx.nn.RMSNorm(16), {"weight": whole("weight")}),
        },
    ),
    "PReLU": Case(
        lambda: torch.nn.PReLU(),
        {"weight": (t("weight"), lambda m: C(0.25))},
        {
            "nnx": (nnx_model(lambda r: nnx.PReLU()), {"weight": whole("negative_slope")}),
            "linen": (linen_model(nn.PReLU(), jnp.ones((1, 4))), {"weight": linen_params("negative_slope")}),
            "equinox": (lambda: eqx.nn.PReLU(), {"weight": whole("negative_slope")}),
        },
    ),
    "LSTM": Case(
        lambda: torch.nn.LSTM(12, H),
        {
            "weight_ih": (t("weight_ih_l0"), rnn),
            "weight_hh": (t("weight_hh_l0"), rnn),
            "b_ih + b_hh": (lambda m: t("bias_ih_l0")(m) + t("bias_hh_l0")(m), rnn_sum),
        },
        {
            "nnx": (
                nnx_model(lambda r: nnx.LSTMCell(12, H, rngs=r)),
                {
                    "weight_ih": whole("ii/kernel", "if_/kernel", "ig/kernel", "io/kernel"),
                    "weight_hh": whole("hi/kernel", "hf/kernel", "hg/kernel", "ho/kernel"),
                    "b_ih + b_hh": whole("hi/bias", "hf/bias", "hg/bias", "ho/bias"),
                },
            ),
            "linen": (
                linen_model(nn.LSTMCell(H), (jnp.zeros((1, H)), jnp.zeros((1, H))), jnp.ones((1, 12))),
                {
                    "weight_ih": linen_params("ii/kernel", "if/kernel", "ig/kernel", "io/kernel"),
                    "weight_hh": linen_params("hi/kernel", "hf/kernel", "hg/kernel", "ho/kernel"),
                    "b_ih + b_hh": linen_params("hi/bias", "hf/bias", "hg/bias", "ho/bias"),
                },
            ),
            "equinox": (
                eqx_model(lambda k: eqx.nn.LSTMCell(12, H, key=k)),
                {
                    "weight_ih": whole("weight_ih"),
                    "weight_hh": whole("weight_hh"),
                    "b_ih + b_hh": whole("bias"),
                },
            ),
        },
    ),
    "LSTM_optimized_cell": Case(
        lambda: torch.nn.LSTM(12, H),
        {
            "weight_ih": (t("weight_ih_l0"), rnn),
            "weight_hh": (t("weight_hh_l0"), rnn),
            "b_ih + b_hh": (lambda m: t("bias_ih_l0")(m) + t("bias_hh_l0")(m), rnn_sum),
        },
        {
            "nnx": (
                nnx_model(lambda r: nnx.OptimizedLSTMCell(12, H, rngs=r)),
                {
                    "weight_ih": whole("dense_i/kernel"),
                    "weight_hh": whole("dense_h/kernel"),
                    "b_ih + b_hh": whole("dense_h/bias"),
                },
            ),
            "linen": (
                linen_model(
                    nn.OptimizedLSTMCell(H), (jnp.zeros((1, H)), jnp.zeros((1, H))), jnp.ones((1, 12))
                ),
                {
                    "weight_ih": linen_params("ii/kernel", "if/kernel", "ig/kernel", "io/kernel"),
                    "weight_hh": linen_params("hi/kernel", "hf/kernel", "hg/kernel", "ho/kernel"),
                    "b_ih + b_hh": linen_params("hi/bias", "hf/bias", "hg/bias", "ho/bias"),
                },
            ),
        },
    ),
    "GRU": Case(
        lambda: torch.nn.GRU(12, H),
        {
            "weight_ih": (t("weight_ih_l0"), rnn),
            "weight_hh": (t("weight_hh_l0"), rnn),
            "b_ir + b_hr, b_iz + b_hz": (
                lambda m: (t("bias_ih_l0")(m) + t("bias_hh_l0")(m))[: 2 * H],
                rnn_sum,
            ),
            "b_in": (lambda m: t("bias_ih_l0")(m)[2 * H :], rnn),
            "b_hn": (lambda m: t("bias_hh_l0")(m)[2 * H :], rnn),
        },
        {
            "nnx": (
                nnx_model(lambda r: nnx.GRUCell(12, H, rngs=r)),  # nnx's GRU has no b_hn
                {
                    "weight_ih": whole("dense_i/kernel"),
                    "weight_hh": whole("dense_h/kernel"),
                    "b_ir + b_hr, b_iz + b_hz": [("dense_i/bias", (slice(0, 2 * H),))],
                    "b_in": [("dense_i/bias", (slice(2 * H, 3 * H),))],
                },
            ),
            "linen": (
                linen_model(nn.GRUCell(H), jnp.zeros((1, H)), jnp.ones((1, 12))),
                {
                    "weight_ih": linen_params("ir/kernel", "iz/kernel", "in/kernel"),
                    "weight_hh": linen_params("hr/kernel", "hz/kernel", "hn/kernel"),
                    "b_ir + b_hr, b_iz + b_hz": linen_params("ir/bias", "iz/bias"),
                    "b_in": linen_params("in/bias"),
                    "b_hn": linen_params("hn/bias"),
                },
            ),
            "equinox": (
                eqx_model(lambda k: eqx.nn.GRUCell(12, H, key=k)),
                {
                    "weight_ih": whole("weight_ih"),
                    "weight_hh": whole("weight_hh"),
                    "b_ir + b_hr, b_iz + b_hz": [("bias", (slice(0, 2 * H),))],
                    "b_in": [("bias", (slice(2 * H, 3 * H),))],
                    "b_hn": whole("bias_n"),
                },
            ),
        },
    ),
    "RNN": Case(
        lambda: torch.nn.RNN(12, H),
        {
            "weight_ih": (t("weight_ih_l0"), rnn),
            "weight_hh": (t("weight_hh_l0"), rnn),
            "b_ih + b_hh": (lambda m: t("bias_ih_l0")(m) + t("bias_hh_l0")(m), rnn_sum),
        },
        {
            "nnx": (
                nnx_model(lambda r: nnx.SimpleCell(12, H, rngs=r)),
                {
                    "weight_ih": whole("dense_i/kernel"),
                    "weight_hh": whole("dense_h/kernel"),
                    "b_ih + b_hh": whole("dense_i/bias"),
                },
            ),
            "linen": (
                linen_model(nn.SimpleCell(H), jnp.zeros((1, H)), jnp.ones((1, 12))),
                {
                    "weight_ih": linen_params("i/kernel"),
                    "weight_hh": linen_params("h/kernel"),
                    "b_ih + b_hh": linen_params("i/bias"),
                },
            ),
        },
    ),
    "MultiheadAttention": Case(
        lambda: torch.nn.MultiheadAttention(E, 4),
        {
            "in_proj_weight": (t("in_proj_weight"), lambda m: xavier_u(m.in_proj_weight)),
            "in_proj_bias": (t("in_proj_bias"), lambda m: C(0.0)),
            "out_proj.weight": (t("out_proj.weight"), lambda m: kaiming_sqrt5(m.out_proj.weight)),
            "out_proj.bias": (t("out_proj.bias"), lambda m: C(0.0)),
        },
        {
            "nnx": (
                nnx_model(lambda r: nnx.MultiHeadAttention(4, E, decode=False, rngs=r)),
                {
                    "in_proj_weight": whole("query/kernel", "key/kernel", "value/kernel"),
                    "in_proj_bias": whole("query/bias", "key/bias", "value/bias"),
                    "out_proj.weight": whole("out/kernel"),
                    "out_proj.bias": whole("out/bias"),
                },
            ),
            "linen": (
                linen_model(nn.MultiHeadDotProductAttention(4), jnp.ones((1, 3, E))),
                {
                    "in_proj_weight": linen_params("query/kernel", "key/kernel", "value/kernel"),
                    "in_proj_bias": linen_params("query/bias", "key/bias", "value/bias"),
                    "out_proj.weight": linen_params("out/kernel"),
                    "out_proj.bias": linen_params("out/bias"),
                },
            ),
            "equinox": (
                eqx_model(
                    lambda k: eqx.nn.MultiheadAttention(
                        4,
                        E,
                        use_query_bias=True,
                        use_key_bias=True,
                        use_value_bias=True,
                        use_output_bias=True,
                        key=k,
                    )
                ),
                {
                    "in_proj_weight": whole("query_proj/weight", "key_proj/weight", "value_proj/weight"),
                    "in_proj_bias": whole("query_proj/bias", "key_proj/bias", "value_proj/bias"),
                    "out_proj.weight": whole("output_proj/weight"),
                    "out_proj.bias": whole("output_proj/bias"),
                },
            ),
        },
    ),
    "MultiheadAttention_kdim": Case(
        lambda: torch.nn.MultiheadAttention(E, 4, kdim=16, vdim=16),
        {
            "q_proj_weight": (t("q_proj_weight"), lambda m: xavier_u(m.q_proj_weight)),
            "k_proj_weight": (t("k_proj_weight"), lambda m: xavier_u(m.k_proj_weight)),
            "v_proj_weight": (t("v_proj_weight"), lambda m: xavier_u(m.v_proj_weight)),
        },
        {
            "nnx": (
                nnx_model(lambda r: nnx.MultiHeadAttention(4, E, in_kv_features=16, decode=False, rngs=r)),
                {
                    "q_proj_weight": whole("query/kernel"),
                    "k_proj_weight": whole("key/kernel"),
                    "v_proj_weight": whole("value/kernel"),
                },
            ),
            "linen": (
                linen_model(
                    nn.MultiHeadDotProductAttention(4, qkv_features=E),
                    jnp.ones((1, 3, E)),
                    jnp.ones((1, 5, 16)),
                    jnp.ones((1, 5, 16)),
                ),
                {
                    "q_proj_weight": linen_params("query/kernel"),
                    "k_proj_weight": linen_params("key/kernel"),
                    "v_proj_weight": linen_params("value/kernel"),
                },
            ),
            "equinox": (
                eqx_model(lambda k: eqx.nn.MultiheadAttention(4, E, key_size=16, value_size=16, key=k)),
                {
                    "q_proj_weight": whole("query_proj/weight"),
                    "k_proj_weight": whole("key_proj/weight"),
                    "v_proj_weight": whole("value_proj/weight"),
                },
            ),
        },
    ),
}

PAIRS = [(name, fw) for name, case in CASES.items() for fw in case.flax]


# -- machinery ---------------------------------------------------------------------------


def build_and_reset(framework, build, key):
    """(values by path, initializers by path) after reset_parameters."""
    if framework == "linen":
        module, inputs = build()
        variables = td.reset_parameters(module, key, *inputs)
        values = {
            jaxinit._src.tree.path_str(p): v for p, v in jax.tree_util.tree_flatten_with_path(variables)[0]
        }
        return values, td.initializers(module, *inputs)
    model = build()
    inits = td.initializers(model)
    model = td.reset_parameters(model, key)
    if framework == "nnx":
        values = {
            "/".join(map(str, p)): v.get_value()
            for p, v in nnx.iter_graph(model)
            if isinstance(v, (nnx.Param, nnx.BatchStat))
        }
    else:
        values = {
            jaxinit._src.tree.path_str(p): v
            for p, v in jax.tree_util.tree_flatten_with_path(model)[0]
            if isinstance(v, jax.Array)
        }
    return values, inits


def region_law(init, shape, index):
    found = [law for region, law in td.laws(init, shape) if region == index]
    assert len(found) == 1, (init, index, td.laws(init, shape))
    return found[0]


def torch_samples(case, label, repeats):
    torch.manual_seed(0)
    values, law = [], None
    for _ in range(repeats):
        layer = case.torch()
        get, law_of = case.tensors[label]
        values.append(np.asarray(get(layer), np.float64).ravel())
        law = law_of(layer)
    return np.concatenate(values), law


def jaxinit_samples(inits, values, selection, repeats, key):
    """Draws of the selected regions: the reset's own values, then more keys of the same laws."""
    out = []
    for path, index in selection:
        shape, dtype = values[path].shape, values[path].dtype
        out.append(np.asarray(values[path][index], np.float64).ravel())
        for r in range(1, repeats):
            out.append(
                np.asarray(inits[path](jax.random.fold_in(key, r), shape, dtype)[index], np.float64).ravel()
            )
    return np.concatenate(out)


def check_tensor(label, torch_values, torch_law, ours, law, threshold):
    assert same_law(law, torch_law), f"{label}: jaxinit {law} != torch {torch_law}"
    if law.family == "constant":
        assert (torch_values == law.value).all() and (ours == law.value).all(), label
        return None
    p_one = stats.kstest(torch_values, law.scipy().cdf).pvalue
    p_two = stats.ks_2samp(torch_values, ours).pvalue
    assert min(p_one, p_two) > threshold, (
        f"{label}: KS p-values {p_one:.2e} (torch vs law), {p_two:.2e} (torch vs jaxinit)"
    )
    return min(p_one, p_two)


@pytest.mark.parametrize("name,framework", PAIRS, ids=[f"{n}-{f}" for n, f in PAIRS])
def test_layer_matches_torch(name, framework, key):
    case = CASES[name]
    build, selection = case.flax[framework]
    values, inits = build_and_reset(framework, build, key)
    covered = [p for sel in selection.values() for p, _ in sel]
    assert set(covered) <= set(inits), sorted(set(covered) - set(inits))
    threshold = 1e-4 / (2 * len(selection))  # family-wise 1e-4 over the KS tests below
    for label, regions in selection.items():
        laws = [region_law(inits[p], values[p].shape, index) for p, index in regions]
        assert all(law == laws[0] for law in laws), (label, laws)
        size = sum(np.asarray(values[p][index]).size for p, index in regions)
        repeats = 1 if laws[0].family == "constant" else max(1, math.ceil(MIN_SAMPLES / size))
        theirs, torch_law = torch_samples(case, label, repeats)
        ours = jaxinit_samples(inits, values, regions, repeats, key)
        check_tensor(f"{name}.{label} ({framework})", theirs, torch_law, ours, laws[0], threshold)


@pytest.mark.parametrize("framework", ["nnx", "linen", "equinox"])
def test_reset_values_are_draws_of_the_reported_initializers(framework, key):
    """reset_parameters draws parameter `path` as initializers()[path](path_key(key, path), ...)."""
    for name in ("Linear", "GRU", "BatchNorm1d"):
        build, _ = CASES[name].flax[framework]
        values, inits = build_and_reset(framework, build, key)
        assert set(inits) <= set(values)
        for path, init in inits.items():
            expected = init(jaxinit.path_key(key, path), values[path].shape, values[path].dtype)
            np.testing.assert_array_equal(np.asarray(values[path]), np.asarray(expected), err_msg=path)


# -- helpers without a framework layer, and the per-layer helpers ------------------------


def helper_check(label, torch_make, get, torch_law_of, init, flax_shape, key, threshold=1e-4 / 2, index=ALL):
    torch.manual_seed(0)
    theirs, law_t = [], None
    layer = torch_make()
    size = np.asarray(get(layer)[index] if index != ALL else get(layer)).size
    repeats = max(1, math.ceil(MIN_SAMPLES / size))
    for r in range(repeats):
        layer = layer if r == 0 else torch_make()
        value = get(layer)
        theirs.append(np.asarray(value[index] if index != ALL else value, np.float64).ravel())
        law_t = torch_law_of(layer)
    ours = [
        np.asarray(init(jax.random.fold_in(key, r), flax_shape)[index], np.float64).ravel()
        for r in range(repeats)
    ]
    law = region_law(init, flax_shape, index)
    return check_tensor(label, np.concatenate(theirs), law_t, np.concatenate(ours), law, threshold)


def test_bilinear(key):
    pair = td.bilinear(12)
    for part, init, shape in (("weight", pair.kernel_init, (12, 10, 8)), ("bias", pair.bias_init, (8,))):
        helper_check(
            f"Bilinear.{part}",
            lambda: torch.nn.Bilinear(12, 10, 8),
            t(part),
            lambda m: U(1 / math.sqrt(m.weight.size(1))),
            init,
            shape,
            key,
        )


@pytest.mark.parametrize("torch_cls", ["Embedding", "EmbeddingBag"])
def test_embedding_padding_row(torch_cls, key):
    make = lambda: getattr(torch.nn, torch_cls)(50, 16, padding_idx=3)  # noqa: E731
    init = td.embed(padding_idx=3)
    assert isinstance(init, td.ZeroRow)
    table = np.asarray(init(key, (50, 16)))
    assert (table[3] == 0).all() and (make().weight[3] == 0).all()
    helper_check(
        f"{torch_cls}.weight", make, t("weight"), lambda m: N(1.0), init, (50, 16), key, index=(slice(4, 50),)
    )
    assert td.embed(padding_idx=-1)(key, (5, 2))[4].tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="`padding_idx` must be within num_embeddings \\(5\\), got 7"):
        td.embed(padding_idx=7)(key, (5, 2))


def test_grouped_conv_transpose_helper(key):
    pair = td.conv_transpose(8, (3, 3), groups=2)
    for part, init, shape in (("weight", pair.kernel_init, (3, 3, 12, 8)), ("bias", pair.bias_init, (8,))):
        helper_check(
            f"ConvTranspose2d(groups=2).{part}",
            lambda: torch.nn.ConvTranspose2d(12, 8, 3, groups=2),
            t(part),
            lambda m: kaiming_sqrt5(m.weight),
            init,
            shape,
            key,
        )


def test_attention_bias_kv(key):
    init = td.multihead_attention(E).bias_kv_init
    helper_check(
        "MultiheadAttention.bias_k",
        lambda: torch.nn.MultiheadAttention(E, 4, add_bias_kv=True),
        t("bias_k"),
        lambda m: xavier_n(m.bias_k),
        init,
        (1, 1, E),
        key,
    )


def test_layer_helpers_equal_torch_laws():
    """Every per-layer helper's law equals the law torch's code gives the torch tensor."""
    torch.manual_seed(0)
    checks = []
    lin = torch.nn.Linear(48, 40)
    pair = td.dense(48)
    checks += [
        (pair.kernel_init.distribution((48, 40)), kaiming_sqrt5(lin.weight)),
        (pair.bias_init.distribution((40,)), kaiming_sqrt5(lin.weight)),
    ]
    conv = torch.nn.Conv3d(8, 12, (2, 3, 1), groups=4)
    pair = td.conv(8, (2, 3, 1), groups=4)
    checks += [
        (pair.kernel_init.distribution((2, 3, 1, 2, 12)), kaiming_sqrt5(conv.weight)),
        (pair.bias_init.distribution((12,)), kaiming_sqrt5(conv.weight)),
    ]
    tconv = torch.nn.ConvTranspose1d(6, 10, 4)
    pair = td.conv_transpose(10, 4)
    checks += [(pair.kernel_init.distribution((4, 6, 10)), kaiming_sqrt5(tconv.weight))]
    lstm = torch.nn.LSTM(12, H)
    rec = td.recurrent(H)
    checks += [
        (rec.kernel_init.distribution((12, H)), rnn(lstm)),
        (rec.bias_init.distribution((H,)), rnn_sum(lstm)),
        (td.recurrent(H, bias="single").bias_init.distribution((H,)), rnn(lstm)),
    ]
    mha = torch.nn.MultiheadAttention(E, 4)
    att = td.multihead_attention(E)
    checks += [
        (att.query_kernel_init.distribution((E, 4, 8)), xavier_u(mha.in_proj_weight)),
        (att.out_kernel_init.distribution((4, 8, E)), kaiming_sqrt5(mha.out_proj.weight)),
    ]
    mha = torch.nn.MultiheadAttention(E, 4, kdim=16, vdim=24)
    att = td.multihead_attention(E, kdim=16, vdim=24)
    checks += [
        (att.key_kernel_init.distribution((16, 4, 8)), xavier_u(mha.k_proj_weight)),
        (att.value_kernel_init.distribution((24, 4, 8)), xavier_u(mha.v_proj_weight)),
    ]
    enc = torch.nn.TransformerEncoderLayer(E, 4, 64)
    layer = td.transformer_encoder_layer(E, 64)
    checks += [
        (layer.linear1.kernel_init.distribution((E, 64)), kaiming_sqrt5(enc.linear1.weight)),
        (layer.linear2.bias_init.distribution((E,)), kaiming_sqrt5(enc.linear2.weight)),
        (layer.self_attn.query_kernel_init.distribution((E, 4, 8)), xavier_u(enc.self_attn.in_proj_weight)),
    ]
    dec = torch.nn.TransformerDecoderLayer(E, 4, 64)
    layer = td.transformer_decoder_layer(E, 64)
    checks += [
        (
            layer.multihead_attn.out_kernel_init.distribution((4, 8, E)),
            kaiming_sqrt5(dec.multihead_attn.out_proj.weight),
        )
    ]
    # nn.Transformer: every tensor with more than one dimension re-drawn by xavier_uniform
    layer = td.transformer_encoder_layer(E, 64, in_transformer=True)
    checks += [
        (layer.linear1.kernel_init.distribution((E, 64)), xavier_u(enc.linear1.weight)),
        (layer.linear1.bias_init.distribution((64,)), kaiming_sqrt5(enc.linear1.weight)),
        (layer.self_attn.out_kernel_init.distribution((4, 8, E)), xavier_u(enc.self_attn.out_proj.weight)),
    ]
    checks += [
        (td.prelu().distribution((1,)), C(0.25)),
        (td.rms_norm().scale_init.distribution((4,)), C(1.0)),
        (td.norm().bias_init.distribution((4,)), C(0.0)),
    ]
    for ours, theirs in checks:
        assert same_law(ours, theirs), (ours, theirs)


def test_transformer_draws_follow_xavier(key):
    """torch's nn.Transformer samples: >1-D tensors follow xavier_uniform; our in_transformer laws."""
    layer = td.transformer_encoder_layer(E, 64, in_transformer=True)
    helper_check(
        "Transformer.encoder.layers.0.linear1.weight",
        lambda: torch.nn.Transformer(E, 4, 1, 1, 64, batch_first=True),
        lambda m: m.encoder.layers[0].linear1.weight.detach().numpy(),
        lambda m: xavier_u(m.encoder.layers[0].linear1.weight),
        layer.linear1.kernel_init,
        (E, 64),
        key,
    )


# -- errors and options ------------------------------------------------------------------


def test_kernel_size_arguments():
    assert td.conv(4, np.int64(3)) == td.conv(4, 3) == td.conv(4, [3])
    assert td.conv_transpose(4, (np.int32(2), 2)) == td.conv_transpose(4, (2, 2))
    for bad in (None, 3.0, "3"):
        with pytest.raises(TypeError, match=r"`kernel_size` must be an int or a sequence of ints, got"):
            td.conv(4, bad)
    with pytest.raises(TypeError, match=r"`kernel_size` entries must be integers, got 2.5 in \(3, 2.5\)"):
        td.conv(4, (3, 2.5))
    with pytest.raises(ValueError, match=r"`kernel_size` must be >= 1, got 0"):
        td.conv(4, (3, 0))
    with pytest.raises(ValueError, match=r"`groups` must divide `out_features`, got 3 and 4"):
        td.conv_transpose(4, 3, groups=3)
    with pytest.raises(ValueError, match=r"`bias` must be one of 'sum', 'single', 'gru', got 'both'"):
        td.recurrent(8, bias="both")
    with pytest.raises(ValueError, match="kdim or vdim differs"):
        td.multihead_attention(8, kdim=4).kwargs()
    assert set(td.multihead_attention(8).kwargs()) == {
        "kernel_init",
        "out_kernel_init",
        "bias_init",
        "out_bias_init",
    }


def test_gru_packed_bias_helper(key):
    init = td.recurrent(4, bias="gru").bias_init
    assert isinstance(init, td.Concat)
    regions = td.laws(init, (12,))
    assert regions == [
        ((slice(0, 8),), jaxinit.triangular(-1.0, 1.0).distribution((8,))),
        ((slice(8, 12),), jaxinit.uniform(-0.5, 0.5).distribution((4,))),
    ]
    with pytest.raises(
        ValueError, match=r"Concat's parts have 12 entries along axis -1, but the shape \(10,\) has 10"
    ):
        init(key, (10,))
