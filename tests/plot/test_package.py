"""deepgrad.plot loads lazily, needs matplotlib only to draw, and never changes the
user's matplotlib backend."""
import subprocess
import sys

import pytest


def run(code):
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_import_deepgrad_loads_neither_plot_nor_matplotlib():
    run("import sys, deepgrad\n"
        "assert 'deepgrad.plot' not in sys.modules and 'matplotlib' not in sys.modules\n"
        "plot = deepgrad.plot\n"
        "assert plot.history is plot.training.history\n"
        "assert not {'matplotlib', 'deepgrad.keras'} & set(sys.modules)\n")


def test_without_matplotlib_a_clear_import_error_and_no_file(tmp_path):
    target = tmp_path / "h.png"
    out = run("import sys\n"
              "sys.modules['matplotlib'] = None     # as if not installed\n"
              "import deepgrad.plot as plot\n"
              "for call in (lambda: plot.require_matplotlib(),\n"
              f"             lambda: plot.history({{'loss': [1.0]}}, save_to={str(target)!r})):\n"
              "    try:\n"
              "        call()\n"
              "    except ImportError as e:\n"
              "        print(e)\n")
    assert out.count("pip install matplotlib") == 2 and "deepgrad.plot.history" in out
    assert not target.exists()


def test_the_user_backend_is_kept_and_pyplot_is_not_imported_behind_their_back():
    pytest.importorskip("matplotlib")
    run("import sys, deepgrad\n"
        "fig = deepgrad.plot.history({'loss': [1.0, 0.5]})\n"
        "assert 'matplotlib.pyplot' not in sys.modules   # a standalone Figure\n"
        "import matplotlib\n"
        "matplotlib.use('svg')\n"
        "import matplotlib.pyplot as plt\n"
        "fig = deepgrad.plot.history({'loss': [1.0, 0.5]})\n"
        "assert matplotlib.get_backend() == 'svg'\n"
        "assert plt.fignum_exists(fig.number)             # plt.show() would show it\n")
