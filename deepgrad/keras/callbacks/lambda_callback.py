"""``LambdaCallback``: a callback made of plain functions, for quick one-off hooks."""
from deepgrad.keras.callbacks.callback import _HOOKS, Callback


class LambdaCallback(Callback):
    """Each given function becomes that hook (Keras's argument names and signatures).

    ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``,
    ``on_train_begin(logs)``, ``on_train_end(logs)``, ``on_train_batch_begin(batch,
    logs)``, ``on_train_batch_end(batch, logs)``; any other hook name (``on_test_end``,
    ``on_batch_end``, ...) may be passed as a keyword too.

    Example:
        >>> losses = []
        >>> LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end, **kwargs)
        unknown = sorted(set(hooks) - set(_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook name(s) {unknown}; expected names "
                            f"from {sorted(_HOOKS)}")
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)
        self._batch_begin, self._batch_end = on_train_batch_begin, on_train_batch_end

    # defined on the class (not set per instance) so that fit sees batch hooks exist
    def on_train_batch_begin(self, batch, logs=None):
        if self._batch_begin is not None:
            self._batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        if self._batch_end is not None:
            self._batch_end(batch, logs)
