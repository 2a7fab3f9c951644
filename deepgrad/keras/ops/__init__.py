"""``keras.ops`` on deepgrad's engine: Keras 3's backend-agnostic op namespace.

Every function takes Tensors, arrays or numbers, returns a Tensor, and differentiates
through :mod:`deepgrad.ops` (one formula each, shared with ``deepgrad.nn`` and the Keras
layers). Keras's signatures and defaults are kept (``axis``, ``keepdims``, the dtype
rules of :mod:`.core`). The names live in files by family, as Keras's sub-namespaces:

    core           conversion, dtypes, eager control flow (cond, scan, while_loop, ...)
    numpy          NumPy-style math, reductions, shapes, creation (``keras.ops.numpy``)
    nn             activations, losses, normalizations, conv/pool, attention
    math           segment reductions, top_k, framing, logdet
    linalg         factorisations, solves, norms (``keras.ops.linalg``)
    image          resizing, colour spaces, padding/cropping, patches (``keras.ops.image``)

A Keras name deepgrad does not provide (complex numbers and FFTs, forward-mode ``jvp``,
...) raises AttributeError saying so and why (the reasons are
:data:`deepgrad.keras._scope.KERAS_OUT_OF_SCOPE`, which the coverage report reads too).
"""
from deepgrad._scope import NotImplementedAttribute
from deepgrad.keras._scope import keras_out_of_scope
from deepgrad.keras.ops import core, image, linalg, math, nn, numpy  # noqa: F401
from deepgrad.keras.ops.core import *  # noqa: F401,F403
from deepgrad.keras.ops.linalg import *  # noqa: F401,F403
from deepgrad.keras.ops.math import *  # noqa: F401,F403
from deepgrad.keras.ops.nn import *  # noqa: F401,F403
from deepgrad.keras.ops.numpy import *  # noqa: F401,F403
from deepgrad.keras.ops.numpy_math import erf  # noqa: F401  (one name, two namespaces)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(f"module 'deepgrad.keras.ops' has no attribute {name!r}")
    scope = keras_out_of_scope("ops", name)
    if scope:
        raise NotImplementedAttribute(f"deepgrad does not implement keras.ops.{name}: out "
                                      f"of scope ({scope[0]}): {scope[1]}")
    raise NotImplementedAttribute(f"deepgrad does not implement keras.ops.{name} (not a "
                                  f"keras.ops name deepgrad provides)")


__all__ = sorted(set(core.__all__) | set(linalg.__all__) | set(math.__all__)  # noqa: F405
                 | set(nn.__all__) | set(numpy.__all__) | {"image", "linalg", "math",
                                                           "nn", "numpy"})
