"""``import deepgrad.keras`` loads the training front only: the download, drawing, dataset,
TensorBoard and HTTP helpers load with their first use (each is still reachable by name)."""
import subprocess
import sys

DEFERRED = ("deepgrad.datasets", "deepgrad.plot", "deepgrad.tf", "deepgrad.utils.tensorboard",
            "deepgrad.keras.callbacks.tensorboard", "deepgrad.keras.utils.dataset_utils",
            "urllib.request")


def _run(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_keras_defers_the_helpers():
    loaded = _run("import sys, deepgrad.keras, deepgrad.keras.utils, deepgrad.keras.callbacks\n"
                  f"print(sorted(m for m in {DEFERRED!r} if m in sys.modules))")
    assert loaded == "[]"


def test_deferred_names_load_on_use():
    out = _run("import sys, deepgrad.keras as k\n"
               "from deepgrad.keras.callbacks import TensorBoard\n"
               "from deepgrad.keras.utils import image_dataset_from_directory\n"
               "print(TensorBoard.__module__, image_dataset_from_directory.__module__,\n"
               "      k.utils.get_file.__module__, k.utils.plot_model.__module__,\n"
               "      'TensorBoard' in dir(k.callbacks), 'get_file' in dir(k.utils))")
    assert out.split() == ["deepgrad.keras.callbacks.tensorboard",
                           "deepgrad.keras.utils.dataset_utils",
                           "deepgrad.keras.utils.file_utils",
                           "deepgrad.keras.utils.model_visualization", "True", "True"]


def test_unknown_names_still_raise():
    out = _run("import deepgrad.keras as k\n"
               "for mod in (k.utils, k.callbacks):\n"
               "    try:\n"
               "        mod.no_such_thing\n"
               "    except AttributeError as e:\n"
               "        print(type(e).__name__)")
    assert out.split() == ["AttributeError", "AttributeError"]
