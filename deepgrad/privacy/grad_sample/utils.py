"""The per-sample gradient rules by layer type (Opacus's ``register_grad_sampler``).

A rule is ``rule(layer, activations, backprops) -> {parameter: per-sample gradient}`` on
NumPy arrays: ``activations`` are the layer's positional inputs as arrays (non-tensors as
given), ``backprops`` is dL/d(output) with the batch on axis 0, already multiplied by the
batch size when the loss is a mean (so each row is the gradient of one sample's own loss),
and every returned array has shape (batch, *parameter.shape).
"""

GRAD_SAMPLERS = {}


def register_grad_sampler(target_class_or_classes):
    """Decorator registering a per-sample gradient rule for one or more layer classes.

    Example:
        >>> @register_grad_sampler(MyLayer)
        ... def my_rule(layer, activations, backprops):
        ...     return {layer.weight: ...}     # (batch, *layer.weight.shape)
    """
    classes = (target_class_or_classes if isinstance(target_class_or_classes, (list, tuple))
               else [target_class_or_classes])

    def decorator(f):
        for cls in classes:
            GRAD_SAMPLERS[cls] = f
        return f
    return decorator


def find_grad_sampler(layer):
    """The rule for ``layer``: registered for its class, or for a base class whose
    ``forward``/``call`` the layer's class does not override; None otherwise."""
    cls = type(layer)
    rule = GRAD_SAMPLERS.get(cls)
    if rule is not None:
        return rule
    for base in cls.__mro__[1:]:
        if base in GRAD_SAMPLERS:
            same = all(getattr(cls, m, None) is getattr(base, m, None) for m in ("forward", "call"))
            return GRAD_SAMPLERS[base] if same else None
    return None


def trainable_parameters(layer):
    """[(name, parameter)] of the parameters ``layer`` owns itself (not its children's)
    that require grad."""
    return [(n, p) for n, p in layer.named_parameters(recurse=False) if p.requires_grad]
