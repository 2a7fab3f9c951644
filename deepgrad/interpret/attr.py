"""Captum's ``captum.attr`` path: ``from deepgrad.interpret.attr import IntegratedGradients,
visualization``, the same classes as :mod:`deepgrad.interpret`."""
import importlib

from deepgrad.interpret import (Attribution, DeepLift, FeatureAblation,  # noqa: F401
                                GradientAttribution, GradientShap, InputBaselineXGradient,
                                InputXGradient, IntegratedGradients, KernelShap,
                                LayerAttribution, LayerGradCam, LayerIntegratedGradients,
                                Lime, LimeBase, NoiseTunnel, Occlusion,
                                PerturbationAttribution, Saliency)


def __getattr__(name):
    """``visualization`` loads on first use (it needs matplotlib)."""
    if name == "visualization":
        return importlib.import_module("deepgrad.interpret.visualization")
    raise AttributeError(f"module 'deepgrad.interpret.attr' has no attribute {name!r}")
