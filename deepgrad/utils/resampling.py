"""Random over- and under-sampling of imbalanced data, as imbalanced-learn's
``RandomOverSampler`` and ``RandomUnderSampler`` (``fit_resample(X, y)``).

With class counts n_c, the targets of ``sampling_strategy``:

    over-sampling  'auto' = 'not majority', 'minority', 'not minority', 'all':
                   each targeted class is topped up to max_c n_c by drawing its own
                   samples with replacement (a bootstrap), appended after the data;
    under-sampling 'auto' = 'not minority', 'majority', 'not majority', 'all':
                   each targeted class keeps min_c n_c of its samples, drawn without
                   replacement (or with, ``replacement=True``), classes in sorted order;
    a float r      (two classes only) the ratio n_minority / n_majority wanted after
                   resampling; a dict {class: n} the counts wanted; a callable(y) -> dict.

``shrinkage`` (over-sampling) draws a smoothed bootstrap instead: each new row is a drawn
row plus Gaussian noise of standard deviation ``shrinkage * h * std_c`` per feature, with
std_c the class's feature standard deviation and h = (4 / ((d + 2) n))^(1 / (d + 4))
Silverman's rule for n rows of d features.

The random draws are imbalanced-learn's (``numpy.random.RandomState.choice`` in the same
order), so with the same ``random_state`` both give the same rows. ``X`` may be a NumPy
array, a list or a deepgrad tensor (the result has its type); ``sample_indices_`` gives the
rows drawn, to resample anything else in step (``Subset(dataset, indices)``). For
PyTorch-style loaders, ``WeightedRandomSampler`` with weights from
:func:`deepgrad.utils.class_weight.compute_sample_weight` oversamples on the fly instead.
"""
import numbers

import numpy as np

__all__ = ["RandomOverSampler", "RandomUnderSampler"]

_STRATEGIES = {"over-sampling": ("auto", "minority", "not minority", "not majority", "all"),
               "under-sampling": ("auto", "majority", "not minority", "not majority", "all")}


def _labels(y):
    y = y.array if hasattr(y, "array") and isinstance(y.array, np.ndarray) else np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"fit_resample: y must be one label per sample, shape (n,), received "
                         f"shape {y.shape}")
    return y


def _random_state(seed):
    if seed is None:
        return np.random.mtrand._rand
    if isinstance(seed, np.random.RandomState):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return np.random.RandomState(int(seed))
    raise ValueError(f"random_state must be None, an int or a numpy.random.RandomState, "
                     f"received {seed!r}")


def _targets(strategy, y, kind):
    """imbalanced-learn's ``check_sampling_strategy``: {class: rows to add (over) or keep
    (under)}, sorted by class."""
    classes, counts = np.unique(y, return_counts=True)
    if classes.size <= 1:
        raise ValueError(f"The target 'y' needs to have more than 1 class. Got {classes.size} "
                         f"class instead")
    stats = dict(zip(classes.tolist(), counts.tolist()))
    majority, minority = max(stats, key=stats.get), min(stats, key=stats.get)
    n_max, n_min = max(stats.values()), min(stats.values())
    over = kind == "over-sampling"
    if callable(strategy) and not isinstance(strategy, str):
        strategy = strategy(y)
    if isinstance(strategy, str):
        if strategy not in _STRATEGIES[kind]:
            raise ValueError(f"sampling_strategy={strategy!r} cannot be used with a "
                             f"{kind.replace('-sampling', '-sampler')}; expected one of "
                             f"{_STRATEGIES[kind]}, a float or a dict")
        if strategy == "auto":
            strategy = "not majority" if over else "not minority"
        keep = {"all": lambda c: True, "minority": lambda c: c == minority,
                "majority": lambda c: c == majority, "not minority": lambda c: c != minority,
                "not majority": lambda c: c != majority}[strategy]
        out = {c: (n_max - n if over else n_min) for c, n in stats.items() if keep(c)}
    elif isinstance(strategy, dict):
        unknown = set(strategy) - set(stats)
        if unknown:
            raise ValueError(f"The {unknown} target class is/are not present in the data.")
        out = {}
        for c, n in strategy.items():
            if n < 0:
                raise ValueError(f"The number of samples in a class cannot be negative. "
                                 f"'sampling_strategy' contains some negative value: "
                                 f"{strategy}")
            if over and n < stats[c]:
                raise ValueError(f"With over-sampling methods, the number of samples in a "
                                 f"class should be greater or equal to the original number "
                                 f"of samples. Originally, there is {stats[c]} samples and "
                                 f"{n} samples are asked.")
            if not over and n > stats[c]:
                raise ValueError(f"With under-sampling methods, the number of samples in a "
                                 f"class should be less or equal to the original number of "
                                 f"samples. Originally, there is {stats[c]} samples and {n} "
                                 f"samples are asked.")
            out[c] = n - stats[c] if over else n
    elif isinstance(strategy, numbers.Real) and not isinstance(strategy, bool):
        if classes.size != 2:
            raise ValueError('"sampling_strategy" can be a float only when the type of target '
                             'is binary. For multi-class, use a dict.')
        if not 0 < strategy <= 1:
            raise ValueError(f"sampling_strategy as a float must be in (0, 1], received "
                             f"{strategy}")
        if over:
            out = {c: int(n_max * strategy - n) for c, n in stats.items() if c != majority}
            if any(n <= 0 for n in out.values()):
                raise ValueError("The specified ratio required to remove samples from the "
                                 "minority class while trying to generate new samples. "
                                 "Please increase the ratio.")
        else:
            out = {c: int(n_min / strategy) for c in stats if c != minority}
            if any(n > stats[c] for c, n in out.items()):
                raise ValueError("The specified ratio required to generate new sample in the "
                                 "majority class while trying to remove samples. Please "
                                 "increase the ratio.")
    else:
        raise ValueError(f"sampling_strategy must be a string, a float, a dict or a callable, "
                         f"received {type(strategy).__name__}")
    return dict(sorted(out.items()))


