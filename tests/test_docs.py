"""The documentation: the API reference (docs/api/) lists every public name of every public
module, the README's links work, and every file of this repository a text names exists."""

import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"
DIRECTIVE = re.compile(
    r"^\.\. (?:auto(?:function|class|data|module)|py:(?:function|class|data|module))::"
    r" +([\w.]+)",
    re.M,
)
CURRENT = re.compile(r"^\.\. currentmodule:: +([\w.]+)", re.M)


def public_modules() -> list:
    """jaxinit and each of its modules whose name has no leading underscore."""
    return ["jaxinit"] + sorted(
        f"jaxinit.{p.stem}" for p in (ROOT / "jaxinit").glob("*.py") if not p.stem.startswith("_")
    )


def documented() -> dict:
    """{page name: set of full names that page documents}."""
    pages = {}
    for page in sorted(API.glob("*.rst")):
        text = page.read_text()
        names, module = set(), None
        for line in text.splitlines():
            if m := CURRENT.match(line):
                module = m.group(1)
            elif m := DIRECTIVE.match(line):
                name = m.group(1)
                names.add(name if name.startswith("jaxinit") or module is None else f"{module}.{name}")
        pages[page.stem] = names
    return pages


@pytest.mark.parametrize("module_name", public_modules())
def test_every_public_name_is_in_the_api_reference(module_name):
    module = importlib.import_module(module_name)
    names = set().union(*documented().values())
    assert module_name in names, f"docs/api/ has no page with `.. automodule:: {module_name}`"
    submodules = {m for m in public_modules() if m != module_name}
    missing = [
        n
        for n in module.__all__
        if f"{module_name}.{n}" not in names and f"{module_name}.{n}" not in submodules
    ]
    assert not missing, f"{module_name}: not in docs/api/*.rst: {missing}"


def test_every_api_page_is_in_the_toctree():
    index = (API / "index.rst").read_text()
    for page in API.glob("*.rst"):
        if page.stem != "index":
            assert re.search(rf"^   {page.stem}$", index, re.M), f"{page.name} is not in api/index.rst"


def test_readme_links_work_on_a_package_index_page():
    """PyPI shows README.md without the repository around it: links must be absolute."""
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert targets, "no links found"
    relative = [t for t in targets if not t.startswith("https://")]
    assert not relative, relative
    for target in targets:  # files in this repository that a link names must exist
        if m := re.match(
            r"https://(?:github\.com/jaxinit/jaxinit/blob|raw\.githubusercontent\.com/jaxinit/jaxinit)/main/(.+)",
            target,
        ):
            assert (ROOT / m.group(1)).exists(), target


# a path inside this repository, as a docstring, comment or page names it (not a URL's tail, not
# another project's file, written with its project: jax/tests/nn_test.py)
REPOSITORY_PATH = re.compile(
    r"(?<![\w/.-])((?:\.ci|benchmarks|docs|examples|jaxinit|tests)/[\w./-]*[\w-]\.(?:py|md|rst|txt|toml))"
)


def text_files():
    """The repository's own texts: code, pages, configuration, CI."""
    texts = [*ROOT.glob("*.md"), ROOT / "pyproject.toml", ROOT / ".ci" / "run"]
    for folder in ("jaxinit", "tests", "benchmarks", "examples", "docs"):
        texts += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.suffix in (".py", ".md", ".rst", ".txt", ".toml") and p.is_file() and "_build" not in p.parts
        ]
    return texts


def named_paths():
    for text in text_files():
        for path in REPOSITORY_PATH.findall(text.read_text(encoding="utf-8")):
            yield text.relative_to(ROOT), path


def test_every_repository_file_a_text_names_exists():
    """A docstring or page that names a file which does not exist sends the reader nowhere."""
    named = list(named_paths())
    assert len(named) > 20, named  # the pattern finds the paths the texts do name
    missing = sorted({f"{source}: {path}" for source, path in named if not (ROOT / path).exists()})
    assert not missing, missing


CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def test_no_text_holds_a_control_character():
    """A tab or a backspace written into a file (code generated with an escape gone wrong)
    renders as nothing."""
    found = [
        f"{text.relative_to(ROOT)}:{n}: {line.strip()!r}"
        for text in text_files()
        for n, line in enumerate(text.read_text(encoding="utf-8").splitlines(), 1)
        if CONTROL.search(line)
    ]
    assert not found, found


def public_docstrings():
    """{qualified name: docstring} of every public module, its public objects and their members."""
    docs = {}
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        docs[module_name] = module.__doc__ or ""
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            docs[f"{module_name}.{name}"] = getattr(obj, "__doc__", None) or ""
            if isinstance(obj, type):
                for member, value in vars(obj).items():
                    doc = getattr(value, "__doc__", None)
                    if not member.startswith("_") and isinstance(doc, str):
                        docs[f"{module_name}.{name}.{member}"] = doc
    return docs


def test_no_docstring_holds_a_control_character():
    """A docstring's maths written without the ``r`` prefix loses backslash-b, -t and -f to
    escapes (``\\begin`` becomes a backspace and ``egin``): every public docstring as Python reads
    it."""
    docs = public_docstrings()
    assert len(docs) > 100, len(docs)
    found = {name: CONTROL.findall(doc) for name, doc in docs.items() if CONTROL.search(doc)}
    assert not found, found


def test_supported_versions_agree_between_readme_pyproject_and_ci():
    """The README's table, pyproject.toml's metadata and the Pythons CI runs on say the same."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    oldest = re.search(r"^OLDEST_PYTHON=(3\.\d+)", ci, re.M).group(1)
    newest = re.search(r"^NEWEST_PYTHON=(3\.\d+)", ci, re.M).group(1)
    assert project["requires-python"] == f">={oldest}"
    classified = [
        c.rsplit(" ", 1)[1]
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert classified == [f"3.{m}" for m in range(int(oldest[2:]), int(newest[2:]) + 1)], classified
    assert f"| Python | {oldest} | {oldest} | {newest} |" in readme
    minimums = dict(
        re.fullmatch(r"([\w-]+)>=([\d.]+)", d).groups()
        for d in project["dependencies"] + project["optional-dependencies"]["flax"]
    )
    assert minimums["jax"] == minimums["jaxlib"]
    assert f"| `jax`, `jaxlib` | {minimums['jax']} |" in readme
    assert f"| `flax` (optional) | {minimums['flax']} |" in readme
