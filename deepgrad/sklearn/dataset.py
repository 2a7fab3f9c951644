"""``ValidSplit``: the hold-out set a :class:`~deepgrad.sklearn.NeuralNet` scores each
epoch on (skorch's ``ValidSplit``).

``ValidSplit(cv)(dataset, y)`` returns ``(dataset_train, dataset_valid)``, two
:class:`~deepgrad.utils.data.Subset` s of ``dataset``:

* an integer ``cv`` = k takes the first fold of a k-fold split (``KFold``, or
  ``StratifiedKFold`` when ``stratified``): the first :math:`\\approx N/k` samples (per
  class, when stratified) are held out, with no shuffling;
* a float ``cv`` in (0, 1) holds out that fraction at random (``ShuffleSplit``, or
  ``StratifiedShuffleSplit``), drawn with ``random_state``.
"""
from numbers import Number

import numpy as np

from deepgrad.utils.data import Subset

__all__ = ["ValidSplit"]


class ValidSplit:
    """Split a dataset once into training and validation parts.

    Args:
        cv (int or float): the number of folds (the first is held out), or the fraction
            held out at random.
        stratified (bool): keep the class proportions of ``y`` in both parts.
        random_state (int, RandomState or None): the seed of a float ``cv``'s draw (an
            integer ``cv`` does not shuffle, so a seed there is refused).
    """

    def __init__(self, cv=5, stratified=False, random_state=None):
        if isinstance(cv, bool) or not isinstance(cv, Number) or cv <= 0:
            raise ValueError(f"ValidSplit: cv must be a positive int (folds) or a float in "
                             f"(0, 1) (a fraction); received cv={cv!r}")
        if float(cv).is_integer() and random_state is not None:
            raise ValueError(f"ValidSplit: random_state has no effect when cv is an int "
                             f"(the first fold is taken unshuffled); received cv={cv!r}, "
                             f"random_state={random_state!r}")
        self.cv = cv
        self.stratified = stratified
        self.random_state = random_state

    def _splitter(self):
        from sklearn import model_selection as ms
        if not float(self.cv).is_integer():
            cls = ms.StratifiedShuffleSplit if self.stratified else ms.ShuffleSplit
            return cls(n_splits=1, test_size=self.cv, random_state=self.random_state)
        cls = ms.StratifiedKFold if self.stratified else ms.KFold
        return cls(n_splits=int(self.cv))

    def __call__(self, dataset, y=None):
        """``(Subset(dataset, train_indices), Subset(dataset, valid_indices))``."""
        if self.stratified and y is None:
            raise ValueError("ValidSplit: stratified splitting needs y; received y=None")
        n = len(dataset)
        if y is not None and len(y) != n:
            raise ValueError(f"ValidSplit: dataset and y have different lengths "
                             f"({n} and {len(y)})")
        labels = np.asarray(y) if self.stratified else None
        train, valid = next(iter(self._splitter().split(np.arange(n), labels)))
        return Subset(dataset, train), Subset(dataset, valid)

    def __eq__(self, other):
        """Equal settings make equal splitters (a clone compares equal)."""
        if type(other) is not type(self):
            return NotImplemented
        return ((self.cv, self.stratified, self.random_state) ==
                (other.cv, other.stratified, other.random_state))

    def __hash__(self):
        return hash((type(self), self.cv, self.stratified, repr(self.random_state)))

    def __repr__(self):
        return (f"ValidSplit(cv={self.cv!r}, stratified={self.stratified!r}, "
                f"random_state={self.random_state!r})")
