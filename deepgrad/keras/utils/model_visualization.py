"""``keras.utils.plot_model``: not available (it needs graphviz and pydot)."""


def plot_model(model, to_file="model.png", **kwargs):
    """Not implemented: Keras draws the graph with graphviz (through pydot).

    Raises:
        NotImplementedError: always; use ``model.summary()`` for a text view.
    """
    raise NotImplementedError(
        "plot_model is not available in deepgrad: Keras draws the model graph with the "
        "graphviz program (through pydot), which deepgrad does not depend on. Use "
        "model.summary() for a text view of the layers and shapes.")
