"""Every example runs, and shows what it claims to show."""

import importlib.util
import pathlib
import re
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses (linen modules) look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_quickstart(capsys):
    load("quickstart").main()
    out = capsys.readouterr().out
    assert "conv1.kernel" in out and "same key, same values: True" in out


@pytest.mark.slow
def test_signal_propagation(tmp_path):
    png = tmp_path / "signal.png"
    results = load("signal_propagation").run(depth=50, out=str(png))
    assert png.stat().st_size > 10_000
    assert results["relu", "kaiming"][-1] > 0.1  # the relu gain keeps the scale
    assert results["relu", "xavier"][-1] < 1e-4  # without it the signal dies
    assert abs(results["linear", "orthogonal"][-1] - 1) < 0.05


@pytest.mark.slow
def test_plot_distributions(tmp_path):
    png = tmp_path / "dist.png"
    gaps = load("plot_distributions").run(str(png))
    assert png.stat().st_size > 10_000
    assert max(gaps.values()) < 0.15


@pytest.mark.slow
def test_port_from_pytorch(capsys):
    """A cheap slice of the example (tests/test_torch_models.py runs all of it, with assertions)."""
    results = load("port_from_pytorch").run(frameworks=("equinox",), architectures=("lstm_lm",))
    out = capsys.readouterr().out
    assert "lstm_lm in equinox: 9 torch tensors" in out
    rows = results["equinox", "lstm_lm"]
    if "torch_law" in rows[0]:  # torch installed: the table compares laws and draws
        assert "lstm.bias_ih_l0 + bias_hh_l0                Tri(±0.2887)    Tri(±0.2887)" in out
        assert all(r["same_law"] for r in rows) and min(r["p_two_sample"] for r in rows) > 1e-4


def test_readme_commands_are_the_ones_ci_runs():
    """CI runs each README install command as README.md writes it (it reads them from there):
    every such line is picked by exactly one of CI's `run_readme` prefixes, and each prefix
    picks exactly one line."""
    root = EXAMPLES.parent
    readme = (root / "README.md").read_text()
    assert 'pip install -e ".[examples]" && python examples/quickstart.py\n' in readme
    assert 'pip install -e ".[test]" && pytest -n auto\n' in readme
    assert (
        'pip install -e ".[docs]" && sphinx-build -W --keep-going -b html docs docs/_build/html\n' in readme
    )
    commands = [line for line in readme.splitlines() if line.startswith("pip install -e")]
    prefixes = re.findall(r"^run_readme '([^']+)'$", (root / ".ci" / "run").read_text(), re.M)
    assert len(commands) == 5, commands
    for prefix in set(prefixes):
        assert len([c for c in commands if c.startswith(prefix)]) == 1, prefix
    for command in commands:
        assert len({p for p in prefixes if command.startswith(p)}) == 1, command


@pytest.mark.slow
def test_other_frameworks():
    pytest.importorskip("equinox")
    pytest.importorskip("haiku")
    module = load("other_frameworks")
    mlp, conv = module.equinox_demo()
    assert conv.weight.shape == (32, 16, 3, 3) and not conv.bias.any()
    params = module.haiku_demo()
    assert (
        float(abs(params["linear"]["w"]).max())
        <= module.jaxinit.xavier_uniform().distribution((300, 10)).high
    )


@pytest.mark.slow
def test_multihost_launches_two_processes_that_split_the_columns():
    outputs = load("multihost").launch_locally(num_processes=2, devices_per_process=2)
    lines = [line for out in outputs for line in out.splitlines() if line.startswith("process ")]
    assert len(lines) == 4, outputs
    columns = sorted(line.split("holds columns ")[1].split(",")[0] for line in lines)
    assert columns == ["0:256", "256:512", "512:768", "768:1024"]
    assert all(line.startswith("process 0") for line in lines[:2])  # each its own devices


@pytest.mark.slow
def test_recipes_gpt2(capsys):
    """A GPT-2 in NNX initialised by recipes.gpt2: its laws, and its loss at step 0 beside HF's."""
    import math

    import jaxinit

    example = load("recipes")
    results = example.run()
    out = capsys.readouterr().out
    assert "h/3/mlp/c_proj/kernel" in out and "loss at step 0: jaxinit NNX" in out
    assert results["laws"]["h/0/attn/c_proj/kernel"] == jaxinit.normal(
        0.0, 0.02 / math.sqrt(2 * example.LAYERS)
    )
    assert abs(results["loss"] - math.log(example.VOCAB)) < 0.1
    if "hf_loss" in results:  # transformers installed: the two agree in distribution
        assert abs(results["loss"] - results["hf_loss"]) < 0.05
