"""``ModelSavingMixin``: Keras's saving methods on ``Model`` (``save``, ``save_weights``,
``load_weights``, ``to_json``, ``get_compile_config`` / ``compile_from_config``). The
work is done in :mod:`~deepgrad.keras.saving.saving_lib` and
:mod:`~deepgrad.keras.saving.serialization`; each model class owns its ``from_config``.
"""
from deepgrad.keras.saving import saving_lib, serialization
from deepgrad.onnx.keras_export import export_model     # onnx itself loads on first export


class ModelSavingMixin:
    """Mixed into ``Model``."""

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save architecture, weights, compile settings and optimizer state (see
        :mod:`deepgrad.keras.saving.saving_lib` for the formats).

        Args:
            filepath (str or path-like): ``.keras`` (Keras 3's format; needs h5py),
                ``.h5`` (Keras's legacy HDF5 format; needs h5py) or ``.dgkeras``
                (deepgrad's NumPy-only format).
            overwrite (bool): replace an existing file (else ``FileExistsError``).
            zipped: True or None (a zip archive, Keras's default); False (a folder) is
                refused.
            include_optimizer (bool): keyword, default True.
        """
        include_optimizer = kwargs.pop("include_optimizer", True)
        if kwargs:
            raise TypeError(f"save: unrecognized arguments {sorted(kwargs)}")
        if zipped is False:
            raise ValueError("save(zipped=False) is not supported: deepgrad writes zip "
                             "archives only")
        saving_lib.save_model(self, filepath, overwrite=overwrite,
                              include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights only: ``.weights.h5`` (Keras's HDF5, needs h5py) or
        ``.weights.npz`` (NumPy)."""
        saving_lib.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights saved by :meth:`save_weights` or :meth:`save` (or a legacy
        ``.h5`` file; ``by_name=True`` matches its layers by name); on any error the
        model is left unchanged."""
        by_name = kwargs.pop("by_name", False)
        if kwargs:
            raise TypeError(f"load_weights: unrecognized arguments {sorted(kwargs)}")
        saving_lib.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None,
               **kwargs):
        """Export the forward pass for inference (Keras 3's ``Model.export``). deepgrad
        writes ``format="onnx"`` (through :mod:`deepgrad.onnx`, needs the ``onnx``
        package; ``opset_version=`` as keyword); Keras's other formats need TensorFlow,
        OpenVINO, LiteRT or torch.export and are refused. See
        :func:`deepgrad.onnx.keras_export.export_model`."""
        return export_model(self, filepath, format=format, verbose=verbose,
                            input_signature=input_signature, **kwargs)

    def to_json(self, **kwargs):
        """The architecture as JSON (``json.dumps`` keyword arguments are passed on)."""
        return saving_lib.model_to_json(self, **kwargs)

    def get_compile_config(self):
        """What ``compile`` was given, as JSON-friendly data (None if not compiled)."""
        return serialization.compile_config(self)

    def compile_from_config(self, config):
        """Compile with the settings :meth:`get_compile_config` returned."""
        serialization.compile_from_config(self, config)
