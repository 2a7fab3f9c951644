"""scikit-learn stays optional: ``import deepgrad`` loads neither it nor the estimator
packages, and without it the estimators import but refuse to be built, naming the extra.
Runs with or without scikit-learn installed (the missing case is simulated)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_import_deepgrad_loads_no_sklearn():
    out = run("import sys, deepgrad, deepgrad.keras\n"
              "print(sorted(m for m in sys.modules if m == 'sklearn' or m.startswith("
              "('sklearn.', 'deepgrad.sklearn', 'deepgrad.keras.wrappers'))))")
    assert out.strip() == "[]"
    out = run("import deepgrad\n"
              "print(deepgrad.sklearn.NeuralNetRegressor.__name__, "
              "deepgrad.keras.wrappers.SKLearnRegressor.__name__)")
    assert out.split() == ["NeuralNetRegressor", "SKLearnRegressor"]   # lazy attributes


def test_without_sklearn_the_classes_import_and_construction_names_the_extra():
    code = """
import sys
sys.modules["sklearn"] = None          # as if scikit-learn were not installed
import deepgrad
from deepgrad import keras
from deepgrad.sklearn import NeuralNetClassifier, NeuralNetRegressor
from deepgrad.keras.wrappers import SKLearnClassifier
for make in (lambda: NeuralNetClassifier(deepgrad.nn.Linear),
             lambda: NeuralNetRegressor(deepgrad.nn.Linear),
             lambda: keras.wrappers.SKLearnRegressor(model=None),
             lambda: SKLearnClassifier(model=None)):
    try:
        make()
    except ImportError as e:
        assert "pip install deepgrad[sklearn]" in str(e), e
        print("refused")
"""
    assert run(code).split() == ["refused"] * 4
