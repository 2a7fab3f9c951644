"""The documentation site builds with ``mkdocs build --strict``: no missing page, broken
link or anchor, bad snippet include or unparsable API docstring (each is a warning, and
``--strict`` turns warnings into a failed build). Skipped without the ``docs`` extra."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings")
    pytest.importorskip("mkdocstrings_handlers.python")
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    warnings = [line for line in log.splitlines()
                if line.lstrip().startswith(("WARNING", "ERROR"))]
    assert not warnings, "\n".join(warnings)
    # the pages came out, MathJax's configuration with them, and mkdocstrings rendered
    # the API from the docstrings (an object's anchor and a line of its docstring)
    assert (site / "index.html").is_file()
    assert (site / "javascripts" / "mathjax.js").is_file()
    api = (site / "reference" / "nn" / "index.html").read_text(encoding="utf-8")
    assert 'id="deepgrad.nn.linear.Linear"' in api
    assert 'id="deepgrad.nn.module.Module.state_dict"' in api       # inherited, still shown
    keras_api = (site / "reference" / "keras-models" / "index.html").read_text(encoding="utf-8")
    assert 'id="deepgrad.keras.models.Model.fit"' in keras_api
