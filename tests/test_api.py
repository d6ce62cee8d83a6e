"""The public API is derived, not restated: the registry behind ``get``, ``__all__``, the
README's table, the shim's signatures, the law families and the modules objects report."""

import dataclasses
import importlib
import inspect
import pathlib
import pickle
import re

import jax
import numpy as np
import pytest

import jaxinit
from jaxinit import distributions, inplace, jax_nn
from jaxinit._src import factories as factory_module, laws, registry
from jaxinit._src.fans import FanAxes
from jaxinit._src.samplers import base, table

ROOT = pathlib.Path(__file__).resolve().parents[1]
PUBLIC_MODULES = ["jaxinit"] + sorted(
    f"jaxinit.{p.stem}" for p in (ROOT / "jaxinit").glob("*.py") if not p.stem.startswith("_")
)


def readme_table(heading: str) -> set[str]:
    """The names in the first column of the table under ``heading`` in README.md."""
    text = (ROOT / "README.md").read_text()
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    names = set()
    for row in re.findall(r"^\| (.+?) \|", section, re.M):
        names.update(re.findall(r"`(\w+)(?:\(|`)", row))
    return names - {"jax_nn"}


def test_registry_all_and_readme_agree():
    factories = {n for n in jaxinit.__all__ if n in registry.FACTORIES or n in registry.ALIASES}
    # every top-level factory is in the registry, under its own name or as an alias of jax_nn's
    assert set(registry.FACTORIES) - {n for n in registry.FACTORIES if n.startswith("jax_nn.")} == set(
        factory_module.FACTORIES
    )
    assert set(factory_module.FACTORIES) | set(registry.ALIASES) - {"truncated_normal"} == factories
    for name in registry.ALIASES:
        if name in jaxinit.__all__:
            assert getattr(jaxinit, name) is registry.FACTORIES[registry.ALIASES[name]]
    for name in factory_module.FACTORIES:
        assert getattr(jaxinit, name) is registry.FACTORIES[name]
    # the README states, for every top-level factory, which law it gives
    assert readme_table("## Which law each name gives") == factories
    # jax_nn: every name of jax.nn.initializers, registered under the prefix, and in the README
    jax_names = set(jax_nn.__all__) - {"Initializer"}
    assert {n.removeprefix("jax_nn.") for n in registry.FACTORIES if n.startswith("jax_nn.")} == jax_names
    assert readme_table("| `jaxinit.jax_nn` | law |") == jax_names


def test_get_builds_every_registered_name():
    for name, factory in registry.FACTORIES.items():
        if isinstance(factory, jaxinit.Initializer):
            assert jaxinit.get(name) is factory
        elif name.removeprefix("jax_nn.") not in ("sparse", "constant", "variance_scaling"):
            init = jaxinit.get(name)
            assert init.name.removeprefix("jax_nn.") == factory.__name__  # jax's aliases: one function
            assert jaxinit.get(init.to_config()) == init


def ours(obj) -> bool:
    try:
        return pathlib.Path(inspect.getfile(obj)).resolve().is_relative_to(ROOT / "jaxinit")
    except TypeError:  # built-in classes
        return False


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_public_objects_report_their_public_module(module_name):
    """As jax's export helper does: ``jaxinit.Initializer.__module__ == "jaxinit"``."""
    module = importlib.import_module(module_name)
    for name in module.__all__:
        obj = getattr(module, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)) or not ours(obj):
            continue  # modules, instances, aliases and re-exports of other libraries' objects
        home = obj.__module__
        assert "_src" not in home, f"{module_name}.{name} reports {home}"
        assert getattr(importlib.import_module(home), obj.__name__) is obj, (module_name, name)


def test_the_class_and_values_pickle_by_their_public_names():
    for init in (
        jaxinit.xavier_uniform(gain=2.0, layout="torch"),
        jaxinit.ones(dtype="int32"),
        jax_nn.he_normal(in_axis=0, out_axis=1),
        jax_nn.orthogonal(column_axis=0),
        jaxinit.constant([[1, 2]]),
        jax_nn.zeros,
    ):
        assert pickle.loads(pickle.dumps(init)) == init
        assert b"_src" not in pickle.dumps(init)
    init = jaxinit.xavier_uniform(gain=2.0, layout="torch")
    law = init.distribution((3, 4))
    assert pickle.loads(pickle.dumps(law)) == law
    assert b"_src" not in pickle.dumps(law)


