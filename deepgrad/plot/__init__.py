"""``deepgrad.plot``: pictures where people would rather look than read, through
matplotlib (an optional extra: ``pip install matplotlib`` or ``deepgrad[plot]``).

* :func:`history`: learning curves, loss and metrics per epoch, training vs validation;
* :func:`confusion_matrix`: true class against predicted class;
* :func:`image_grid`: samples with labels and predictions, mistakes framed in red;
* :func:`filters`: the kernels of a 2-D convolution (``nn.Conv2d`` or Keras ``Conv2D``);
* :func:`activations`: the feature maps a layer makes from one input (both fronts);
* :func:`model_graph`: a model's layer graph (what ``keras.utils.plot_model`` draws
  when pydot and graphviz are not installed).

Every function checks its arguments first (errors name what was expected and what was
received), then draws, and returns the ``matplotlib.figure.Figure``; ``save_to=path``
also writes it (a PNG unless the name ends in another format matplotlib writes; parent
folders are made). matplotlib is imported only when a picture is drawn, and the user's
backend is never changed: see :mod:`deepgrad.plot._figures`. ``import deepgrad.plot``
itself needs nothing beyond NumPy; :func:`require_matplotlib` fails early (before a long
training run) when matplotlib is missing.

    >>> import deepgrad
    >>> fig = deepgrad.plot.history({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6]})
"""
from deepgrad.plot._figures import require_matplotlib
from deepgrad.plot.conv import activations, filters
from deepgrad.plot.graph import model_graph
from deepgrad.plot.images import image_grid
from deepgrad.plot.training import confusion_matrix, history

__all__ = ["activations", "confusion_matrix", "filters", "history", "image_grid",
           "model_graph", "require_matplotlib"]
