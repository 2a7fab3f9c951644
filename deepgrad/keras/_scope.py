"""What deepgrad.keras deliberately leaves out of Keras 3's public API, with the reason.

``scripts/api_coverage.py`` leaves these names out of its Keras counts and lists them with
their family; everything else Keras 3.15 exports is counted (provided or missing).
"""

# (family, reason, {namespace: names})
KERAS_OUT_OF_SCOPE = (
    ("backend-specific layers",
     "wrappers that run another framework's modules or graphs inside Keras (JAX/Flax "
     "functions, torch.nn.Module, TensorFlow SavedModels); deepgrad is its own backend",
     {"layers": ("JaxLayer", "FlaxLayer", "TorchModuleWrapper", "TFSMLayer")}),
    ("distribution/TPU",
     "checkpointing through JAX's Orbax and sharded multi-device state; deepgrad's "
     "multi-process training is deepgrad.distributed on MPI",
     {"callbacks": ("OrbaxCheckpoint",)}),
    ("mixed precision",
     "dynamic loss scaling exists for float16 training; deepgrad never changes dtypes behind "
     "the user's back (float32 by default, float64 on request)",
     {"optimizers": ("LossScaleOptimizer",)}),
    ("complex numbers",
     "complex dtypes are out of deepgrad's scope (real float32/float64 tensors); FFTs, "
     "spectrograms, complex views and general eigenvalues produce or read complex numbers",
     {"ops": ("angle", "conj", "conjugate", "real", "imag", "polar", "view_as_complex",
              "view_as_real", "fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft",
              "eig")}),
    ("forward-mode autodiff",
     "Jacobian-vector products need forward-mode differentiation; deepgrad's engine is "
     "reverse-mode only",
     {"ops": ("jvp",)}),
)


def keras_out_of_scope(namespace, name):
    """The (family, reason) that leaves ``keras.<namespace>.<name>`` out, or None."""
    for family, reason, names in KERAS_OUT_OF_SCOPE:
        if name in names.get(namespace, ()):
            return family, reason
    return None
