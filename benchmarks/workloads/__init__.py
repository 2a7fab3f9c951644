"""The benchmark's workloads: one registry dict, one small module per family of models.

A workload is a model + loss + optimizer + batch, described once and built for every
framework column. A family module (``dense.py``, ``conv.py``, ``recurrent.py``) makes
:class:`Workload` objects and calls :func:`register`; the PyTorch-style columns' builders
come from :mod:`.common`, the Keras columns' from :mod:`.keras_models`. Adding a
framework column means adding a builder under that name to the workloads that support
it, the name to :data:`FRAMEWORKS` and its reference to :data:`REFERENCES`.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict

#: framework columns, in the order they are timed within one interleaved round; each
#: is also the module its worker imports ("keras" on the backend run.py chooses). Columns
#: that are compared sit side by side (deepgrad.nn between PyTorch and deepgrad.keras,
#: deepgrad.keras beside Keras), so each pair's ratio within a round
#: (:func:`benchmarks.harness.paired_ratio`) sees the machine as alike as can be.
FRAMEWORKS = ("torch", "deepgrad", "deepgrad.keras", "keras", "numpy")

#: column -> the column whose initial weights it starts from and whose losses it must
#: match (PyTorch's come from ``Workload.reference_state``, Keras' from its worker).
REFERENCES = {"deepgrad": "torch", "numpy": "torch", "deepgrad.keras": "keras"}


@dataclass
class Workload:
    """One training configuration, buildable in several frameworks.

    Attributes:
        name: registry key, e.g. ``"mlp128"``.
        seed: the seed listing it comes from, e.g. ``"000"``.
        description: one line for the results table.
        batch: samples per training step.
        make_batch: ``rng -> (x, y)`` NumPy arrays (float32 inputs; int64 class indices or
            float32 targets).
        reference_state: ``seed -> {name: ndarray}``, the initial weights the
            PyTorch-style columns start from (PyTorch's ``state_dict`` keys and layouts).
        builders: ``framework -> build(state, x, y) -> step``; ``step()`` runs one full
            training step (forward, loss, zero_grad, backward, optimizer step) on the
            fixed batch and returns the loss (anything ``float()`` accepts). ``state``
            is the reference column's weights (see :data:`REFERENCES`), or None for the
            framework's own initialisation. A step may also have ``run(n)``: the
            seconds of n steps made as one call (``fit`` over n batches) and
            ``initial_weights``: the weights the columns referring to it start from.
        make_model: ``nn -> Module``, the model as the PyTorch-style columns build it
            (:mod:`benchmarks.flops` counts its multiply-adds).
    """

    name: str
    seed: str
    description: str
    batch: int
    make_batch: Callable
    reference_state: Callable
    builders: Dict[str, Callable] = field(default_factory=dict)
    make_model: Callable = None      # ``nn -> Module`` (PyTorch-style), for FLOP counting


WORKLOADS: Dict[str, Workload] = {}


def register(workload):
    """Add ``workload`` to :data:`WORKLOADS` under its name (names are unique)."""
    if workload.name in WORKLOADS:
        raise ValueError(f"register: workload {workload.name!r} is already registered")
    WORKLOADS[workload.name] = workload
    return workload


# registering the workloads, in table order
from benchmarks.workloads import dense, conv, recurrent, attention  # noqa: E402,F401
