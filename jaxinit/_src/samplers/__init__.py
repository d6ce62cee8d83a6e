"""How each law family is sampled: one sampler per family (:mod:`.elementwise`,
:mod:`.structured`, on the interface of :mod:`.base`), found by the law's class in
:mod:`.table`.

This package's ``__init__`` imports nothing: importing one sampler module must not run the
modules above it (the table imports every sampler).
"""
