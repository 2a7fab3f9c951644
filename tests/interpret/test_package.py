"""deepgrad.interpret loads on first use, under Captum's names and paths."""
import subprocess
import sys


def test_loaded_lazily_and_without_optional_extras():
    code = ("import sys, deepgrad; assert 'deepgrad.interpret' not in sys.modules; "
            "ig = deepgrad.interpret.IntegratedGradients; "
            "assert not {'matplotlib', 'torch', 'captum', 'deepgrad.keras'} & set(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_captum_paths():
    import deepgrad.interpret as interpret
    from deepgrad.interpret.attr import IntegratedGradients, visualization
    assert IntegratedGradients is interpret.IntegratedGradients
    assert visualization is interpret.visualization
    assert set(interpret.__all__) <= set(dir(interpret)) | {"attr", "linear_model",
                                                            "visualization"}