# -- law families: plain data here, sampled by one sampler each ----------------------------------


@pytest.mark.parametrize("family", laws.FAMILIES, ids=lambda f: f.__name__)
def test_each_family_is_plain_data_with_one_sampler(family):
    assert family.__name__ in distributions.__all__
    assert getattr(distributions, family.__name__) is family
    assert dataclasses.is_dataclass(family) and family.__dataclass_params__.frozen
    # the law carries no sampling code: its sampler does
    for name in ("pack", "blocked", "transform", "sample", "elementwise", "whole_matrix"):
        assert not hasattr(family, name), name
    sampler = type(table.BY_FAMILY[family])
    assert sampler.pack is not base.Sampler.pack
    if sampler.elementwise:
        assert sampler.transform is not base.Sampler.transform
        assert family.scipy is not laws.Distribution.scipy
    else:
        assert sampler.sample is not base.Sampler.sample
    assert sampler.whole_matrix == (family.family in ("orthogonal", "delta_orthogonal", "sparse"))
    # the table of the base class documents every family
    assert f":class:`{family.__name__}`" in laws.Distribution.__doc__
    # built by name, as Distribution.of(family, **params) and family.of(family.family, **params)
    params = {f.name: 1 for f in dataclasses.fields(family)}
    assert jaxinit.Distribution.of(family.family, **params) == family(**params)
    assert family.of(family.family, **params) == family(**params)
    law = family(**params)
    assert jaxinit.Distribution.of(law.family, **law.params) == law


def test_every_family_has_exactly_one_sampler():
    assert set(table.BY_FAMILY) == set(laws.FAMILIES)
    assert len({type(sampler) for sampler in table.BY_FAMILY.values()}) == len(laws.FAMILIES)


def test_every_initializer_returns_a_family_with_typed_parameters():
    cases = [
        (jaxinit.uniform(), (3,)),
        (jaxinit.trunc_normal(), (3,)),
        (jaxinit.triangular(), (3,)),
        (jaxinit.xavier_normal(), (3, 4)),
        (jaxinit.constant(2), (3,)),
        (jaxinit.eye(), (3, 3)),
        (jaxinit.dirac(), (3, 2, 2)),
        (jaxinit.orthogonal(), (3, 4)),
        (jaxinit.delta_orthogonal(), (3, 3, 2, 2)),
        (jaxinit.sparse(0.5), (4, 4)),
    ]
    assert {type(init.distribution(shape)) for init, shape in cases} == set(laws.FAMILIES)
    law = jaxinit.trunc_normal(0.5, 2.0, -1.0, 3.0).distribution((2,))
    assert isinstance(law, distributions.TruncatedNormal)
    assert (law.mean, law.std, law.low, law.high) == (0.5, 2.0, -1.0, 3.0)
    assert law.params == {"mean": 0.5, "std": 2.0, "low": -1.0, "high": 3.0}
    with pytest.raises(dataclasses.FrozenInstanceError):
        law.mean = 1.0


def test_layout_flax_is_the_default():
    """Same law, same value: equal and equally hashed initializers."""
    for layout in ("flax", "jax"):
        assert jaxinit.xavier_uniform(layout=layout) == jaxinit.xavier_uniform()
        assert hash(jaxinit.kaiming_normal(layout=layout)) == hash(jaxinit.kaiming_normal())
    assert jaxinit.xavier_uniform(layout="torch") != jaxinit.xavier_uniform()
    assert FanAxes.make("flax") == FanAxes()


# -- the shim is generated from the factories ---------------------------------------------------

SHIMS = [n for n in inplace.__all__ if n.endswith("_")]


