"""Porting a PyTorch model to Flax with PyTorch's own default initialisation.

The PyTorch model (written out in the comment below) is re-expressed in Flax NNX, with every
layer's kernel and bias initializers taken from ``jaxinit.torch_defaults``. The script prints,
for each parameter, the law jaxinit reports and the std measured in Flax; where PyTorch is
installed it also builds the torch model and prints the std torch measured.

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 32, 3, padding=1)
            self.conv2 = torch.nn.Conv2d(32, 64, 3, padding=1, groups=4)
            self.norm = torch.nn.LayerNorm(64)
            self.fc = torch.nn.Linear(64, 10)

    python examples/port_from_pytorch.py
"""

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from jaxinit import torch_defaults


class Net(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.conv1 = nnx.Conv(3, 32, (3, 3), padding=1, **torch_defaults.conv(3, (3, 3)).kwargs(), rngs=rngs)
        self.conv2 = nnx.Conv(32, 64, (3, 3), padding=1, feature_group_count=4,
                              **torch_defaults.conv(32, (3, 3), feature_group_count=4).kwargs(), rngs=rngs)
        self.norm = nnx.LayerNorm(64, **torch_defaults.norm().kwargs(), rngs=rngs)
        self.fc = nnx.Linear(64, 10, **torch_defaults.dense(64).kwargs(), rngs=rngs)

    def __call__(self, x):  # NHWC, as Flax convolutions expect
        x = jax.nn.relu(self.conv1(x))
        x = jax.nn.relu(self.conv2(x))
        return self.fc(self.norm(x.mean(axis=(1, 2))))


LAWS = {
    "conv1": torch_defaults.conv(3, (3, 3)),
    "conv2": torch_defaults.conv(32, (3, 3), feature_group_count=4),
    "fc": torch_defaults.dense(64),
}


def torch_stds():
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    net = {"conv1": torch.nn.Conv2d(3, 32, 3, padding=1), "conv2": torch.nn.Conv2d(32, 64, 3, padding=1, groups=4),
           "fc": torch.nn.Linear(64, 10)}
    return {name: (m.weight.std().item(), m.bias.std().item()) for name, m in net.items()}


def run() -> dict:
    model = Net(nnx.Rngs(0))
    reference = torch_stds()
    rows = {}
    header = f"{'parameter':<14}{'law':<34}{'law std':>9}{'flax std':>10}"
    print(header + (f"{'torch std':>11}" if reference else "   (torch not installed)"))
    for name, pair in LAWS.items():
        layer = getattr(model, name)
        for part, init, value in (("kernel", pair.kernel_init, layer.kernel[...]),
                                  ("bias", pair.bias_init, layer.bias[...])):
            law = init.distribution(value.shape)
            measured = float(np.std(np.asarray(value)))
            rows[f"{name}.{part}"] = (law.scipy().std(), measured)
            line = (f"{name + '.' + part:<14}{f'uniform(+-{law.high:.4f})':<34}"
                    f"{law.scipy().std():>9.4f}{measured:>10.4f}")
            if reference:
                line += f"{reference[name][0 if part == 'kernel' else 1]:>11.4f}"
            print(line)
    logits = model(jnp.ones((2, 8, 8, 3)))
    print(f"\nforward pass: {logits.shape}")
    return rows


if __name__ == "__main__":
    run()
