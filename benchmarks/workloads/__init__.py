"""The benchmark's workloads: one registry dict, one small module per family of models.

A workload is a model + loss + optimizer + batch, described once and built for every
framework column. A family module (``dense.py`` today; ``conv.py``, ``recurrent.py``
later) makes :class:`Workload` objects and calls :func:`register`; adding a framework
column (Keras, say) means adding a builder under that name to the workloads that support
it and the name to :data:`FRAMEWORKS`.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict

#: framework columns, in the order they are timed within one interleaved round.
FRAMEWORKS = ("deepgrad", "torch", "numpy")


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
        reference_state: ``seed -> {name: ndarray}``, the initial weights every framework
            starts from (PyTorch's ``state_dict`` keys and layouts).
        builders: ``framework -> build(state, x, y) -> step``; ``step()`` runs one full
            training step (forward, loss, zero_grad, backward, optimizer step) on the
            fixed batch and returns the loss (anything ``float()`` accepts).
    """

    name: str
    seed: str
    description: str
    batch: int
    make_batch: Callable
    reference_state: Callable
    builders: Dict[str, Callable] = field(default_factory=dict)


WORKLOADS: Dict[str, Workload] = {}


def register(workload):
    """Add ``workload`` to :data:`WORKLOADS` under its name (names are unique)."""
    if workload.name in WORKLOADS:
        raise ValueError(f"register: workload {workload.name!r} is already registered")
    WORKLOADS[workload.name] = workload
    return workload


from benchmarks.workloads import dense  # noqa: E402,F401  (registers the dense workloads)
