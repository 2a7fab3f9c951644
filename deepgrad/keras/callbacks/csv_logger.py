"""``CSVLogger``: one CSV row of epoch logs per epoch."""
import csv
import os

import numpy as np

from deepgrad.keras.callbacks.callback import Callback


def _cell(value):
    """A log value as a CSV cell: strings as-is, sequences as ``"[a, b]"``, numbers as-is."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Stream the epoch logs to a CSV file (Keras 3's columns and header rule).

    The columns are ``epoch`` then the sorted log keys of the first epoch; when no key
    starts with ``val_``, a ``val_`` twin of every key is added (filled with ``NA`` when
    absent), so a later validated run can append to the same file. The file is flushed
    after every row and closed at the end of training.

    Args:
        filename (str or path-like): the CSV file.
        separator (str): the column delimiter. Default ``','``.
        append (bool): append to an existing file (the header is written only if the
            file is empty) instead of overwriting it.

    Example:
        >>> model.fit(x, y, epochs=3, callbacks=[CSVLogger("training.log")])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep, self.filename, self.append = separator, os.fspath(filename), append
        self.writer, self.keys, self.csv_file, self.append_header = None, None, None, True

    def on_train_begin(self, logs=None):
        mode = "w"
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "r", newline="") as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer, self.keys = None, None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += [f"val_{k}" for k in self.keys]
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         delimiter=self.sep, lineterminator="\r\n")
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, _cell(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
