"""Keras 3's metrics at a fixed operating point: the best of one rate subject to another.

Each keeps (TP, FP, TN, FN) at ``num_thresholds`` evenly spaced thresholds
``[0, 1/(n-1), ..., 1]`` (predictions clipped to [0, 1]; one threshold means 0.5) and
reports

    max { dependent(t) : constrained(t) >= value }   (0 when no threshold qualifies)

with sensitivity = recall = TP / (TP + FN), specificity = TN / (TN + FP) and precision =
TP / (TP + FP) (0/0 read as 0):

=========================  ===========  ============
metric                     constrained  dependent
=========================  ===========  ============
SensitivityAtSpecificity   specificity  sensitivity
SpecificityAtSensitivity   sensitivity  specificity
PrecisionAtRecall          recall       precision
RecallAtPrecision          precision    recall
=========================  ===========  ============
"""
import numpy as np

from deepgrad.keras.confusion_metrics import confusion_counts
from deepgrad.keras.metrics_base import Metric, _divide_no_nan


class _AtConstraint(Metric):
    """Shared state: the four counts at each threshold."""

    _value_name = "value"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0 <= value <= 1:
            raise ValueError(f"Argument `{self._value_name}` must be in the range [0, 1]. "
                             f"Received: {self._value_name}={value}")
        if not isinstance(num_thresholds, int) or num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. "
                             f"Received: num_thresholds={num_thresholds}")
        super().__init__(name=name, dtype=dtype)
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            self.thresholds = [i / (num_thresholds - 1) for i in range(num_thresholds)]
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        self.false_positives = self.add_variable((n,), name="false_positives")
        self.true_negatives = self.add_variable((n,), name="true_negatives")
        self.false_negatives = self.add_variable((n,), name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, tn, fn = confusion_counts(y_true, y_pred, self.thresholds, sample_weight,
                                          class_id=self.class_id,
                                          clip=self.num_thresholds > 1)
        for var, count in ((self.true_positives, tp), (self.false_positives, fp),
                           (self.true_negatives, tn), (self.false_negatives, fn)):
            var.assign_add(count)

    def _rates(self):
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        return {"sensitivity": _divide_no_nan(tp, tp + fn),
                "specificity": _divide_no_nan(tn, tn + fp),
                "precision": _divide_no_nan(tp, tp + fp)}

    def _best(self, constrained, dependent):
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        return float(np.max(np.where(feasible, rates[dependent], 0.0), initial=0.0))

    def get_config(self):
        return {**super().get_config(), self._value_name: self.value,
                "num_thresholds": self.num_thresholds, "class_id": self.class_id}


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) among thresholds whose specificity is at least
    ``specificity``."""

    _value_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("specificity", "sensitivity")


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity among thresholds whose sensitivity is at least
    ``sensitivity``."""

    _value_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("sensitivity", "specificity")


class PrecisionAtRecall(_AtConstraint):
    """The best precision among thresholds whose recall is at least ``recall``."""

    _value_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("sensitivity", "precision")


class RecallAtPrecision(_AtConstraint):
    """The best recall among thresholds whose precision is at least ``precision``."""

    _value_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("precision", "sensitivity")
