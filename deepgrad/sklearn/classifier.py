"""``NeuralNetClassifier``: a :class:`~deepgrad.sklearn.NeuralNet` for classification
(skorch's ``NeuralNetClassifier``).

By default the module outputs class probabilities :math:`p \\in [0, 1]^K` (a softmax last
layer) and the criterion is ``NLLLoss`` on their logarithm, as in skorch:

.. math::

    \\ell(p, y) = -\\frac{1}{B} \\sum_{i=1}^{B} \\log\\bigl(p_{i, y_i} + \\varepsilon\\bigr),
    \\qquad \\varepsilon = 2^{-23} \\text{ (float32's machine epsilon)}.

With ``criterion=nn.CrossEntropyLoss`` the module outputs logits instead and
``predict_proba`` applies the softmax. ``predict`` returns
:math:`c_{\\arg\\max_k p_k}`, the label of the most probable class; ``score`` is the
accuracy (scikit-learn's ``ClassifierMixin``).

Labels may be any sortable values (skorch wants the integers ``0 .. K-1``): the module is
trained on their positions in ``classes_`` (the sorted labels of ``y``, or the
``classes`` argument in its order), so integer labels ``0 .. K-1`` train exactly as in
skorch.
"""
import numpy as np

import deepgrad
from deepgrad import nn, optim
from deepgrad.sklearn._compat import ClassifierMixin, check_target_type
from deepgrad.sklearn.dataset import ValidSplit
from deepgrad.sklearn.net import NeuralNet
from deepgrad.utils.data import DataLoader

__all__ = ["NeuralNetClassifier"]


class NeuralNetClassifier(ClassifierMixin, NeuralNet):
    """A :mod:`deepgrad.nn` classifier as a scikit-learn estimator.

    The arguments are :class:`~deepgrad.sklearn.NeuralNet`'s, with these defaults:
    ``criterion=nn.NLLLoss`` (the module returns probabilities; the log is taken in
    :meth:`get_loss`) and ``train_split=ValidSplit(5, stratified=True)``; plus

    Args:
        classes (list or None): the labels, in the order of the module's outputs; None
            takes the sorted labels of ``y``.

    Attributes:
        classes_ (ndarray): the labels, in the order of the module's outputs.

    Example::

        import deepgrad as torch
        from deepgrad.sklearn import NeuralNetClassifier

        class MLP(torch.nn.Module):
            def __init__(self, hidden=16):
                super().__init__()
                self.net = torch.nn.Sequential(
                    torch.nn.Linear(4, hidden), torch.nn.ReLU(),
                    torch.nn.Linear(hidden, 3), torch.nn.Softmax(dim=-1))

            def forward(self, x):
                return self.net(x)

        clf = NeuralNetClassifier(MLP, module__hidden=32, max_epochs=20, lr=0.1)
        clf.fit(X.astype("float32"), y)
    """

    def __init__(self, module, criterion=nn.NLLLoss, optimizer=optim.SGD, lr=0.01,
                 max_epochs=10, batch_size=128, iterator_train=DataLoader,
                 iterator_valid=DataLoader, train_split=ValidSplit(5, stratified=True),
                 predict_nonlinearity="auto", warm_start=False, verbose=1, device="cpu",
                 classes=None, **kwargs):
        super().__init__(module, criterion, optimizer=optimizer, lr=lr,
                         max_epochs=max_epochs, batch_size=batch_size,
                         iterator_train=iterator_train, iterator_valid=iterator_valid,
                         train_split=train_split,
                         predict_nonlinearity=predict_nonlinearity, warm_start=warm_start,
                         verbose=verbose, device=device, **kwargs)
        self.classes = classes

    def _validate_kwargs(self):
        return {}            # a 1-D target (an (n, 1) column is raveled, with a warning)

    def _prepare_target(self, y, reset, classes=None):
        """Labels -> their positions in ``classes_`` (int64); a new ``classes_`` when
        ``reset``, from ``classes`` (``partial_fit``'s), the ``classes`` argument or ``y``."""
        check_target_type(y, allowed=("binary", "multiclass"))
        if reset:
            if classes is not None:
                known = np.asarray(classes)
            elif self.classes is not None and len(self.classes):
                known = np.asarray(self.classes)
            else:
                known = np.unique(y)
        else:
            known = self.classes_
        order = np.argsort(known, kind="stable")
        pos = np.clip(np.searchsorted(known[order], y), 0, len(known) - 1)
        index = order[pos]
        unseen = np.asarray(y)[known[index] != y]
        if unseen.size:
            raise ValueError(f"y holds labels that are not among the classes "
                             f"{known.tolist()}: {np.unique(unseen).tolist()}")
        if reset:
            if len(known) < 2:
                raise ValueError(f"Classifier can't train when only one class is present. "
                                 f"Received: the single class {known[0]!r}")
            self.classes_ = known
        return index.astype(np.int64)

    def get_loss(self, y_pred, y_true, training=False):
        """``NLLLoss`` gets :math:`\\log(p + \\varepsilon)`; other criteria the output as
        it is."""
        if isinstance(self.criterion_, nn.NLLLoss):
            y_pred = deepgrad.log(y_pred + float(np.finfo(np.float32).eps))
        return super().get_loss(y_pred, y_true, training=training)

    def _epoch_scores(self, y_pred, y_true):
        return {"valid_acc": float(np.mean(y_pred.argmax(axis=1) == y_true))}

    def predict(self, X):
        """The most probable class of each sample: ``classes_[argmax(predict_proba(X))]``
        (the index itself when there is no ``classes_``, after a bare ``initialize``)."""
        index = self.predict_proba(X).argmax(axis=1)
        classes = getattr(self, "classes_", None)
        return index if classes is None else classes[index]
