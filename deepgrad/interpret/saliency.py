"""Saliency and Input x Gradient: one gradient of the output per input element."""
from deepgrad.interpret import _common
from deepgrad.interpret.attribution import GradientAttribution


class Saliency(GradientAttribution):
    r"""Saliency maps (Simonyan et al., 2013, https://arxiv.org/abs/1312.6034):

        attr_i(x) = | dF_target(x) / dx_i |       (abs=True, the default)
        attr_i(x) =   dF_target(x) / dx_i         (abs=False)

    A local sensitivity: how much the output moves when ``x_i`` moves a little. It does
    not sum to anything in particular (no completeness).

    Args:
        forward_func: the model or function to explain.

    Example::

        >>> sal = Saliency(model)
        >>> attr = sal.attribute(images, target=3)      # same shape as images
    """

    def attribute(self, inputs, target=None, abs=True, additional_forward_args=None):
        """Args:
            inputs (Tensor, array or tuple): the batch to explain (first axis: examples).
            target: which output to explain (int, tuple, list or tensor; see
                :mod:`deepgrad.interpret._common`). None when the model returns one scalar
                per example.
            abs (bool): return ``|gradient|`` (True) or the signed gradient.
            additional_forward_args: extra arguments passed to the model after the inputs.
        Returns:
            attributions with the inputs' shapes (a tuple when the inputs are one).
        """
        xs, is_tuple, as_numpy = _common.format_inputs(inputs)
        _common.check_float_inputs(xs, "Saliency")
        _common.check_target(target, xs[0].shape[0])
        extra = _common.format_additional_args(additional_forward_args)
        grads = self.gradient_func(self.forward_func, xs, target, extra)
        if abs:
            grads = tuple(g.abs() for g in grads)
        return _common.format_output(grads, is_tuple, as_numpy)


class InputXGradient(GradientAttribution):
    r"""Input x Gradient (Shrikumar et al., 2016, https://arxiv.org/abs/1605.01713):

        attr_i(x) = x_i * dF_target(x) / dx_i

    For a linear model ``F(x) = w.x + b`` it is exactly ``w_i x_i``, each feature's share
    of ``F(x) - F(0)``.

    Args:
        forward_func: the model or function to explain.
    """

    def attribute(self, inputs, target=None, additional_forward_args=None):
        """Args:
            inputs, target, additional_forward_args: as :meth:`Saliency.attribute`.
        Returns:
            attributions with the inputs' shapes.
        """
        xs, is_tuple, as_numpy = _common.format_inputs(inputs)
        _common.check_float_inputs(xs, "InputXGradient")
        _common.check_target(target, xs[0].shape[0])
        extra = _common.format_additional_args(additional_forward_args)
        grads = self.gradient_func(self.forward_func, xs, target, extra)
        return _common.format_output(tuple(x.detach() * g for x, g in zip(xs, grads)),
                                     is_tuple, as_numpy)

    @property
    def multiplies_by_inputs(self):
        return True
