"""``History``: what a :class:`~deepgrad.sklearn.NeuralNet` records while it trains
(skorch's ``History``).

A list with one dict per epoch::

    {"epoch": 3, "dur": 0.012, "train_loss": 0.41, "valid_loss": 0.44, "valid_acc": 0.9,
     "train_batch_count": 4, "valid_batch_count": 1,
     "train_loss_best": True, "valid_loss_best": True, "valid_acc_best": False,
     "batches": [{"train_loss": 0.43, "train_batch_size": 32}, ...,
                 {"valid_loss": 0.44, "valid_batch_size": 25}]}

``train_loss`` and ``valid_loss`` are the batch losses averaged with the batch sizes as
weights, :math:`\\bar L = \\sum_b n_b L_b / \\sum_b n_b`; ``valid_acc`` (classifiers) is the
fraction of validation samples predicted right; ``*_best`` says whether the epoch beat
every earlier one (lower loss, higher accuracy). The ``valid_*`` keys appear only when
there is a validation split.

Besides list indexing, a tuple indexes into the dicts, as skorch's does:
``history[-1, "train_loss"]`` (the last epoch's), ``history[:, "train_loss"]`` (every
epoch's, a list), ``history[-1, "batches", 0, "train_loss"]``.
"""

__all__ = ["History"]


def _lookup(item, keys):
    if not keys:
        return item
    key, rest = keys[0], keys[1:]
    if isinstance(key, slice):
        if not isinstance(item, list):
            raise TypeError(f"History: a slice indexes epochs or batches, not the dict "
                            f"{sorted(item)}; received {key!r}")
        return [_lookup(x, rest) for x in item[key]]
    return _lookup(item[key], rest)


class History(list):
    """One dict per epoch (see the module docstring); indexable by tuples."""

    def __getitem__(self, index):
        if isinstance(index, tuple):
            return _lookup(list(self), index)
        return super().__getitem__(index)

    def new_epoch(self, epoch):
        """Append ``{"epoch": epoch, "batches": []}`` for the epoch starting now."""
        self.append({"epoch": epoch, "batches": []})

    def record(self, key, value):
        """Set ``key`` in the current (last) epoch's dict."""
        self[-1][key] = value

    def record_batch(self, entry):
        """Append a batch's dict to the current epoch's ``batches``."""
        self[-1]["batches"].append(entry)
