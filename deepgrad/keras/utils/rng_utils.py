"""``keras.utils.set_random_seed``: one seed for every random generator in use."""
import random

import numpy as np

from deepgrad import backend


def set_random_seed(seed):
    """Seed Python's ``random``, NumPy's global generator and deepgrad's, as Keras does.

    Equivalent to ``random.seed(seed); np.random.seed(seed); deepgrad.manual_seed(seed)``;
    weight initialisation, dropout and data shuffling are then reproducible.

    Args:
        seed (int): the seed, ``0 <= seed < 2**32``.
    Raises:
        ValueError: ``seed`` is not an int.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed!r}"
                         f" (of type {type(seed).__name__})")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    backend.manual_seed(seed)