def _take(X, rows):
    if hasattr(X, "array") and isinstance(X.array, np.ndarray):          # a Tensor
        return type(X)(X.array[rows])
    return np.asarray(X)[rows]


def _check_X(X, y):
    n = len(X.array) if hasattr(X, "array") and isinstance(X.array, np.ndarray) else len(X)
    if n != y.shape[0]:
        raise ValueError(f"fit_resample: X has {n} samples but y has {y.shape[0]} labels; "
                         f"expected one label per sample")


class RandomOverSampler:
    """Over-sample the smaller classes by drawing their samples with replacement
    (module docstring).

    Args:
        sampling_strategy (str, float, dict or callable): which classes to top up, and to
            what. Default ``'auto'`` (every class but the majority, up to its count).
        random_state (int, RandomState or None): the draws' seed.
        shrinkage (float, dict or None): a smoothed bootstrap (numeric X only); a dict
            gives one factor per resampled class.

    Attributes:
        sampling_strategy_ (dict): {class: number of samples added}.
        sample_indices_ (np.ndarray): the row of ``X`` behind each resampled row.
    """

    def __init__(self, *, sampling_strategy="auto", random_state=None, shrinkage=None):
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.shrinkage = shrinkage

    def _shrinkage(self):
        if self.shrinkage is None:
            return None
        if isinstance(self.shrinkage, numbers.Real) and not isinstance(self.shrinkage, bool):
            factors = {c: self.shrinkage for c in self.sampling_strategy_}
        elif isinstance(self.shrinkage, dict):
            factors = dict(self.shrinkage)
        else:
            raise ValueError(f"shrinkage must be None, a float or a dict, received "
                             f"{self.shrinkage!r}")
        missing = set(self.sampling_strategy_) - set(factors)
        if missing:
            raise ValueError(f"`shrinkage` should contain a shrinkage factor for each class "
                             f"that will be resampled. The missing classes are: {missing!r}")
        for c, f in factors.items():
            if f < 0:
                raise ValueError(f"The shrinkage factor needs to be >= 0. Got {f} for class "
                                 f"{c}.")
        return factors

    def fit_resample(self, X, y):
        """Return ``(X_resampled, y_resampled)``: the data followed by the drawn rows."""
        y = _labels(y)
        _check_X(X, y)
        self.sampling_strategy_ = _targets(self.sampling_strategy, y, "over-sampling")
        factors = self._shrinkage()
        Xa = X.array if hasattr(X, "array") and isinstance(X.array, np.ndarray) else \
            np.asarray(X)
        if factors is not None and (Xa.ndim != 2 or Xa.dtype.kind not in "biuf"):
            raise ValueError("When shrinkage is not None, X needs to contain only numerical "
                             "data (n_samples, n_features) to later generate a smoothed "
                             "bootstrap sample.")
        rng = _random_state(self.random_state)
        indices, extra = [np.arange(y.shape[0])], []
        for c, n_new in self.sampling_strategy_.items():
            members = np.flatnonzero(y == c)
            drawn = rng.choice(members, size=n_new, replace=True)
            indices.append(drawn)
            if factors is not None:
                n, d = Xa.shape
                h = (4 / ((d + 2) * n)) ** (1 / (d + 4))
                scale = factors[c] * h * np.std(Xa[members], axis=0)
                extra.append(rng.randn(n_new, d) @ np.diagflat(scale) + Xa[drawn])
        self.sample_indices_ = np.concatenate(indices)
        y_res = y[self.sample_indices_]
        if factors is None:
            return _take(X, self.sample_indices_), y_res
        X_res = np.vstack([Xa] + extra)
        if hasattr(X, "array") and isinstance(X.array, np.ndarray):
            return type(X)(X_res.astype(Xa.dtype) if Xa.dtype.kind == "f" else X_res), y_res
        return X_res, y_res


class RandomUnderSampler:
    """Under-sample the larger classes by keeping a random subset of their samples
    (module docstring).

    Args:
        sampling_strategy (str, float, dict or callable): which classes to cut, and to
            what. Default ``'auto'`` (every class but the minority, down to its count).
        random_state (int, RandomState or None): the draws' seed.
        replacement (bool): draw the kept samples with replacement.

    Attributes:
        sampling_strategy_ (dict): {class: number of samples kept}.
        sample_indices_ (np.ndarray): the rows of ``X`` kept, class by class.
    """

    def __init__(self, *, sampling_strategy="auto", random_state=None, replacement=False):
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.replacement = replacement

    def fit_resample(self, X, y):
        """Return ``(X_resampled, y_resampled)``: the kept rows, classes in sorted order."""
        y = _labels(y)
        _check_X(X, y)
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement must be a bool, received {self.replacement!r}")
        self.sampling_strategy_ = _targets(self.sampling_strategy, y, "under-sampling")
        rng = _random_state(self.random_state)
        kept = []
        for c in np.unique(y):
            members = np.flatnonzero(y == c)
            if c in self.sampling_strategy_:
                pick = rng.choice(range(members.size), size=self.sampling_strategy_[c],
                                  replace=self.replacement)
                members = members[pick]
            kept.append(members)
        self.sample_indices_ = np.concatenate(kept).astype(np.int64)
        return _take(X, self.sample_indices_), y[self.sample_indices_]
