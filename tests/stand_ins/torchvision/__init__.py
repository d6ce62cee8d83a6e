"""A stand-in for torchvision, for tests/test_recipes_reference.py only (never installed).

timm imports torchvision names at module level (``FrozenBatchNorm2d`` in ``timm.layers``,
``transforms`` and ``InterpolationMode`` in ``timm.data``) that ViT's ``init_weights`` never
uses, and PyPI's torchvision is a CUDA build that fails to import beside CPU torch. Here every
``torchvision.*`` module exists and every name in it is a placeholder class that raises when
called (``isinstance`` against it is False); ``InterpolationMode`` is a real enum, as timm
builds tables from its members. The init code under test is timm's own either way.
"""

import enum
import importlib.abc
import importlib.machinery
import sys
import types

__version__ = "0.0.0+jaxinit-stand-in"


class _Missing:
    def __init__(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__qualname__} is a stand-in: the real torchvision is not installed")


class InterpolationMode(enum.Enum):  # timm.data.transforms builds tables from its members
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _placeholder(module, name):
    if name.startswith("__"):
        raise AttributeError(name)
    if name == "InterpolationMode":
        return InterpolationMode
    cls = type(name, (_Missing,), {"__module__": module})
    return cls


class _Module(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = _placeholder(self.__name__, name)
        setattr(self, name, value)
        return value


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.startswith(__name__ + ".") and sys.modules.get(__name__) is _THIS:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Module(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


_THIS = sys.modules[__name__]
sys.meta_path.insert(0, _Finder())


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _placeholder(__name__, name)
