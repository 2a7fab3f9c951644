"""What deepgrad deliberately leaves out of PyTorch's API, in one place, with the reason.

deepgrad is a CPU, float (and integer/bool) tensor library with reverse-mode autodiff.
Whole families of PyTorch's public names serve things outside that scope. They are listed
here once; ``scripts/api_coverage.py`` leaves them out of its counts, and the
``AttributeError`` raised for a missing name (:func:`missing_attribute`) names the family
and its reason instead of Python's "did you mean" guess.
"""
import re

# (family, reason, pattern on the public name)
OUT_OF_SCOPE = (
    ("accelerators",
     "deepgrad runs on the CPU only; CUDA/cuDNN/MIOpen/oneDNN/XPU/MPS/XLA/IPU/MTIA/Vulkan "
     "kernels, streams and device-specific entry points have nothing to run on",
     r"cuda|cudnn|miopen|mkldnn|fbgemm|xpu|^mps$|is_mps|vulkan|^ipu$|is_ipu|_ipu_|^xla|"
     r"is_xla|_xla_|hpu|mtia|"
     r"maia|is_meta|nested|record_stream|^to_padded_tensor$|^grouped_mm$|^scaled_mm$|"
     r"^scaled_grouped_mm$"),
    ("quantization",
     "quantized tensors (int8 affine storage, observers, fake-quant) are a separate "
     "number system; deepgrad's tensors are plain float/int NumPy arrays",
     r"quantiz|^q_|int_repr|fake_quant|qscheme|^dequantize$|choose_qparams|fused_moving_avg"),
    ("sparse",
     "sparse layouts (COO/CSR/CSC/BSR/BSC) are out of scope; every deepgrad tensor is a "
     "dense strided NumPy array (SparseAdam accepts dense gradients)",
     r"sparse|coalesce|^indices$|^values$|crow_indices|col_indices|row_indices|^smm$|"
     r"^spmm$|^hspmm$|^sspaddmm$|^dsmm$|^saddmm$|^hsmm$|^to_dense$|dense_dim|^layout$"),
    ("complex",
     "complex dtypes are out of scope (float32/float64 training); conjugation and "
     "real/imaginary views have no meaning on real tensors",
     r"complex|^polar$|view_as_real|^real$|^imag$|^angle$|conj|resolve_neg|^is_neg$|"
     r"^chalf$|^cfloat$|^cdouble$|^mH$|^H$"),
    ("compilers",
     "torch.compile/TorchScript/FX/export, symbolic shapes and functional transforms "
     "(vmap, control-flow operators, functorch's first-class dims `Tensor.index`) compile or "
     "trace PyTorch programs; deepgrad runs "
     "eagerly and has no compiler",
     r"^compile$|jit|^sym_|parse_ir|import_ir_module|^cond$|^while_loop$|^fork$|^wait$|"
     r"type_comment|parse_schema|unify_type_list|compiled_with_cxx11_abi|^vmap$|"
     r"^classproperty$|^get_file_path$|prepare_multiprocessing_environment|profiler_allow|"
     r"^slice_inverse$|^hash_tensor$|^(?!index_)\w+_copy$|^module_load$|^as_subclass$|^dim_order$|"
     r"^thread_safe_generator$|^index$"),
    ("autocast",
     "automatic mixed precision: deepgrad never changes dtypes behind the user's back "
     "(float32 by default, float64 on request)",
     r"autocast"),
    ("named tensors",
     "named dimensions (a prototype API in PyTorch) are not supported",
     r"^rename_?$|refine_names|^align_to$|^align_as$|^names$"),
    ("storage internals",
     "raw storage, pointers, strided views and resizing in place of another tensor's memory "
     "are PyTorch's memory model; deepgrad's memory is NumPy's",
     r"storage|data_ptr|^set_$|share_memory|^is_shared$|^resize|as_strided|^is_set_to$|"
     r"^new_empty_strided$|^empty_strided$|^empty_permuted$|^from_file$|^frombuffer$"),
    ("ATen internals",
     "kernel-level entry points PyTorch exposes for its own autograd and compilers "
     "(native_*, SyncBatchNorm statistics, *_backward kernels, aten-only convolution and "
     "RNN entry points, legacy Variable fields); users call the public op instead",
     r"^native_|^batch_norm_(backward|elemt|gather|stats|update)|_backward|^convolution$|"
     r"^conv_tbc$|^constant_pad_nd$|^grid_sampler(_2d|_3d)?$|affine_grid_generator|"
     r"^embedding_renorm_$|^norm_except_dim$|^segment_reduce$|^unsafe_|^rnn_relu|^rnn_tanh|"
     r"^lstm$|^gru$|^output_nr$|^reinforce$|^volatile$|^grad_dtype$|^map2?_$|^apply_$|"
     r"^is_same_size$|^frobenius_norm$|^get_device_module$|^enforce_grad_layout_policy$|"
     r"^NestedIOFunction$|^set_multithreading_enabled$|^LinearCrossEntropyOptions$"),
    ("distributed",
     "collectives and SyncBatchNorm belong to deepgrad.distributed (a separate package, on "
     "MPI)",
     r"^is_distributed$|^SyncBatchNorm$"),
    ("DataPipes",
     "torch.utils.data's DataPipes were deprecated and removed from torchdata; DataLoader "
     "with Datasets and Samplers is the supported path",
     r"DataPipe|^DataChunk$|^functional_datapipe$|datapipes_determinism|"
     r"^non_deterministic$|^argument_validation$|^runtime_validation"),
    ("removed upstream",
     "removed from PyTorch itself (calling it there raises and names the torch.linalg "
     "replacement)",
     r"^symeig$|^eig$|^lstsq$|^matrix_rank$|^solve$"),
)

_COMPILED = tuple((family, reason, re.compile(pattern)) for family, reason, pattern in OUT_OF_SCOPE)


def out_of_scope(name):
    """The (family, reason) that leaves ``name`` out of deepgrad, or None."""
    for family, reason, pattern in _COMPILED:
        if pattern.search(name):
            return family, reason
    return None


def missing_attribute(owner, name):
    """The ``AttributeError`` for a name ``owner`` lacks, saying why it is missing.

    Args:
        owner (str): what was asked, e.g. ``"deepgrad"`` or ``"deepgrad.Tensor"``.
        name (str): the attribute.
    """
    scope = out_of_scope(name)
    if scope is not None:
        family, reason = scope
        return AttributeError(f"{owner} has no attribute {name!r}: {family} is out of "
                              f"deepgrad's scope ({reason})")
    return AttributeError(f"{owner} has no attribute {name!r}: deepgrad does not implement "
                          f"it (the PyTorch/Keras name it mirrors may exist there)")


class NotImplementedAttribute(AttributeError):
    """The AttributeError for a name deepgrad does not provide, whose message is the whole
    answer: Python's "Did you mean ...?" guess (which reads ``name``) is left out, as a
    near-miss spelling of a missing API name would mislead."""

    @property
    def name(self):
        return None

    @name.setter
    def name(self, value):
        pass
