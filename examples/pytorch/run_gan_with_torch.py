"""Run examples/gan_mnist_torch.py on PyTorch itself, for a same-recipe, same-time
comparison with deepgrad:

    python examples/pytorch/run_gan_with_torch.py --train-seconds 420

``deepgrad``, ``deepgrad.nn`` and ``deepgrad.optim.swa_utils`` become PyTorch's modules;
MNIST still comes from ``deepgrad.datasets`` (NumPy arrays) and the PNG grid is written by
``deepgrad.vision.utils.save_image`` from the PyTorch tensor's values. Everything else,
the scoring classifier included, runs on PyTorch.
"""
import os
import runpy
import sys
import types

import deepgrad
import deepgrad.datasets.mnist
import deepgrad.vision.utils
import torch
import torch.nn
import torch.optim.swa_utils

_datasets = sys.modules["deepgrad.datasets"]
_mnist = sys.modules["deepgrad.datasets.mnist"]
_save_image = deepgrad.vision.utils.save_image


def save_image(tensor, fp, **kwargs):
    _save_image(deepgrad.tensor(tensor.detach().numpy()), fp, **kwargs)


vision = types.ModuleType("deepgrad.vision")
vision.utils = types.SimpleNamespace(save_image=save_image)
for name, module in {"deepgrad": torch, "deepgrad.nn": torch.nn,
                     "deepgrad.optim": torch.optim,
                     "deepgrad.optim.swa_utils": torch.optim.swa_utils,
                     "deepgrad.datasets": _datasets, "deepgrad.datasets.mnist": _mnist,
                     "deepgrad.vision": vision}.items():
    sys.modules[name] = module
torch.datasets = _datasets            # `from deepgrad.datasets import mnist` reads this
torch.vision = vision

if __name__ == "__main__":
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "gan_mnist_torch.py")
    sys.argv = [script] + sys.argv[1:]
    runpy.run_path(script, run_name="__main__")
