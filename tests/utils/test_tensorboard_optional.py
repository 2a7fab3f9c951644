"""TensorBoard logging without its optional extra, and the arguments refused before it is
needed: these run in every environment (tensorboardX installed or not)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deepgrad.keras.callbacks import TensorBoard
from deepgrad.utils.tensorboard import SummaryWriter

ROOT = Path(__file__).resolve().parents[2]
HINT = r"pip install 'deepgrad\[tensorboard\]' \(or pip install tensorboardX\)"


def test_importing_the_package_does_not_import_tensorboardx():
    code = ("import sys, deepgrad.utils.tensorboard, deepgrad.keras.callbacks; "
            "print('tensorboardX' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == ["False", "False"]


def test_missing_tensorboardx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)     # `import tensorboardX` fails
    with pytest.raises(ImportError, match=HINT):
        SummaryWriter(tmp_path)
    with pytest.raises(ImportError, match=HINT):
        TensorBoard(str(tmp_path))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"profile_batch": 3}, "profiling is not available in deepgrad"),
    ({"profile_batch": (2, 5)}, "profiling is not available in deepgrad"),
    ({"profile_batch": "1,3"}, "profiling is not available in deepgrad"),
    ({"profile_batch": -1}, "profile_batch must be a non-negative integer"),
    ({"profile_batch": (5, 2)}, "profile_batch must be a non-negative integer"),
    ({"embeddings_freq": 1}, "embeddings are not written by deepgrad"),
    ({"embeddings_metadata": "meta.tsv"}, "embeddings are not written by deepgrad"),
    ({"update_freq": "sometimes"}, "update_freq must be 'batch', 'epoch' or an int > 0"),
    ({"update_freq": 0}, "update_freq must be 'batch', 'epoch' or an int > 0"),
    ({"histogram_freq": -1}, "histogram_freq must be an int >= 0, received -1"),
    ({"histogram_freq": 1.5}, "histogram_freq must be an int >= 0, received 1.5"),
])
def test_arguments_deepgrad_cannot_honour_are_refused(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        TensorBoard(str(tmp_path / "logs"), **kwargs)
    assert os.listdir(tmp_path) == []


def test_profile_batch_zero_forms_are_accepted():
    pytest.importorskip("tensorboardX")
    for value in (0, (0, 0), "0,0"):
        assert TensorBoard(profile_batch=value).profile_batch == value
