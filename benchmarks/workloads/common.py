"""What the PyTorch-style columns (deepgrad.nn and PyTorch) share: the step and the weights.

A family module describes a model once as ``make_model(nn)``, a function of the ``nn``
module (``torch.nn`` or ``deepgrad.nn``, whose APIs and ``state_dict`` keys are the
same), and :func:`nn_builders` turns it into both columns' builders.
"""


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

    def step():
        loss = loss_fn(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


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
