"""Imports go one way: a module imports only from the layers below its own.

The call path is public API -> initializer -> law (plain data) -> engine -> samplers -> bits;
the laws are data that everything above them reads, so they sit at the bottom with the
vocabulary. Every ``import`` statement counts, those inside functions and under
``TYPE_CHECKING`` too: a cycle hidden in a function is still a cycle.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

import jaxinit

PACKAGE = pathlib.Path(jaxinit.__file__).parent

#: Bottom first. A module may import from the layers below its own, never from its own layer or
#: one above it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # importing a module runs its packages' __init__ first: they import nothing
    ("packages", ("jaxinit._src", "jaxinit._src.samplers", "jaxinit._src.torch_layers")),
    ("vocabulary", ("jaxinit.typing", "jaxinit._src.export", "jaxinit._src.checks")),
    ("bits", ("jaxinit._src.bits",)),
    (
        "facts",
        (
            "jaxinit._src.representable",
            "jaxinit._src.fans",
            "jaxinit._src.sharding",
            "jaxinit._src.generator",
        ),
    ),
    ("laws", ("jaxinit._src.laws",)),
    ("sampler interface", ("jaxinit._src.samplers.base", "jaxinit._src.samplers.affine")),
    ("truncated normal", ("jaxinit._src.samplers.truncnorm",)),
    ("samplers", ("jaxinit._src.samplers.elementwise", "jaxinit._src.samplers.structured")),
    ("sampler table", ("jaxinit._src.samplers.table",)),
    ("engine", ("jaxinit._src.engine",)),
    ("initializer", ("jaxinit._src.initializer",)),
    ("factories", ("jaxinit._src.factories", "jaxinit._src.tree", "jaxinit._src.adapters")),
    ("built on the factories", ("jaxinit._src.composite", "jaxinit._src.jax_nn", "jaxinit._src.inplace")),
    ("registry and torch's formulas", ("jaxinit._src.registry", "jaxinit._src.torch_layers.formulas")),
    ("torch per-layer helpers", ("jaxinit._src.torch_layers.helpers",)),
    ("recipe values", ("jaxinit._src.recipe",)),
    ("recipe book", ("jaxinit._src.recipe_book",)),
    ("torch layer rules", ("jaxinit._src.torch_layers.rules",)),
    ("walk", ("jaxinit._src.torch_layers.walk",)),
    (
        "per framework",
        (
            "jaxinit._src.torch_layers.linen_layers",
            "jaxinit._src.torch_layers.nnx_layers",
            "jaxinit._src.torch_layers.equinox_layers",
            "jaxinit._src.torch_layers.pytree",
        ),
    ),
    ("whole models", ("jaxinit._src.torch_layers.models",)),
    (
        "public modules",
        (
            "jaxinit.distributions",
            "jaxinit.inplace",
            "jaxinit.jax_nn",
            "jaxinit.recipes",
            "jaxinit.torch_defaults",
        ),
    ),
    ("package", ("jaxinit",)),
)

#: The upward imports that are known and why; every other one fails the test.
EXCEPTIONS = {
    # a pickled initializer names the public jaxinit.get (built by the registry, above), so
    # that pickles survive refactors of the private modules
    ("jaxinit._src.initializer", "jaxinit"),
}


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, pathlib.Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: pathlib.Path, known: set[str]) -> set[str]:
    """The jaxinit modules ``name`` imports anywhere in its source (``from a import b`` counts
    as importing ``a.b`` when that is a module, else ``a``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1 packages
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else base)
    found = {module for module in found if module == "jaxinit" or module.startswith("jaxinit.")}
    # importing a.b.c runs a.b's __init__ first: an import of every package above the module
    # (all but jaxinit itself, the public entry that loads the whole library)
    return found | {parent for module in found for parent in packages_above(module)}


def packages_above(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:k]) for k in range(2, len(parts))}


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, set(known)) for name, path in known.items()}


def layer_of() -> dict[str, int]:
    return {module: level for level, (_, members) in enumerate(LAYERS) for module in members}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Each import of a module in the same layer or a layer above the importer's, as a line."""
    level, names = layer_of(), [name for name, _ in LAYERS]
    return sorted(
        f"{module} ({names[level[module]]}) imports {target} ({names[level[target]]})"
        for module, targets in graph.items()
        for target in targets
        if target != module and level[target] >= level[module] and (module, target) not in EXCEPTIONS
    )


def test_every_module_has_a_layer():
    placed = [module for _, members in LAYERS for module in members]
    assert len(placed) == len(set(placed)), "a module is listed twice"
    assert set(placed) == set(modules()), "place a new module in LAYERS (or drop a removed one)"


def test_no_module_imports_from_its_own_layer_or_above():
    assert upward_imports(import_graph()) == []


def test_the_known_upward_imports_are_still_there():
    graph = import_graph()
    assert [pair for pair in EXCEPTIONS if pair[1] not in graph[pair[0]]] == []


@pytest.mark.parametrize(
    "upward",
    [
        ("jaxinit._src.laws", "jaxinit._src.samplers.table"),
        ("jaxinit._src.bits", "jaxinit._src.engine"),
        ("jaxinit._src.samplers.elementwise", "jaxinit._src.samplers.structured"),  # same layer
    ],
)
def test_an_upward_import_is_reported(upward):
    graph = import_graph()
    graph[upward[0]] = graph[upward[0]] | {upward[1]}
    (line,) = upward_imports(graph)
    assert line.startswith(f"{upward[0]} (") and f" imports {upward[1]} (" in line


def test_packages_import_nothing():
    """A package's ``__init__`` runs before any of its modules: if it imported its modules
    (the sampler table, the whole-model entry points), importing a low module of it would run
    the modules above."""
    graph, known = import_graph(), modules()
    packages = [name for name, path in known.items() if path.name == "__init__.py" and name != "jaxinit"]
    assert {"jaxinit._src", "jaxinit._src.samplers", "jaxinit._src.torch_layers"} <= set(packages)
    assert {package: graph[package] for package in packages if graph[package]} == {}


def test_function_level_and_relative_imports_are_seen(tmp_path):
    source = tmp_path / "laws.py"
    source.write_text(
        "def f():\n    from jaxinit._src import engine\ndef g():\n    from .samplers import base\n"
    )
    found = imports_of("jaxinit._src.laws", source, set(modules()))
    # and the packages they are in, whose __init__ runs first
    assert found == {
        "jaxinit._src.engine",
        "jaxinit._src.samplers.base",
        "jaxinit._src",
        "jaxinit._src.samplers",
    }


def test_the_laws_depend_on_nothing_that_samples():
    graph = import_graph()
    reached, todo = set(), ["jaxinit._src.laws"]
    while todo:  # everything laws imports, directly or not
        for target in graph[todo.pop()] - reached:
            reached.add(target)
            todo.append(target)
    sampling = {"jaxinit._src.engine", "jaxinit._src.bits", "jaxinit._src.representable"}
    assert not reached & sampling
    assert not {module for module in reached if module.startswith("jaxinit._src.samplers")}
