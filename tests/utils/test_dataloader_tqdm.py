"""Progress over a DataLoader: tqdm reads its length (``len(loader)``: batches, not samples),
so the bar has a total; ``deepgrad.utils.progress.progress`` shows a bar only on a terminal
with tqdm installed, and hands back the loader itself otherwise."""
import io
import sys

import numpy as np
import pytest

import deepgrad
from deepgrad.utils.data import DataLoader, IterableDataset, TensorDataset
from deepgrad.utils.progress import live_bar, progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def dataset(n):
    return TensorDataset(deepgrad.Tensor(np.arange(n, dtype=np.float32)[:, None]))


@pytest.mark.parametrize("drop_last, batches", [(False, 4), (True, 3)])
def test_tqdm_total_is_the_number_of_batches(drop_last, batches):
    tqdm = pytest.importorskip("tqdm").tqdm
    loader = DataLoader(dataset(10), batch_size=3, shuffle=True, drop_last=drop_last)
    out = io.StringIO()
    bar = tqdm(loader, file=out, mininterval=0)
    seen = [b[0].shape[0] for b in bar]
    assert bar.total == len(loader) == batches == len(seen)
    assert sum(seen) == (9 if drop_last else 10)
    assert f"{batches}/{batches}" in out.getvalue()


def test_tqdm_with_an_unsized_iterable_dataset_counts_without_a_total():
    tqdm = pytest.importorskip("tqdm").tqdm

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(np.arange(7, dtype=np.float32))

    loader = DataLoader(Stream(), batch_size=2)
    with pytest.raises(TypeError):
        len(loader)
    out = io.StringIO()
    bar = tqdm(loader, file=out, mininterval=0)
    assert sum(1 for _ in bar) == 4 and bar.total is None
    assert "4it" in out.getvalue()


def test_progress_on_a_terminal_is_a_tqdm_bar():
    pytest.importorskip("tqdm")
    loader = DataLoader(dataset(10), batch_size=4)
    out = Terminal()
    bar = progress(loader, desc="epoch 1", file=out, mininterval=0)
    assert type(bar).__name__ == "tqdm" and bar.total == 3
    assert sum(b[0].shape[0] for b in bar) == 10
    assert "epoch 1: 100%" in out.getvalue() and "3/3" in out.getvalue()


def test_progress_elsewhere_is_the_iterable_itself(monkeypatch):
    loader = DataLoader(dataset(10), batch_size=4)
    assert progress(loader, file=io.StringIO()) is loader          # not a terminal
    assert not live_bar(io.StringIO())
    monkeypatch.setitem(sys.modules, "tqdm", None)                 # tqdm not installed
    assert progress(loader, file=Terminal()) is loader
    assert not live_bar(Terminal())
