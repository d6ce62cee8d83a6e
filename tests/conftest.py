"""Shared fixtures and helpers: the test key, KS p-values, the initializer zoo, fresh processes."""

import os
import re
import subprocess
import sys

import jax
import numpy as np
import pytest

import jaxinit

# Catch accidental upcasting inside the library (as equinox's test-suite does).
jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")  # no silent broadcasting (as equinox tests)

KS_SAMPLES = (256, 512)  # 131072 draws: a 5 % scale error gives p << 1e-4


@pytest.fixture
def key():
    return jax.random.key(20261122)


RANDOM = [
    jaxinit.uniform(),
    jaxinit.normal(),
    jaxinit.trunc_normal(),
    jaxinit.xavier_uniform(),
    jaxinit.xavier_normal(),
    jaxinit.kaiming_uniform(),
    jaxinit.kaiming_normal(),
    jaxinit.lecun_uniform(),
    jaxinit.lecun_normal(),
    jaxinit.orthogonal(),
    jaxinit.sparse(0.3),
    jaxinit.variance_scaling(),
    jaxinit.delta_orthogonal(),
    jaxinit.triangular(),
]
DETERMINISTIC = [jaxinit.zeros(), jaxinit.ones(), jaxinit.constant(3.0), jaxinit.eye(), jaxinit.dirac()]


def example_shape(init):
    """A shape every initializer of RANDOM and DETERMINISTIC accepts."""
    return (3, 3, 4, 6) if init.name in ("delta_orthogonal", "dirac") else (24, 40)


def run_fresh(script):
    """Run tests/fresh/``script`` in a new Python process; it must pass and print "checked"."""
    here = os.path.dirname(__file__)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([os.path.dirname(here), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, os.path.join(here, "fresh", script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checked" in done.stdout


def ks_pvalue(values, law):
    from scipy import stats

    return stats.kstest(np.asarray(values, np.float64).ravel(), law.scipy().cdf).pvalue


def ks_pvalue_rounded(values, law):
    """KS p-value of low-precision ``values`` against ``law`` rounded to their dtype.

    Rounding to nearest maps the continuous law onto the dtype's grid: the exact CDF at a grid
    value v is F(midpoint between v and the next grid value). The statistic is the largest gap
    between that and the empirical CDF over the observed values (conservative for a discrete law).
    """
    import jax.numpy as jnp
    from scipy import stats

    dtype = values.dtype
    values = np.asarray(values, np.float64).ravel()  # numpy's float16 sort is not reliable
    grid, counts = np.unique(values, return_counts=True)

    def neighbour(direction):
        on_grid = jnp.asarray(grid, dtype)
        return np.asarray(jnp.nextafter(on_grid, jnp.full_like(on_grid, direction)), np.float64)

    cdf = law.scipy().cdf
    ecdf = np.cumsum(counts) / values.size
    gap_above = np.abs(ecdf - cdf((grid + neighbour(np.inf)) / 2)).max()
    gap_below = np.abs(ecdf - counts / values.size - cdf((grid + neighbour(-np.inf)) / 2)).max()
    return stats.kstwo.sf(max(gap_above, gap_below), values.size)


# -- reference packages that must not be skipped --------------------------------------------
# The parity suites skip (pytest.importorskip) where torch or a model's reference package is
# missing, as a user's checkout may lack them. Where one is required (CI's test leg sets
# JAXINIT_TEST_REQUIRE, e.g. torch,transformers,timm,olmo_core), a skip for its missing import,
# or for a module inside it (importorskip("timm.models.vision_transformer")), is a failure: a
# missing install step must not pass as a green run of skips.
REQUIRED = frozenset(filter(None, os.environ.get("JAXINIT_TEST_REQUIRE", "").split(",")))


def missing_required(report):
    """The required module a skipped ``report`` could not import, or None."""
    if not (REQUIRED and report.skipped):
        return None
    message = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    skipped = re.search(r"could not import '([\w.]+)'", message)
    if skipped is None:
        return None
    package = skipped.group(1).split(".")[0]
    return package if package in REQUIRED else None


def fail_if_required_missing(report):
    name = missing_required(report)
    if name is not None:
        report.outcome = "failed"
        report.longrepr = f"{name} is required here (JAXINIT_TEST_REQUIRE) but could not be imported"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    fail_if_required_missing(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    fail_if_required_missing(outcome.get_result())


# the torchvision stand-in of the timm reference tests is imported by them only, never collected
collect_ignore = ["stand_ins"]
