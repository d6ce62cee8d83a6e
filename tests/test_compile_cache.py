"""Eager calls compile one kernel per law family, shape and dtype, and the call counter is bounded."""

import numpy as np

import jaxinit
from jaxinit._src import engine
from jaxinit._src.samplers import table
from jaxinit.distributions import Normal


def test_one_kernel_per_family_shape_dtype(key, monkeypatch):
    monkeypatch.setattr(engine, "CHUNKED_MAX", 0)  # every call through the exact-shape kernel
    jaxinit.xavier_uniform()(key, (33, 17))
    before = engine.compiled_programs()[0]
    for gain in (1.0, 2.0, 0.5):
        jaxinit.xavier_uniform(gain=gain)(key, (33, 17))
        jaxinit.kaiming_uniform()(key, (33, 17))  # also a uniform law: same kernel
    assert engine.compiled_programs()[0] == before
    jaxinit.xavier_uniform()(key, (34, 17))
    assert engine.compiled_programs()[0] == before + 1


def test_eager_calls_compile_once_per_family_and_dtype(key, monkeypatch):
    monkeypatch.setattr(engine, "EAGER_CALLS", engine.CallCounter())
    jaxinit.kaiming_normal()(key, (3, 3, 8, 8))  # compiles the small chunk kernel
    jaxinit.kaiming_normal()(key, (300, 300))  # and the large one
    kernels, chunks = engine.compiled_programs()
    shapes = [(7, 7, 3, 64), (1, 1, 64, 256), (3, 3, 128, 128), (2048, 1000), (5, 1)]
    for shape in shapes:
        jaxinit.kaiming_normal(mode="fan_out")(key, shape)
        chunked = jaxinit.normal(std=0.3)(key, shape)  # the second normal-law draw of `shape`
    assert engine.compiled_programs() == (kernels, chunks)
    # a shape drawn a third time gets its own kernel, with the same values
    exact = jaxinit.normal(std=0.3)(key, shapes[-1])
    assert engine.compiled_programs()[0] == kernels + 1
    np.testing.assert_array_equal(np.asarray(chunked), np.asarray(exact))


def test_the_eager_call_counter_is_bounded(key, monkeypatch):
    counter = engine.CallCounter(capacity=16)
    monkeypatch.setattr(engine, "EAGER_CALLS", counter)
    for n in range(40):
        jaxinit.normal()(key, (3, n + 1))
    assert len(counter) == 16
    # the tiering still works for a shape within the window
    assert counter.count((table.of(Normal(0.0, 1.0)), ("plain",), (3, 40), np.dtype(np.float32))) == 2
