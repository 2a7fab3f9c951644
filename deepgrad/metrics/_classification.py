"""Classification metrics from predicted labels, by scikit-learn's names and rules
(``sklearn.metrics``): the confusion matrix and what sees the minority classes.

For class c, with weighted counts TP_c (predicted c, truly c), P_c = predicted c,
T_c = truly c (the support):

    precision_c = TP_c / P_c,   recall_c = TP_c / T_c,
    F_beta,c    = (1 + b^2) TP_c / ((1 + b^2) TP_c + b^2 FN_c + FP_c)
                = (1 + b^2) precision recall / (b^2 precision + recall),
    balanced accuracy = mean_c recall_c  (over classes present in y_true),
    adjusted:   (BA - 1/k) / (1 - 1/k)   (0 for chance, 1 for perfect).

Averages: ``None`` (one value per class), ``'binary'`` (the class ``pos_label``),
``'micro'`` (pool the counts: accuracy for single-label data), ``'macro'`` (unweighted
mean over classes: the minority counts as much as the majority), ``'weighted'`` (mean
weighted by support). A ratio 0/0 is ``zero_division`` (``'warn'``: 0 and an
:class:`UndefinedMetricWarning`). Inputs are NumPy arrays, lists or tensors of labels
(or 0/1 indicator matrices for multilabel data); results are NumPy values.
"""
import numbers
import warnings

import numpy as np

from deepgrad.metrics._common import (
    UndefinedMetricWarning, as_array, check_targets, sample_weights, unique_labels)

_AVERAGES = (None, "binary", "micro", "macro", "weighted")


def confusion_matrix(y_true, y_pred, *, labels=None, sample_weight=None, normalize=None):
    """C[i, j] = (weighted) number of samples of true class labels[i] predicted as
    labels[j], as ``sklearn.metrics.confusion_matrix``.

    Args:
        y_true, y_pred: labels, shape (n,).
        labels (array-like, optional): the classes and their order (default: every label
            in y_true or y_pred, sorted); samples of other labels are left out.
        sample_weight (array-like, optional): shape (n,).
        normalize ({'true', 'pred', 'all'}, optional): divide by the row sums (recall on
            the diagonal), the column sums (precision on the diagonal), or the total.
    Returns:
        np.ndarray (k, k): int64 counts, float64 when weighted or normalised.
    """
    kind, yt, yp = check_targets(y_true, y_pred)
    if kind == "multilabel-indicator":
        raise ValueError("multilabel-indicator is not supported by confusion_matrix; "
                         "compare one label's column at a time")
    if normalize not in ("true", "pred", "all", None):
        raise ValueError(f"normalize must be one of {{'true', 'pred', 'all', None}}, "
                         f"received {normalize!r}")
    if labels is None:
        labels = unique_labels(yt, yp)
    else:
        labels = as_array(labels, "labels").ravel()
        if labels.size == 0:
            raise ValueError("'labels' should contain at least one label.")
        if yt.size and not np.isin(yt, labels).any():
            raise ValueError("At least one label specified must be in y_true")
    w = sample_weights(sample_weight, yt.size)
    k = labels.size
    index = {lab: i for i, lab in enumerate(labels.tolist())}
    ti = np.array([index.get(v, -1) for v in yt.tolist()], dtype=np.int64)
    pi = np.array([index.get(v, -1) for v in yp.tolist()], dtype=np.int64)
    keep = (ti >= 0) & (pi >= 0)
    weights = np.ones(yt.size) if w is None else w
    cm = np.bincount(ti[keep] * k + pi[keep], weights=weights[keep],
                     minlength=k * k).reshape(k, k)
    integral = w is None or np.all(np.mod(w, 1) == 0)
    cm = cm.astype(np.int64) if integral and normalize is None else cm
    if normalize is None:
        return cm
    with np.errstate(divide="ignore", invalid="ignore"):
        if normalize == "true":
            cm = cm / cm.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            cm = cm / cm.sum(axis=0, keepdims=True)
        else:
            cm = cm / cm.sum()
    return np.nan_to_num(cm)


def _zero_division_value(zero_division):
    if isinstance(zero_division, str):
        if zero_division != "warn":
            raise ValueError(f"zero_division must be 'warn', 0.0, 1.0 or np.nan, received "
                             f"{zero_division!r}")
        return 0.0
    if isinstance(zero_division, numbers.Real) and (
            np.isnan(zero_division) or zero_division in (0, 1)):
        return float(zero_division)
    raise ValueError(f"zero_division must be 'warn', 0.0, 1.0 or np.nan, received "
                     f"{zero_division!r}")


def _divide(num, den, metric, modifier, average, warn_for, zero_division):
    """num / den with 0/0 set to ``zero_division`` (warned about under 'warn')."""
    mask = den == 0.0
    result = num / np.where(mask, 1.0, den)
    if not mask.any():
        return result
    result[mask] = _zero_division_value(zero_division)
    if zero_division == "warn" and metric in warn_for:
        axis0 = "sample" if average == "samples" else "label"
        if average is None or average == "binary" or len(result) == 1:
            msg = (f"{metric.capitalize()} is ill-defined and being set to 0.0 in "
                   f"{axis0}s with no {modifier} samples.")
        else:
            msg = (f"{metric.capitalize()} is ill-defined and being set to 0.0 due to no "
                   f"{modifier} samples.")
        warnings.warn(msg + " Use `zero_division` parameter to control this behavior.",
                      UndefinedMetricWarning, stacklevel=3)
    return result


