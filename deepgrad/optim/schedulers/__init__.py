"""The learning-rate schedulers, by family; :mod:`deepgrad.optim.lr_scheduler` is their public
module (PyTorch's ``torch.optim.lr_scheduler``).

* :mod:`.base`: :class:`~.base.LRScheduler`, the epoch counter and ``group["lr"]`` writer.
* :mod:`.decay`: monotone decays (Lambda, Multiplicative, Step, MultiStep, Constant,
  Linear, Exponential, Polynomial, CosineAnnealing).
* :mod:`.cyclic`: CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts.
* :mod:`.composite`: SequentialLR, ChainedScheduler, and the metric-driven
  ReduceLROnPlateau.
"""
