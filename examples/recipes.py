"""A small GPT-2 in Flax NNX, initialised by ``jaxinit.recipes.gpt2`` in one line.

Prints each parameter's law beside the std of what was drawn and, where ``transformers`` and
``torch`` are installed, beside HF's ``GPT2LMHeadModel`` of the same config (its own
``_init_weights`` draws; std and a two-sample KS p-value), then the loss at step 0 of both on
the same random tokens: they agree in distribution (about log(vocab_size) for both).

    python examples/recipes.py
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from jaxinit import recipes

VOCAB, POSITIONS, WIDTH, LAYERS, HEADS = 512, 64, 64, 4, 4


class Attention(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.c_attn = nnx.Linear(WIDTH, 3 * WIDTH, rngs=rngs)
        self.c_proj = nnx.Linear(WIDTH, WIDTH, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        b, t, _ = x.shape
        q, k, v = jnp.split(self.c_attn(x), 3, axis=-1)
        heads = [y.reshape(b, t, HEADS, WIDTH // HEADS) for y in (q, k, v)]
        y = jax.nn.dot_product_attention(*heads, is_causal=True)
        return self.c_proj(y.reshape(b, t, WIDTH))


class MLP(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.c_fc = nnx.Linear(WIDTH, 4 * WIDTH, rngs=rngs)
        self.c_proj = nnx.Linear(4 * WIDTH, WIDTH, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.c_proj(nnx.gelu(self.c_fc(x), approximate=True))  # HF's gelu_new


class Block(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.ln_1 = nnx.LayerNorm(WIDTH, epsilon=1e-5, rngs=rngs)
        self.attn = Attention(rngs)
        self.ln_2 = nnx.LayerNorm(WIDTH, epsilon=1e-5, rngs=rngs)
        self.mlp = MLP(rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2(nnx.Module):
    """HF's GPT2LMHeadModel under HF's names (the head tied to ``wte``)."""

    def __init__(self, rngs: nnx.Rngs) -> None:
        self.wte = nnx.Embed(VOCAB, WIDTH, rngs=rngs)
        self.wpe = nnx.Embed(POSITIONS, WIDTH, rngs=rngs)
        self.h = nnx.List([Block(rngs) for _ in range(LAYERS)])
        self.ln_f = nnx.LayerNorm(WIDTH, epsilon=1e-5, rngs=rngs)

    def __call__(self, ids: jax.Array) -> jax.Array:
        x = self.wte(ids) + self.wpe(jnp.arange(ids.shape[1]))[None]
        for block in self.h:
            x = block(x)
        return self.wte.attend(self.ln_f(x))


def loss(model: GPT2, ids: jax.Array) -> float:
    """Next-token cross-entropy, as HF's ``labels=ids``."""
    logits = model(ids)[:, :-1]
    logp = jax.nn.log_softmax(logits, axis=-1)
    return float(-jnp.take_along_axis(logp, ids[:, 1:, None], axis=-1).mean())


def hf_reference(seed: int = 0) -> Any:
    """HF's GPT2LMHeadModel of the same config, initialised by its own code (or None)."""
    try:
        import torch
        import transformers
    except ImportError:
        return None
    config = transformers.GPT2Config(
        vocab_size=VOCAB,
        n_positions=POSITIONS,
        n_embd=WIDTH,
        n_layer=LAYERS,
        n_head=HEADS,
        bos_token_id=0,
        eos_token_id=0,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
    )
    torch.manual_seed(seed)
    return transformers.GPT2LMHeadModel(config).eval()


def hf_name(path: str) -> str:
    """The HF tensor a parameter stands for (``h/0/attn/c_attn/kernel`` -> ``transformer.h.0.attn.c_attn.weight``)."""
    leaf = {"kernel": "weight", "scale": "weight", "embedding": "weight", "bias": "bias"}[
        path.rsplit("/", 1)[1]
    ]
    return "transformer." + path.rsplit("/", 1)[0].replace("/", ".") + "." + leaf


def run(seed: int = 0) -> dict[str, object]:
    recipe = recipes.gpt2(n_layer=LAYERS)
    model = recipes.apply(GPT2(nnx.Rngs(0)), jax.random.key(seed), recipe)  # the one line
    laws = recipes.initializers(model, recipe)
    ours = {
        "/".join(map(str, p)): np.asarray(v.get_value())
        for p, v in nnx.iter_graph(model)
        if isinstance(v, nnx.Param)
    }
    hf = hf_reference(seed)
    theirs = {n: p.detach().numpy() for n, p in hf.named_parameters()} if hf is not None else {}
    print(f"{'parameter':<24} {'jaxinit law':<38} {'std':>8} {'HF std':>8} {'KS p':>7}")
    for path, law in laws.items():
        row = f"{path:<24} {law!r:<38.38} {ours[path].std():8.5f}"
        if theirs:
            from scipy import stats

            other = theirs[hf_name(path)]
            p = stats.ks_2samp(other.ravel(), ours[path].ravel()).pvalue if other.std() > 0 else float("nan")
            row += f" {other.std():8.5f} {p:7.3f}"
        print(row)
    ids = jax.random.randint(jax.random.key(seed + 1), (8, POSITIONS), 0, VOCAB)
    results: dict[str, object] = {"laws": laws, "loss": loss(model, ids)}
    print(f"loss at step 0: jaxinit NNX {results['loss']:.4f}", end="")
    if hf is not None:
        import torch

        tokens = torch.from_numpy(np.array(ids, np.int64))
        with torch.no_grad():
            results["hf_loss"] = float(hf(tokens, labels=tokens).loss)
        print(f", HF transformers {results['hf_loss']:.4f}", end="")
    print(f" (log(vocab_size) = {math.log(VOCAB):.4f})")
    return results


if __name__ == "__main__":
    run()