def _per_class_counts(kind, yt, yp, labels, w):
    """TP, predicted and true (weighted) counts per label of ``labels``."""
    if kind == "multilabel-indicator":
        ww = np.ones((yt.shape[0], 1)) if w is None else w[:, None]
        cols = np.asarray(labels, dtype=np.int64)
        t, p = yt[:, cols].astype(bool), yp[:, cols].astype(bool)
        return ((t & p) * ww).sum(0), (p * ww).sum(0), (t * ww).sum(0)
    ww = np.ones(yt.size) if w is None else w
    tp = np.array([ww[(yt == c) & (yp == c)].sum() for c in labels], dtype=np.float64)
    pred = np.array([ww[yp == c].sum() for c in labels], dtype=np.float64)
    true = np.array([ww[yt == c].sum() for c in labels], dtype=np.float64)
    return tp, pred, true


def _labels_for(kind, yt, yp, labels, pos_label, average):
    present = (np.arange(yt.shape[1]) if kind == "multilabel-indicator"
               else unique_labels(yt, yp))
    if average == "binary":
        if kind == "binary":
            if pos_label not in present.tolist():
                if present.size >= 2:
                    raise ValueError(f"pos_label={pos_label!r} is not a valid label. It "
                                     f"should be one of {present.tolist()}")
            return np.asarray([pos_label])
        raise ValueError(f"Target is {kind} but average='binary'. Please choose another "
                         f"average setting, one of [None, 'micro', 'macro', 'weighted'].")
    if pos_label not in (None, 1):
        warnings.warn(f"Note that pos_label (set to {pos_label!r}) is ignored when average != "
                      f"'binary' (got {average!r}). You may use labels=[pos_label] to specify "
                      f"a single positive class.", UserWarning, stacklevel=3)
    if labels is None:
        return present
    return as_array(labels, "labels").ravel()


def precision_recall_fscore_support(y_true, y_pred, *, beta=1.0, labels=None, pos_label=1,
                                    average=None, warn_for=("precision", "recall", "f-score"),
                                    sample_weight=None, zero_division="warn"):
    """Precision, recall, F-beta and support per class (or averaged), as scikit-learn.

    Args:
        y_true, y_pred: labels (n,) or 0/1 indicator matrices (n, L).
        beta (float): recall is ``beta`` times as important as precision. Default 1.
        labels (array-like, optional): the classes reported, in order.
        pos_label: the class of ``average='binary'``.
        average (None, 'binary', 'micro', 'macro', 'weighted'): see the module docstring.
        warn_for (tuple): which ill-defined metrics warn.
        sample_weight (array-like, optional): shape (n,).
        zero_division ('warn', 0.0, 1.0, np.nan): the value of 0/0.
    Returns:
        (precision, recall, fbeta, support): arrays of one value per class with
        ``average=None``; floats (and support None) otherwise.
    """
    if average not in _AVERAGES:
        raise ValueError(f"average has to be one of {_AVERAGES}, received {average!r}")
    if not isinstance(beta, numbers.Real) or beta < 0:
        raise ValueError(f"beta should be >=0 in the F-beta score, received {beta!r}")
    _zero_division_value(zero_division)
    kind, yt, yp = check_targets(y_true, y_pred)
    labels = _labels_for(kind, yt, yp, labels, pos_label, average)
    w = sample_weights(sample_weight, yt.shape[0])
    tp, pred, true = _per_class_counts(kind, yt, yp, labels, w)
    if average == "micro":
        tp, pred, true = np.array([tp.sum()]), np.array([pred.sum()]), np.array([true.sum()])
    precision = _divide(tp, pred, "precision", "predicted", average, warn_for, zero_division)
    recall = _divide(tp, true, "recall", "true", average, warn_for, zero_division)
    b2 = beta ** 2
    if np.isposinf(beta):
        f = recall
    elif beta == 0:
        f = precision
    else:
        f = _divide((1 + b2) * tp, b2 * true + pred, "f-score", "true nor predicted", average,
                    warn_for, zero_division)
    if average is None:
        return precision, recall, f, true.astype(np.int64) if w is None else true
    weights = true if average == "weighted" else None
    return (_average(precision, weights, zero_division), _average(recall, weights, zero_division),
            _average(f, weights, zero_division), None)


def _average(values, weights, zero_division):
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    if weights is None:
        return float(np.mean(values[keep]))
    if weights[keep].sum() == 0:
        return _zero_division_value(zero_division)
    return float(np.average(values[keep], weights=weights[keep]))


def fbeta_score(y_true, y_pred, *, beta, labels=None, pos_label=1, average="binary",
                sample_weight=None, zero_division="warn"):
    """The F-beta score (module docstring), as ``sklearn.metrics.fbeta_score``."""
    return precision_recall_fscore_support(
        y_true, y_pred, beta=beta, labels=labels, pos_label=pos_label, average=average,
        warn_for=("f-score",), sample_weight=sample_weight, zero_division=zero_division)[2]