@pytest.mark.parametrize("name", SHIMS)
def test_shim_signature_is_the_factorys(name):
    factory = getattr(factory_module, name[:-1])
    shim = inspect.signature(getattr(inplace, name))
    params = list(inspect.signature(factory).parameters.values())
    positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    keywords = [p for p in params if p.kind is p.KEYWORD_ONLY and p.name != "dtype"]
    random = getattr(jaxinit, name[:-1]) not in (
        jaxinit.constant,
        jaxinit.ones,
        jaxinit.zeros,
        jaxinit.eye,
        jaxinit.dirac,
    )
    expected = (
        ["tensor"]
        + [p.name for p in positional]
        + (["generator"] if random else [])
        + [p.name for p in keywords]
    )
    assert list(shim.parameters) == expected
    for p in positional + keywords:
        assert shim.parameters[p.name].default == p.default
        assert shim.parameters[p.name].kind == p.kind
    # help() shows the factory's formula
    law_text = factory.__doc__.split(">>>")[0].split("\n")[0]
    assert law_text in getattr(inplace, name).__doc__
    assert getattr(inplace, name).__module__ == "jaxinit.inplace"


def test_shim_takes_torchs_positional_order(key):
    torch_order = np.asarray(inplace.trunc_normal_(np.empty((64, 64), np.float32), 0.0, 2.0, -1.0, 1.0, key))
    by_name = np.asarray(jaxinit.trunc_normal(mean=0.0, std=2.0, a=-1.0, b=1.0)(key, (64, 64)))
    np.testing.assert_array_equal(torch_order, by_name)
    with pytest.raises(TypeError, match="unexpected keyword argument 'dtype'|got an unexpected keyword"):
        inplace.uniform_(np.empty(3, np.float32), dtype=np.float32)


# -- typing ---------------------------------------------------------------------------------------


def test_literal_types_name_what_the_factories_accept():
    import typing as t

    from jaxinit import typing as jt
    from jaxinit._src import fans

    assert set(t.get_args(jt.Layout)) == set(fans.LAYOUTS)
    assert set(t.get_args(jt.FanMode)) == set(fans.FAN_MODES)
    assert set(t.get_args(jt.Nonlinearity)) == set(fans.NONLINEARITIES)
    assert set(t.get_args(jt.DistributionName)) == set(factory_module.DISTRIBUTIONS)


def test_initializers_of_every_source_satisfy_the_protocol():
    from jaxinit.typing import Initializer

    for init in (
        jaxinit.xavier_uniform(),
        jax_nn.he_normal(),
        jax_nn.zeros,
        jax.nn.initializers.lecun_normal(),
        jax.nn.initializers.zeros,
    ):
        assert isinstance(init, Initializer)
    assert (ROOT / "jaxinit" / "py.typed").exists()


@pytest.mark.parametrize(
    "build, error, message",
    [
        (
            lambda: jaxinit.Distribution.of("foo", low=0.0),
            ValueError,
            r"`family` must be one of 'uniform', .* got 'foo'",
        ),
        (lambda: jaxinit.Distribution(), TypeError, r"Distribution is the base of the law families"),
        (lambda: jaxinit.Distribution.of("uniform", 0.0, 1.0), TypeError, r"takes 2 positional"),
        (lambda: jaxinit.Distribution.of("uniform", low=0.0), TypeError, r"missing 1 required .*'high'"),
        (
            lambda: distributions.Uniform.of("normal", mean=0.0, std=1.0),
            ValueError,
            r"must be one of 'uniform', got 'normal'",
        ),
        (
            lambda: jaxinit.uniform().distribution((2,)).std,
            AttributeError,
            r"a 'uniform' distribution has no parameter 'std'; it has \['high', 'low'\]",
        ),
        (
            lambda: inplace.uniform_(np.zeros(3), 0.0, 1.0, None, 5),
            TypeError,
            r"^uniform_\(\) too many positional arguments",
        ),
        (
            lambda: inplace.sparse_(np.zeros((3, 3))),
            TypeError,
            r"^sparse_\(\) missing a required argument: 'sparsity'",
        ),
    ],
)
def test_bad_input_to_the_typed_api_names_what_is_wrong(build, error, message):
    with pytest.raises(error, match=message):
        build()
