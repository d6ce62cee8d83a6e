"""PyTorch's layer initialisation for Flax NNX, linen and Equinox models, and the recipes' walk:
torch's formulas (:mod:`.formulas`), per-layer helpers (:mod:`.helpers`), the rules by layer
type (:mod:`.rules`), the one walker (:mod:`.walk`), each framework's layers and plain pytrees,
and the entry points for a whole model (:mod:`.models`: ``reset_parameters``, ``apply``).

This package's ``__init__`` imports nothing: importing one of its lower modules must not run
the entry points above them.
"""
