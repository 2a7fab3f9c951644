"""What the PyTorch-style columns (deepgrad.nn and PyTorch) share: the step and the weights.

A family module describes a model once as ``make_model(nn)``, a function of the ``nn``
module (``torch.nn`` or ``deepgrad.nn``, whose APIs and ``state_dict`` keys are the
same), and :func:`nn_builders` turns it into both columns' builders.
"""
import time

import numpy as np


def autograd_step(fw, make_model, optimizer, lr, loss, state, x, y):
    """One training step closure for ``fw`` (the ``torch`` or ``deepgrad`` module).

    Args:
        make_model: ``nn -> Module``.
        optimizer: a class name in ``fw.optim`` ("Adam", "SGD"), built with ``lr`` only.
        loss: a function name in ``fw.nn.functional`` ("cross_entropy", "mse_loss").
        state: initial weights, {state_dict key: ndarray}, or None for ``fw``'s own init.
    """
    model = make_model(fw.nn)
    if state is not None:
        model.load_state_dict({k: fw.from_numpy(v.copy()) for k, v in state.items()})
    opt = getattr(fw.optim, optimizer)(model.parameters(), lr=lr)
    loss_fn = getattr(fw.nn.functional, loss)
    xt, yt = fw.from_numpy(x), fw.from_numpy(y)

    batch = [xt, yt]                 # the batch the next step reads

    def step():
        loss = loss_fn(model(batch[0]), batch[1])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return streaming(step, batch, lambda a: fw.from_numpy(a), x, y)


def streaming(step, batch, wrap, x, y):
    """Give ``step`` a ``run(n)``: n steps over n fresh copies of the batch, as ``fit`` reads.

    ``model.fit`` (the Keras columns) trains on n copies of the batch laid out one after
    another, so every step reads data that is not in the cache. For a like-for-like
    comparison the PyTorch-style and NumPy columns do the same: ``run(n)`` makes n copies
    (untimed), then times n steps, step i reading copy i (``batch`` is the step's mutable
    [x, y] slot; ``wrap`` turns an array into the framework's tensor). ``step()`` alone
    keeps training on the original batch (loss checks).
    """
    cache = {}

    def timed_step():
        return step()

    def run(n):
        if cache.get("n") != n:
            xs = np.concatenate([x] * n)
            ys = xs if y is x else np.concatenate([y] * n)    # an autoencoder's x is its y
            b = len(x)
            cache.update(n=n, copies=[(wrap(xs[i * b:(i + 1) * b]), wrap(ys[i * b:(i + 1) * b]))
                                      for i in range(n)])
        original = list(batch)
        t0 = time.perf_counter()
        for xb, yb in cache["copies"]:
            batch[0], batch[1] = xb, yb
            step()
        elapsed = time.perf_counter() - t0
        batch[0], batch[1] = original
        return elapsed

    timed_step.run = run
    return timed_step


def nn_builders(make_model, optimizer, lr, loss):
    """``{"deepgrad": build, "torch": build}`` with ``build(state, x, y) -> step``."""
    def build(module_name):
        def builder(state, x, y):
            fw = __import__(module_name)
            return autograd_step(fw, make_model, optimizer, lr, loss, state, x, y)
        return builder
    return {"deepgrad": build("deepgrad"), "torch": build("torch")}


def reference_state(make_model, seed):
    """PyTorch's default initialisation under ``torch.manual_seed(seed)``, as arrays."""
    import torch
    torch.manual_seed(seed)
    model = make_model(torch.nn)
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
