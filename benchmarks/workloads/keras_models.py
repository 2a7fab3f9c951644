"""The Keras columns: a workload's model as a Keras ``Sequential``, trained by ``fit``.

Two columns share every model definition: ``deepgrad.keras`` and Keras 3 itself (on the
backend its worker sets in ``KERAS_BACKEND`` before importing keras: TensorFlow unless
``run.py --keras-backend`` says otherwise). A family module writes its model once as
``make_model(keras) -> Sequential`` (an ``Input`` first, so it is built at once, and
uncompiled) for ``keras`` the module ``keras`` or ``deepgrad.keras``, and
:func:`keras_builders` makes both columns' builders from it.

What is timed is the user's call,
``model.fit(x, y, batch_size=B, epochs=1, verbose=0, shuffle=False)`` on n copies of
the workload's batch (n B samples, made before the clock starts), so fit's own loop
(batching, train step, loss tracking, callbacks) is measured, including its fixed cost
per call.

Weights: the Keras column builds its model under ``keras.utils.set_random_seed(seed)``
and reports ``get_weights()``; deepgrad.keras starts from those with ``set_weights``, so
the two columns' first losses can be compared.
"""
import importlib
import time

import numpy as np

#: the nn loss names the workloads use -> (class in ``keras.losses``, its arguments).
LOSSES = {
    "cross_entropy": ("SparseCategoricalCrossentropy", {"from_logits": True}),
    "mse_loss": ("MeanSquaredError", {}),
}


class FitStep:
    """``model.fit`` as the harness drives it.

    ``step()`` fits one epoch of one batch and returns fit's reported loss (the loss the
    columns compare); ``step.run(n)`` returns the seconds of one ``fit`` over n batches.

    Args:
        model: a compiled Keras or deepgrad.keras model.
        x, y: one batch, in Keras layouts.
    """

    def __init__(self, model, x, y):
        self.model, self.x, self.y, self.batch = model, x, y, len(x)
        self.initial_weights = model.get_weights()
        self._data = (1, x, y)                    # (n, x repeated n times, y repeated)

    def _fit(self, x, y):
        return self.model.fit(x, y, batch_size=self.batch, epochs=1, verbose=0,
                              shuffle=False)

    def __call__(self):
        return self._fit(self.x, self.y).history["loss"][-1]

    def run(self, n):
        """Seconds for ``fit`` over n copies of the batch (the copies are made untimed)."""
        if self._data[0] != n:
            xs = np.concatenate([self.x] * n)
            ys = xs if self.y is self.x else np.concatenate([self.y] * n)   # fit(x, x)
            self._data = (n, xs, ys)
        _, x, y = self._data
        t0 = time.perf_counter()
        self._fit(x, y)
        return time.perf_counter() - t0


def keras_builders(make_model, optimizer, lr, loss, layout=None, seed=0):
    """``{"deepgrad.keras": build, "keras": build}`` with ``build(state, x, y) -> FitStep``.

    Args:
        make_model: ``keras -> Sequential``, uncompiled.
        optimizer: a class name in ``keras.optimizers`` ("Adam", "SGD"), built with
            ``learning_rate=lr`` and its other defaults (Keras' Adam has eps 1e-7).
        loss: a key of :data:`LOSSES`.
        layout: ``x -> x`` from the workload's (PyTorch) layout to Keras' (channels
            last), or None when they are the same.
        seed: ``keras.utils.set_random_seed`` before building without ``state``.
    """
    loss_class, loss_args = LOSSES[loss]

    def build(module_name):
        def builder(state, x, y):
            keras = importlib.import_module(module_name)
            if state is None:
                keras.utils.set_random_seed(seed)
            model = make_model(keras)
            if state is not None:
                model.set_weights(state)
            model.compile(optimizer=getattr(keras.optimizers, optimizer)(learning_rate=lr),
                          loss=getattr(keras.losses, loss_class)(**loss_args))
            xk = x if layout is None else np.ascontiguousarray(layout(x))
            return FitStep(model, xk, xk if y is x else y)
        return builder
    return {"deepgrad.keras": build("deepgrad.keras"), "keras": build("keras")}


def channels_last(x):
    """(N, C, H, W) -> (N, H, W, C)."""
    return x.transpose(0, 2, 3, 1)
