"""When deepgrad shows a live progress bar, and the bar for a training loop of your own.

One rule for every display (``fit``'s ProgbarLogger, dataset downloads, the examples):
a live bar (tqdm, an optional extra: ``pip install 'deepgrad[progress]'``) only when the
output is a terminal and tqdm is installed; otherwise plain lines or nothing, so log files
and CI output hold no carriage returns.

    for xb, yb in progress(loader, desc=f"epoch {epoch + 1}"):   # a bar on a terminal
        ...                                                       # the loader itself in a log

A ``DataLoader`` has ``len()`` (its number of batches), so the bar has a total and an ETA.
"""
import sys


def live_bar(stream):
    """True when ``stream`` is a terminal and tqdm can be imported."""
    if not getattr(stream, "isatty", lambda: False)():
        return False
    try:
        import tqdm  # noqa: F401  (optional extra: used only when installed)
    except ImportError:
        return False
    return True


def progress(iterable, desc=None, total=None, file=None, **tqdm_kwargs):
    """``tqdm(iterable, ...)`` writing to ``file`` (default ``sys.stderr``, as tqdm) when it
    is a terminal and tqdm is installed; otherwise ``iterable`` itself, unchanged."""
    file = sys.stderr if file is None else file
    if not live_bar(file):
        return iterable
    from tqdm import tqdm
    return tqdm(iterable, desc=desc, total=total, file=file, **tqdm_kwargs)