def f1_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary", sample_weight=None,
             zero_division="warn"):
    """F1 = 2 precision recall / (precision + recall), as ``sklearn.metrics.f1_score``."""
    return fbeta_score(y_true, y_pred, beta=1.0, labels=labels, pos_label=pos_label,
                       average=average, sample_weight=sample_weight,
                       zero_division=zero_division)


def precision_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
                    sample_weight=None, zero_division="warn"):
    """TP / (TP + FP), as ``sklearn.metrics.precision_score``."""
    return precision_recall_fscore_support(
        y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
        warn_for=("precision",), sample_weight=sample_weight, zero_division=zero_division)[0]


def recall_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
                 sample_weight=None, zero_division="warn"):
    """TP / (TP + FN), as ``sklearn.metrics.recall_score``."""
    return precision_recall_fscore_support(
        y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
        warn_for=("recall",), sample_weight=sample_weight, zero_division=zero_division)[1]


def accuracy_score(y_true, y_pred, *, normalize=True, sample_weight=None):
    """The (weighted) fraction (or, ``normalize=False``, number) of exact matches."""
    kind, yt, yp = check_targets(y_true, y_pred)
    hit = (yt == yp).all(axis=1) if kind == "multilabel-indicator" else yt == yp
    w = sample_weights(sample_weight, hit.shape[0])
    if normalize:
        return float(np.average(hit, weights=w))
    return float(hit.sum() if w is None else np.dot(hit, w))


def balanced_accuracy_score(y_true, y_pred, *, sample_weight=None, adjusted=False):
    """The mean of the per-class recalls (module docstring), as scikit-learn's."""
    cm = confusion_matrix(y_true, y_pred, sample_weight=sample_weight)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class = np.diag(cm) / cm.sum(axis=1)
    if np.isnan(per_class).any():
        warnings.warn("y_pred contains classes not in y_true", UserWarning, stacklevel=2)
        per_class = per_class[~np.isnan(per_class)]
    score = per_class.mean()
    if adjusted:
        chance = 1 / per_class.shape[0]
        score = (score - chance) / (1 - chance)
    return float(score)


def classification_report(y_true, y_pred, *, labels=None, target_names=None,
                          sample_weight=None, digits=2, output_dict=False,
                          zero_division="warn"):
    """Per-class precision, recall, F1 and support, then the accuracy and the macro and
    weighted averages: scikit-learn's text table (or its dict, ``output_dict=True``)."""
    kind, yt, yp = check_targets(y_true, y_pred)
    given = labels is not None
    labels = (as_array(labels, "labels").ravel() if given else
              np.arange(yt.shape[1]) if kind == "multilabel-indicator" else
              unique_labels(yt, yp))
    if target_names is None:
        target_names = [str(lab) for lab in labels.tolist()]
    elif len(target_names) != len(labels):
        raise ValueError(f"Number of classes, {len(labels)}, does not match size of "
                         f"target_names, {len(target_names)}. Try specifying the labels "
                         f"parameter")
    micro_is_accuracy = kind in ("binary", "multiclass") and (
        not given or set(labels.tolist()) >= set(unique_labels(yt, yp).tolist()))
    headers = ["precision", "recall", "f1-score", "support"]
    p, r, f, s = precision_recall_fscore_support(yt, yp, labels=labels, average=None,
                                                 sample_weight=sample_weight,
                                                 zero_division=zero_division)
    rows = list(zip(target_names, p, r, f, s))
    averages = ("micro", "macro", "weighted")
    report_dict, report = {}, ""
    width = max(max(len(n) for n in target_names), len("weighted avg"), digits)
    row_fmt = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    if output_dict:
        report_dict = {row[0]: dict(zip(headers, [float(v) for v in row[1:]])) for row in rows}
    else:
        report = ("{:>{width}s} " + " {:>9}" * len(headers)).format("", *headers, width=width)
        report += "\n\n" + "".join(row_fmt.format(*row, width=width, digits=digits)
                                   for row in rows) + "\n"
    for average in averages:
        heading = "accuracy" if average == "micro" and micro_is_accuracy else average + " avg"
        ap, ar, af, _ = precision_recall_fscore_support(
            yt, yp, labels=labels, average=average, sample_weight=sample_weight,
            zero_division=zero_division)
        avg = [ap, ar, af, np.sum(s)]
        if output_dict:
            report_dict[heading] = dict(zip(headers, [float(v) for v in avg]))
        elif heading == "accuracy":
            fmt = "{:>{width}s} " + " {:>9.{digits}}" * 2 + " {:>9.{digits}f}" + " {:>9}\n"
            report += fmt.format(heading, "", "", *avg[2:], width=width, digits=digits)
        else:
            report += row_fmt.format(heading, *avg, width=width, digits=digits)
    if output_dict:
        if "accuracy" in report_dict:
            report_dict["accuracy"] = report_dict["accuracy"]["precision"]
        return report_dict
    return report
