"""What every picture of :mod:`deepgrad.plot` (and :mod:`deepgrad.interpret.visualization`)
shares: finding matplotlib, making a figure without touching the user's backend, writing
the PNG, and reading arrays and class labels from NumPy arrays, lists or tensors.

Backends: matplotlib is imported only when a picture is drawn, and nothing here calls
``matplotlib.use``. A figure is made through ``pyplot`` when the program has imported
``matplotlib.pyplot`` itself (so ``plt.show()`` and notebooks show it with the backend the
user chose); otherwise it is a standalone ``matplotlib.figure.Figure``, which needs no
backend and no display: ``savefig`` renders it with Agg. A headless script that never
imports pyplot therefore never opens a window, and one that does keeps its backend.
"""
import os
import sys

import numpy as np


def require_matplotlib(what="deepgrad.plot"):
    """The ``matplotlib`` module, or an ImportError saying ``what`` needs it."""
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError(f"{what} needs matplotlib, an optional extra: pip install "
                          f"matplotlib (or pip install deepgrad[plot])") from e
    return matplotlib


def new_figure(figsize, use_pyplot=None):
    """A new, empty figure of ``figsize`` inches.

    Args:
        use_pyplot (bool or None): make it with ``pyplot.figure`` (the user's backend,
            shown by ``plt.show()``) or as a standalone ``Figure``; None chooses pyplot
            exactly when the program has already imported ``matplotlib.pyplot``.
    """
    if use_pyplot is None:
        use_pyplot = "matplotlib.pyplot" in sys.modules
    if use_pyplot:
        import matplotlib.pyplot as plt
        return plt.figure(figsize=figsize)
    from matplotlib.figure import Figure
    return Figure(figsize=figsize)


def check_save_to(save_to):
    """Refuse a ``save_to`` that is not a path, before anything is drawn or written."""
    if save_to is not None and not isinstance(save_to, (str, os.PathLike)):
        raise TypeError(f"save_to: expected a file path (str or os.PathLike), received "
                        f"{type(save_to).__name__}")


def finish(fig, save_to, dpi=100):
    """Write ``fig`` to ``save_to`` (parent folders made; PNG unless the name ends in
    another format matplotlib writes, e.g. ``.svg``, ``.pdf``) and return ``fig``."""
    if save_to is not None:
        path = os.fspath(save_to)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        ext = os.path.splitext(path)[1]
        fig.savefig(path, dpi=dpi, format=None if ext else "png", bbox_inches="tight")
    return fig


def as_numpy(x, name, numeric=True):
    """``x`` (array-like, deepgrad/PyTorch tensor, Keras variable) as a NumPy array of
    numbers (of any non-object dtype, e.g. string labels, with ``numeric=False``)."""
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "cpu") and not isinstance(x, np.ndarray):
        x = x.cpu()
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    a = np.asarray(x)
    if a.dtype == object or (numeric and a.dtype.kind not in "biuf"):
        raise TypeError(f"{name}: expected a numeric array or tensor, received "
                        f"{type(x).__name__} of dtype {a.dtype}")
    return a


def class_indices(y, name):
    """Labels as a 1-D array: class labels ``(N,)`` pass; scores or one-hot rows
    ``(N, K)`` (K > 1) become ``argmax`` over the last axis; ``(N, 1)`` is flattened."""
    a = as_numpy(y, name, numeric=False)
    if a.ndim == 2 and a.shape[1] > 1:
        return a.argmax(axis=1)
    if a.ndim == 2:
        return a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"{name}: expected labels of shape (N,) or scores/one-hot rows of "
                         f"shape (N, K), received shape {a.shape}")
    return a


def grid_shape(n, ncols=None, max_cols=8):
    """``(rows, cols)`` of a grid holding ``n`` panels, at most ``max_cols`` wide."""
    cols = min(n, max_cols) if ncols is None else int(ncols)
    if cols < 1:
        raise ValueError(f"ncols must be a positive integer, received {ncols!r}")
    return -(-n // cols), cols


def panel_axes(fig, n, ncols=None, max_cols=8):
    """A grid of ``n`` image panels (ticks off); the unused cells of the last row are
    removed, so ``fig.axes`` has exactly ``n`` axes."""
    rows, cols = grid_shape(n, ncols, max_cols)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax in axes[n:]:
        ax.remove()
    for ax in axes[:n]:
        ax.set_xticks([])
        ax.set_yticks([])
    return list(axes[:n])
