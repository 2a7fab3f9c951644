"""Class and sample weights for imbalanced data, as ``sklearn.utils.class_weight``.

With n samples, k classes and n_c samples of class c, ``"balanced"`` weighs each class by
its inverse frequency,

    w_c = n / (k n_c)          (each class then carries the same total weight n / k),

or, with ``sample_weight`` s, by ``sum_i s_i / (k sum_{i: y_i = c} s_i)``. The weights go
to ``model.fit(class_weight=dict(zip(classes, w)))`` (Keras), to a loss's ``weight=``
(``nn.CrossEntropyLoss(weight=torch.tensor(w))``), or per sample through
:func:`compute_sample_weight` (``fit(sample_weight=...)``, ``WeightedRandomSampler``).
Labels may be NumPy arrays, lists or tensors; the results are float64 NumPy arrays.
"""
import numbers

import numpy as np

__all__ = ["compute_class_weight", "compute_sample_weight"]


def _array(x, name):
    if hasattr(x, "array") and isinstance(getattr(x, "array"), np.ndarray):   # a Tensor
        x = x.array
    a = np.asarray(x)
    if a.dtype == object:
        raise TypeError(f"{name}: expected an array of labels, received {type(x).__name__} "
                        f"holding objects")
    return a


def compute_class_weight(class_weight, *, classes, y, sample_weight=None):
    """The weight of each class in ``classes``, as scikit-learn computes it.

    Args:
        class_weight ("balanced", dict or None): ``"balanced"`` gives
            ``n / (k * count)`` (module docstring); a dict maps classes to weights (the
            others get 1); None (or an empty dict) gives ones.
        classes (array-like): the classes, as ``np.unique(y)`` lists them.
        y (array-like): the label of each sample, shape (n,).
        sample_weight (array-like, optional): weights of the samples (shape (n,)), used
            by ``"balanced"`` to count.
    Returns:
        np.ndarray: float64, shape (len(classes),); entry i is the weight of classes[i].
    Raises:
        ValueError: y holds a label missing from ``classes``; ``"balanced"`` with a class
            absent from y; a dict naming some classes but also keys that are not classes;
            an unknown string.
    """
    classes, y = _array(classes, "classes").ravel(), _array(y, "y").ravel()
    if set(np.unique(y).tolist()) - set(classes.tolist()):
        raise ValueError("classes should include all valid labels that can be in y")
    if class_weight is None or (isinstance(class_weight, dict) and not class_weight):
        return np.ones(classes.shape[0], dtype=np.float64)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be 'balanced', a dict or None, received "
                             f"{class_weight!r}")
        present = np.unique(y)
        if not np.isin(classes, present).all():
            raise ValueError("classes should have valid labels that are in y")
        if sample_weight is None:
            sw = np.ones(y.shape[0], dtype=np.float64)
        else:
            sw = _array(sample_weight, "sample_weight").astype(np.float64).ravel()
            if sw.shape != y.shape:
                raise ValueError(f"sample_weight has shape {sw.shape}; expected {y.shape}, "
                                 f"one weight per label")
        counts = np.bincount(np.searchsorted(present, y), weights=sw,
                             minlength=present.size)
        recip = counts.sum() / (present.size * counts)
        return recip[np.searchsorted(present, classes)].astype(np.float64)
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be 'balanced', a dict or None, received "
                        f"{type(class_weight).__name__}")
    weight = np.ones(classes.shape[0], dtype=np.float64)
    unweighted = []
    for i, c in enumerate(classes.tolist()):
        key = int(c) if isinstance(c, numbers.Integral) or (
            isinstance(c, float) and c.is_integer()) else c
        if key in class_weight:
            weight[i] = class_weight[key]
        else:
            unweighted.append(key)
    if unweighted and classes.shape[0] - len(unweighted) != len(class_weight):
        raise ValueError(f"The classes, {unweighted}, are not in class_weight")
    return weight


def compute_sample_weight(class_weight, y, *, indices=None):
    """The weight of each sample: its class's weight (:func:`compute_class_weight` over
    ``np.unique(y)``), as ``sklearn.utils.class_weight.compute_sample_weight``.

    Args:
        class_weight ("balanced", dict, list of dicts or None): as in
            :func:`compute_class_weight`; for multi-output ``y`` (n, m), "balanced" or one
            dict per output, and the weights of the outputs are multiplied.
        y (array-like): labels, shape (n,) or (n, m).
        indices (array-like, optional): a subsample (e.g. a bootstrap); the weights are
            balanced over it and classes missing from it get 0 (only with "balanced").
    Returns:
        np.ndarray: float64, shape (n,).
    """
    y = _array(y, "y")
    y = np.atleast_1d(y)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    n_outputs = y.shape[1]
    if indices is not None and class_weight != "balanced":
        raise ValueError(f"The only valid class_weight for subsampling is 'balanced'. "
                         f"Given {class_weight}.")
    if n_outputs > 1:
        if class_weight is None or isinstance(class_weight, dict):
            raise ValueError("For multi-output, class_weight should be a list of dicts, or "
                             "the string 'balanced'.")
        if isinstance(class_weight, list) and len(class_weight) != n_outputs:
            raise ValueError(f"For multi-output, number of elements in class_weight should "
                             f"match number of outputs. Got {len(class_weight)} element(s) "
                             f"while having {n_outputs} outputs.")
    expanded = []
    for k in range(n_outputs):
        y_full = y[:, k]
        classes_full = np.unique(y_full)
        cw = class_weight if class_weight == "balanced" or n_outputs == 1 else class_weight[k]
        missing = None
        if indices is not None:
            y_sub = y_full[_array(indices, "indices")]
            classes_sub = np.unique(y_sub)
            weight_k = np.take(compute_class_weight(cw, classes=classes_sub, y=y_sub),
                               np.searchsorted(classes_sub, classes_full), mode="clip")
            missing = set(classes_full.tolist()) - set(classes_sub.tolist())
        else:
            weight_k = compute_class_weight(cw, classes=classes_full, y=y_full)
        weight_k = weight_k[np.searchsorted(classes_full, y_full)]
        if missing:
            weight_k[np.isin(y_full, list(missing))] = 0.0
        expanded.append(weight_k)
    return np.prod(expanded, axis=0, dtype=np.float64)
