"""``deepgrad.keras.wrappers``: scikit-learn estimators around Keras models (Keras 3's
``keras.wrappers``): :class:`SKLearnClassifier`, :class:`SKLearnRegressor`,
:class:`SKLearnTransformer`. They need scikit-learn (``pip install deepgrad[sklearn]``);
this package loads on first use of ``keras.wrappers``, never with ``import deepgrad``.
"""
from deepgrad.keras.wrappers.sklearn_wrapper import (SKLearnClassifier, SKLearnRegressor,
                                                     SKLearnTransformer)

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
