"""``Callback``: the base class of ``fit``'s hooks (Keras's hook names)."""
from deepgrad.keras import registry


class Callback:
    """Base class: override any hook. ``self.model`` is set before training starts.

    Hooks, in the order ``fit`` calls them: on_train_begin, (on_epoch_begin,
    (on_train_batch_begin, on_train_batch_end)*, [on_test_begin, (on_test_batch_begin,
    on_test_batch_end)*, on_test_end], on_epoch_end)*, on_train_end. ``evaluate`` and
    ``predict`` call the test/predict hooks. Subclasses defined in deepgrad.keras join
    the registry under their class name.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass("callbacks", cls)

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)        # Keras 2's name, called from the base hook

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass

    # Keras 2 names
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass


_HOOKS = [name for name in vars(Callback) if name.startswith("on_")]
registry.add_base("callbacks", Callback)
