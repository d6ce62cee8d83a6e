"""JAXINIT_TEST_REQUIRE (tests/conftest.py): on CI's test leg, a skip for a required reference
package's missing import is a failure, under pytest-xdist as the README's test command runs."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # a pytest in a subprocess: in the full run, not the edit-test loop

TESTS = os.path.dirname(os.path.abspath(__file__))


def test_a_required_package_that_is_missing_fails_and_others_skip(tmp_path):
    (tmp_path / "test_module_level.py").write_text(
        'import pytest\nmissing = pytest.importorskip("jaxinit_absent_a")\n\n\ndef test_a():\n    pass\n'
    )
    (tmp_path / "test_in_tests.py").write_text(
        "import pytest\n\n\n"
        "def test_submodule():\n"
        '    pytest.importorskip("jaxinit_absent_b.models.vit")\n\n\n'
        "def test_not_required():\n"
        '    pytest.importorskip("jaxinit_absent_c")\n'
    )
    env = {
        **os.environ,
        "JAXINIT_TEST_REQUIRE": "jaxinit_absent_a,jaxinit_absent_b",
        "PYTHONPATH": os.pathsep.join([TESTS, os.path.dirname(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    # this suite's conftest as a plugin, over files outside the suite
    command = [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-n", "2", "-rfEs"]
    done = subprocess.run([*command, str(tmp_path)], capture_output=True, text=True, env=env, cwd=tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "ERROR test_module_level.py - jaxinit_absent_a is required here" in out, out
    assert "FAILED test_in_tests.py::test_submodule - jaxinit_absent_b is required here" in out, out
    assert "could not import 'jaxinit_absent_c'" in out and "1 skipped" in out, out
    # without the variable, all three are skips
    del env["JAXINIT_TEST_REQUIRE"]
    done = subprocess.run([*command, str(tmp_path)], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0 and "3 skipped" in done.stdout, done.stdout + done.stderr
