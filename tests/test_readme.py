"""Every ```python block of README.md runs here, so that the README cannot drift.

* A block of ``>>>`` lines is a doctest (ELLIPSIS and NORMALIZE_WHITESPACE): outputs are checked.
* Any other block runs as a script, in a fresh namespace, statement by statement. An
  expression statement whose line ends in a comment ``# -> text`` must have the repr
  ``text``, or print ``text`` if it is a ``print(...)`` call (``...`` matches anything,
  as in doctest).
* A block that sets ``XLA_FLAGS`` (devices JAX must see when it starts) runs in a fresh
  interpreter; the others run here, with warnings as errors as everywhere in the suite.
* ``<!-- not-run: reason -->`` on the line before a block skips it, with the reason. Keep
  such marks rare: a README example that cannot run is a README example that can drift.

New blocks are picked up automatically.
"""

import ast
import contextlib
import doctest
import io
import os
import pathlib
import re
import subprocess
import sys

import jax
import pytest

pytestmark = pytest.mark.slow  # a framework-parity suite: in the full run, not the edit-test loop

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
EXPECTED = re.compile(r"#\s*->\s*(.*?)\s*$")
SKIP = re.compile(r"<!--\s*not-run:\s*(.*?)\s*-->")


def blocks(text):
    """(first line number, code, reason to skip or None) for every ```python block."""
    out = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M):
        line = text.count("\n", 0, match.start()) + 2  # the block's first code line
        before = text[: match.start()].rstrip().splitlines()
        skip = SKIP.fullmatch(before[-1].strip()) if before else None
        out.append((line, match.group(1), skip.group(1) if skip else None))
    return out


def _check(expected, got, line):
    got = got.replace("PartitionSpec(", "P(")  # jax before 0.9.1 prints a spec's full name
    checker = doctest.OutputChecker()
    if not checker.check_output(expected + "\n", got.rstrip("\n") + "\n", FLAGS):
        raise AssertionError(f"README.md line {line}: expected\n    {expected}\ngot\n    {got.rstrip()}")


def run_script(code, first_line):
    """Run a plain block statement by statement, checking ``# -> text`` outputs."""
    lines = code.splitlines()
    tree = ast.parse(code, "README.md")
    ast.increment_lineno(tree, first_line - 1)  # tracebacks point into README.md
    namespace = {"__name__": "__readme__"}
    for stmt in tree.body:
        comment = EXPECTED.search(lines[stmt.end_lineno - first_line])
        if comment is None:
            exec(compile(ast.Module([stmt], []), "README.md", "exec"), namespace)
            continue
        if not isinstance(stmt, ast.Expr):
            raise AssertionError(
                f"README.md line {stmt.end_lineno}: `# ->` follows an expression "
                f"whose value or printed output it shows, not a {type(stmt).__name__}"
            )
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            value = eval(compile(ast.Expression(stmt.value), "README.md", "eval"), namespace)
        is_print = isinstance(stmt.value, ast.Call) and getattr(stmt.value.func, "id", None) == "print"
        _check(comment.group(1), printed.getvalue() if is_print else repr(value), stmt.end_lineno)


def run_doctest(code, first_line):
    test = doctest.DocTestParser().get_doctest(
        code, {}, f"README.md:{first_line}", str(README), first_line - 1
    )
    report = io.StringIO()
    result = doctest.DocTestRunner(optionflags=FLAGS).run(test, out=report.write)
    assert result.failed == 0, report.getvalue()


BLOCKS = blocks(README.read_text())


def test_the_readme_has_blocks_and_few_are_skipped():
    assert len(BLOCKS) >= 5
    assert sum(skip is not None for _, _, skip in BLOCKS) <= 2


def test_blocks_are_found_with_their_marks():
    text = (
        "a\n```python\nx = 1\n```\n<!-- not-run: needs a GPU -->\n```python\ny = 2\n```\n```bash\nls\n```\n"
    )
    assert blocks(text) == [(3, "x = 1\n", None), (7, "y = 2\n", "needs a GPU")]


def test_expected_outputs_are_checked():
    run_script("x = [1, 2]\nx  # -> [1, 2]\nprint(x[0])  # -> 1\n", 1)
    run_script("y = 0.0759554\ny  # -> 0.0759...\n", 1)
    with pytest.raises(AssertionError, match="README.md line 2: expected"):
        run_script("x = 3\nx  # -> 4\n", 1)
    with pytest.raises(AssertionError, match="not a Assign"):
        run_script("x = 3  # -> 3\n", 1)
    with pytest.raises(AssertionError):
        run_doctest(">>> 1 + 1\n3\n", 1)


@pytest.mark.parametrize("line,code,skip", BLOCKS, ids=[f"line{b[0]}" for b in BLOCKS])
def test_readme_block(line, code, skip):
    if skip is not None:
        pytest.skip(f"README.md line {line}: {skip}")
    if code.lstrip().startswith(">>>"):
        run_doctest(code, line)
    elif "XLA_FLAGS" in code:
        env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "tests"), env.get("PYTHONPATH")]))
        runner = f"import test_readme; test_readme.run_script({code!r}, {line})"
        result = subprocess.run(
            [sys.executable, "-c", runner], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, result.stderr[-4000:]
    else:
        with jax.numpy_dtype_promotion("standard"):  # README code runs as users run it
            run_script(code, line)
