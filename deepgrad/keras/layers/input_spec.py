"""``InputSpec``: what a built Keras layer accepts (``layer.input_spec``), checked by
``Layer.__call__`` before ``call`` runs (Keras 3's names and error messages)."""


class InputSpec:
    """What a built layer accepts: ``ndim`` / ``min_ndim`` and fixed sizes of some ``axes``.

    The last shape that passed is remembered: a training loop's batches, all of one
    shape, are checked once (a tuple comparison per call after that)."""

    _passed = None

    def __init__(self, ndim=None, min_ndim=None, axes=None, dtype=None, shape=None):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, dict(axes or {})
        self.dtype, self.shape = dtype, shape

    def __setattr__(self, name, value):            # a changed spec checks afresh
        object.__setattr__(self, "_passed", None)
        object.__setattr__(self, name, value)

    def check(self, layer, shape, index=0):
        if shape == self._passed:
            return
        self._check(layer, shape, index)
        if type(shape) is tuple:
            object.__setattr__(self, "_passed", shape)

    def _check(self, layer, shape, index):
        ndim = len(shape)
        if self.ndim is not None and ndim != self.ndim:
            raise ValueError(f"{_where(layer, index)}: expected ndim={self.ndim}, found "
                             f"ndim={ndim}. Full shape received: {tuple(shape)}")
        if self.min_ndim is not None and ndim < self.min_ndim:
            raise ValueError(f"{_where(layer, index)}: expected min_ndim={self.min_ndim}, "
                             f"found ndim={ndim}. Full shape received: {tuple(shape)}")
        for axis, value in self.axes.items():
            if value is not None and ndim >= abs(axis) and shape[axis] != value \
                    and shape[axis] is not None:
                raise ValueError(f"{_where(layer, index)}: expected axis {axis} of input shape "
                                 f"to have value {value}, but received input with shape "
                                 f"{tuple(shape)}")


def _where(layer, index):
    return f'Input {index} of layer "{layer.name}" is incompatible with the layer'
