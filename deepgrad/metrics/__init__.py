"""``deepgrad.metrics``: evaluation metrics by scikit-learn's names (``sklearn.metrics``),
on NumPy arrays, lists or tensors alike, for both fronts: PyTorch-style code passes
``model(x).argmax(1)``, Keras code ``model.predict(x).argmax(-1)``.

The ones that see a minority class: ``confusion_matrix``, per-class
``precision_recall_fscore_support`` (and ``precision_score``, ``recall_score``,
``f1_score``, ``fbeta_score`` with ``average=None/'macro'/...``),
``balanced_accuracy_score``, ``classification_report``, and from scores
``precision_recall_curve`` and ``average_precision_score`` (the PR-AUC). Keras's stateful
metrics for ``compile(metrics=...)`` (``F1Score``, ``FBetaScore``, ``Precision(class_id=)``,
``AUC(curve='PR')``...) are in :mod:`deepgrad.keras.metrics`.
"""
from deepgrad.metrics._common import UndefinedMetricWarning
from deepgrad.metrics._classification import (
    accuracy_score, balanced_accuracy_score, classification_report, confusion_matrix,
    f1_score, fbeta_score, precision_recall_fscore_support, precision_score, recall_score)
from deepgrad.metrics._ranking import auc, average_precision_score, precision_recall_curve

__all__ = ["accuracy_score", "auc", "average_precision_score", "balanced_accuracy_score",
           "classification_report", "confusion_matrix", "f1_score", "fbeta_score",
           "precision_recall_curve", "precision_recall_fscore_support", "precision_score",
           "recall_score", "UndefinedMetricWarning"]
