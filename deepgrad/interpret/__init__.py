"""``deepgrad.interpret``: attribution methods with Captum's names and arguments.

PyTorch users write ``from captum.attr import IntegratedGradients``; here it is
``from deepgrad.interpret import IntegratedGradients`` (or
``from deepgrad.interpret.attr import ...``), and the same classes explain
:mod:`deepgrad.nn` modules and :mod:`deepgrad.keras` models alike::

    ig = IntegratedGradients(model)
    attr, delta = ig.attribute(images, target=labels, return_convergence_delta=True)

Gradient methods: :class:`Saliency`, :class:`InputXGradient`,
:class:`IntegratedGradients`, :class:`NoiseTunnel` (smoothgrad, smoothgrad_sq, vargrad),
:class:`GradientShap`, :class:`DeepLift` (rescale rule). Layer methods:
:class:`LayerGradCam`, :class:`LayerIntegratedGradients`,
:meth:`LayerAttribution.interpolate`. Perturbation methods: :class:`Occlusion`,
:class:`FeatureAblation`, and the model-agnostic :class:`KernelShap` and :class:`Lime`
(seeded samplers; the weighted linear models of :mod:`deepgrad.interpret.linear_model`
are solved in NumPy). Pictures: :mod:`deepgrad.interpret.visualization` (matplotlib, an
optional extra: ``pip install deepgrad[interpret]``).

Attributions come back with the inputs' shapes and kind: deepgrad tensors for tensors,
NumPy arrays for arrays. Every class states its formula and guarantee in its docstring.
This package loads on first use (``deepgrad.interpret``), not with ``import deepgrad``.
"""
import importlib

from deepgrad.interpret.attribution import (Attribution, GradientAttribution,
                                            PerturbationAttribution)
from deepgrad.interpret.deep_lift import DeepLift
from deepgrad.interpret.feature_ablation import FeatureAblation, Occlusion
from deepgrad.interpret.integrated_gradients import IntegratedGradients
from deepgrad.interpret.layer import (LayerAttribution, LayerGradCam,
                                      LayerIntegratedGradients)
from deepgrad.interpret.lime import (KernelShap, Lime, LimeBase,
                                     get_exp_kernel_similarity_function)
from deepgrad.interpret.noise_tunnel import (GradientShap, InputBaselineXGradient,
                                             NoiseTunnel)
from deepgrad.interpret.saliency import InputXGradient, Saliency

__all__ = ["Attribution", "DeepLift", "FeatureAblation", "GradientAttribution",
           "GradientShap", "InputBaselineXGradient", "InputXGradient",
           "IntegratedGradients", "KernelShap", "LayerAttribution", "LayerGradCam",
           "LayerIntegratedGradients", "Lime", "LimeBase", "NoiseTunnel", "Occlusion",
           "PerturbationAttribution", "Saliency", "get_exp_kernel_similarity_function",
           "attr", "linear_model", "visualization"]


def __getattr__(name):
    """``visualization`` (matplotlib), ``linear_model`` and ``attr`` load on first use."""
    if name in ("visualization", "linear_model", "attr"):
        return importlib.import_module(f"deepgrad.interpret.{name}")
    raise AttributeError(f"module 'deepgrad.interpret' has no attribute {name!r}")
