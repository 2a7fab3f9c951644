"""Pictures of training and evaluation: learning curves (:func:`history`) and the
confusion matrix (:func:`confusion_matrix`)."""
import numpy as np

from deepgrad.plot._figures import (
    check_save_to, class_indices, finish, new_figure, require_matplotlib)


def _history_dict(history):
    """``{key: [float, ...]}`` from a History object (``.history``) or a dict of lists."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(f"history: expected a keras History (what fit returns), its "
                        f".history dict, or a dict of per-epoch lists, received "
                        f"{type(history).__name__}")
    if not logs:
        raise ValueError("history: the history is empty (no epoch was recorded)")
    out = {}
    for key, values in logs.items():
        if not isinstance(key, str):
            raise TypeError(f"history: keys must be metric names (str), received {key!r}")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            raise TypeError(f"history[{key!r}]: expected a list of per-epoch values, "
                            f"received {type(values).__name__}")
        try:
            series = [float(v) for v in values]
        except (TypeError, ValueError) as e:
            raise TypeError(f"history[{key!r}]: expected numbers, one per epoch, received "
                            f"{list(values)[:3]!r}...") from e
        if not series:
            raise ValueError(f"history[{key!r}] is empty: expected one value per epoch")
        out[key] = series
    return out


def _metric_names(logs):
    """Metric names in order (``loss`` first): each key, with ``val_<name>`` folded into
    ``<name>``."""
    names = []
    for key in logs:
        name = key[4:] if key.startswith("val_") else key
        if name not in names:
            names.append(name)
    if "loss" in names:
        names.remove("loss")
        names.insert(0, "loss")
    return names


def history(history, metrics=None, *, title=None, figsize=None, ncols=3, save_to=None):
    r"""Learning curves: one panel per metric, the training value and the validation value
    (``val_<metric>``) of every epoch on the same axes.

    What the two curves are (Keras's ``fit``): the training point of epoch e is the mean
    of the metric over that epoch's batches, taken while the weights were still changing,

        train_e = (1 / B) \sum_{b=1}^{B} m(y_b, f_{\theta_{e,b}}(x_b)),

    and the validation point is the metric of the end-of-epoch weights on the whole
    validation set, ``val_e = m(y_val, f_{\theta_e}(x_val))``. A training curve that keeps
    falling while the validation curve turns up is overfitting; the gap between them
    estimates the generalisation gap.

    Args:
        history: the ``History`` object ``model.fit`` returns (Keras or deepgrad.keras),
            its ``.history`` dict, or any dict ``{name: [value per epoch]}``, e.g. losses
            collected by a PyTorch-style loop.
        metrics (list of str, optional): the metrics to draw (default: every key, with
            ``loss`` first; ``val_x`` is drawn with ``x``).
        title (str, optional): the figure's title.
        figsize (tuple, optional): inches (default 4 x 3 per panel).
        ncols (int): panels per row.
        save_to (str or path, optional): write the figure there (PNG by default).
    Returns:
        matplotlib.figure.Figure: one axis per metric; each holds a line per series
        (x = epochs 1..E, y = the recorded values), labelled with its key.
    Raises:
        TypeError, ValueError: not a history, a non-numeric or empty series, an unknown
            metric, or a validation series whose length differs from the training one.
    """
    check_save_to(save_to)
    logs = _history_dict(history)
    names = _metric_names(logs)
    if metrics is not None:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in metrics if m not in names]
        if unknown:
            raise ValueError(f"history: metric(s) {unknown} not in the history; it has "
                             f"{names}")
        names = metrics
    for name in names:
        if name in logs and f"val_{name}" in logs \
                and len(logs[name]) != len(logs[f"val_{name}"]):
            raise ValueError(f"history: {name!r} has {len(logs[name])} values and "
                             f"'val_{name}' has {len(logs[f'val_{name}'])}; expected one "
                             f"per epoch in both (validation_freq > 1 records fewer: plot "
                             f"them from a dict that leaves one out)")
    require_matplotlib("deepgrad.plot.history")
    from matplotlib.ticker import MaxNLocator
    cols = max(1, min(int(ncols), len(names)))
    rows = -(-len(names) // cols)
    fig = new_figure(figsize or (4.0 * cols, 3.0 * rows))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(names):]:
        ax.remove()
    for ax, name in zip(axes, names):
        for key, style in ((name, "-o"), (f"val_{name}", "--s")):
            if key in logs:
                values = logs[key]
                ax.plot(np.arange(1, len(values) + 1), values, style, markersize=3,
                        label=key)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.set_xlim(0.5, max(len(logs[k]) for k in (name, f"val_{name}") if k in logs) + 0.5)
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return finish(fig, save_to)


def confusion_matrix(y_true, y_pred, class_names=None, normalize=None, *, labels=None,
                     title=None, cmap="Blues", values=True, figsize=None, save_to=None):
    r"""The confusion matrix as an image: row i is the true class, column j the
    predicted one, as scikit-learn's ``ConfusionMatrixDisplay``.

    Counts (computed by :func:`deepgrad.metrics.confusion_matrix`):

        C[i, j] = #{n : y_n = i and \hat y_n = j}.

    The diagonal holds the correct answers; off-diagonal cell (i, j) counts class i
    mistaken for class j. ``normalize`` divides by the row sums (``"true"``: the diagonal
    is each class's recall), the column sums (``"pred"``: precision) or the total
    (``"all"``).

    Args:
        y_true, y_pred: class labels ``(N,)``, or scores / one-hot rows ``(N, K)`` (reduced
            by argmax: pass ``model.predict(x)`` or one-hot ``y`` as they are).
        class_names (list of str, optional): names of classes 0..K-1; all K rows and
            columns are drawn, even for classes absent from both arrays.
        normalize ({None, "true", "pred", "all"}): as above.
        labels (list, optional): the classes and their order (default: every label seen,
            sorted, or ``range(len(class_names))``).
        title (str, optional), cmap (str): the title and colour map.
        values (bool): write each cell's value in it.
        figsize (tuple, optional), save_to (str or path, optional): as :func:`history`.
    Returns:
        matplotlib.figure.Figure: its first axis holds one image, the matrix itself
        (``fig.axes[0].images[0].get_array()``), and a colour bar.
    """
    from deepgrad.metrics import confusion_matrix as counts
    check_save_to(save_to)
    yt, yp = class_indices(y_true, "y_true"), class_indices(y_pred, "y_pred")
    if len(yt) != len(yp):
        raise ValueError(f"confusion_matrix: y_true has {len(yt)} samples and y_pred has "
                         f"{len(yp)}; expected the same number")
    if labels is None and class_names is not None:
        labels = list(range(len(class_names)))
    if class_names is not None and len(class_names) != len(labels):
        raise ValueError(f"confusion_matrix: {len(class_names)} class_names for "
                         f"{len(labels)} labels")
    if labels is not None and len(yt):
        outside = sorted(set(np.unique(np.concatenate([yt, yp])).tolist()) - set(labels))
        if outside:
            raise ValueError(f"confusion_matrix: labels {outside} are not among the "
                             f"{len(labels)} classes given ({list(labels)[:10]}...)")
    matrix = counts(yt, yp, labels=labels, normalize=normalize)
    names = [str(c) for c in (class_names if class_names is not None else
                              labels if labels is not None else
                              np.unique(np.concatenate([yt, yp])))]
    require_matplotlib("deepgrad.plot.confusion_matrix")
    k = len(names)
    side = max(4.0, 0.45 * k + 2.0)
    fig = new_figure(figsize or (side + 1.0, side))
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap=cmap, interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(np.arange(k), labels=names, rotation=45 if max(map(len, names)) > 3 else 0)
    ax.set_yticks(np.arange(k), labels=names)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    if values:
        threshold = (matrix.max() + matrix.min()) / 2.0
        for (i, j), v in np.ndenumerate(matrix):
            text = f"{v:.2f}" if normalize else f"{int(v)}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8 if k > 10 else 10,
                    color="white" if v > threshold else "black")
    ax.set_title(title if title is not None else
                 "Confusion matrix" + (f" (normalised over {normalize})" if normalize else ""))
    fig.tight_layout()
    return finish(fig, save_to)
