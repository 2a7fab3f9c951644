"""deepgrad.plot's tests draw on standalone figures; close any that went through pyplot
(when another test imported it) so they do not pile up."""
import sys

import pytest


@pytest.fixture(autouse=True)
def _close_pyplot_figures():
    yield
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


@pytest.fixture
def is_png():
    """``is_png(path)``: whether ``path`` holds a PNG file (its 8-byte signature)."""
    def check(path):
        with open(path, "rb") as f:
            return f.read(8) == b"\x89PNG\r\n\x1a\n"
    return check
