"""Every ```python block of the documentation site runs, so the docs cannot rot.

One test per page of ``docs/`` (parametrized by its path under ``docs/``): the page's
```python blocks run in order, in one namespace, in a temporary working directory, with
``DEEPGRAD_DATA`` as the environment sets it (CI points it at ``../shared/data``). A block
that raises fails the test, and the traceback gives the line of the page (each block is
compiled at its own line numbers, under the page's path).

Conventions for writers of pages:

* ```python blocks run. Code shown but not run is fenced ```text, ```bash, ```diff...;
  a Python listing that is shown but must not run (a seed's listing as its author wrote
  it, importing Keras or TensorFlow) is fenced ```{.python .no-run}: it is still
  highlighted, and still checked for valid syntax.
* A page whose blocks need optional packages says so in an HTML comment at its top,
  ``<!-- requires: torch keras -->`` (importable module names); the page is skipped, with
  the missing name as the reason, when any is absent. Keras runs on its torch backend
  (``KERAS_BACKEND=torch``, set here unless the environment sets it).
* A page that reads a dataset file says ``<!-- data: mnist.npz -->``; it is skipped when
  the file is not in ``$DEEPGRAD_DATA``.

Syntax is checked on every page, skipped or not (``test_every_python_block_compiles``).
"""
import ast
import contextlib
import importlib
import os
import random
import re
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# A fenced block: an opening fence (``` or ~~~, 3 or more, possibly indented inside a list
# or an admonition), its info string, the body, and the same fence at the same indent.
_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)\n"
    r"(?P<body>.*?)"
    r"^(?P=indent)(?P=fence)[ \t]*$",
    re.M | re.S)
_HEADER = re.compile(r"\A(?:\s*<!--(?P<body>.*?)-->)+", re.S)
_PYTHON = {"python", "py", "python3"}


def fence_language(info):
    """(language, classes) of a fence's info string: ``python title="x"`` gives
    ("python", set()); ``{.python .no-run}`` gives ("python", {"no-run"})."""
    info = info.strip()
    if info.startswith("{"):
        classes = re.findall(r"\.([\w-]+)", info.split("}")[0])
        return (classes[0].lower(), set(classes[1:])) if classes else ("", set())
    return (info.split()[0].lower() if info else ""), set()


def python_blocks(text):
    """The Python blocks of a page: a list of (first body line, 1-based; code; runs?)."""
    blocks = []
    for m in _FENCE.finditer(text):
        language, classes = fence_language(m.group("info"))
        if language not in _PYTHON:
            continue
        first_line = text.count("\n", 0, m.start("body")) + 1
        body = textwrap.dedent(m.group("body"))
        blocks.append((first_line, body, "no-run" not in classes))
    return blocks


def page_header(text):
    """``{"requires": [...], "data": [...]}`` from the HTML comments that open a page."""
    header = {"requires": [], "data": []}
    m = _HEADER.match(text)
    if m:
        for comment in re.findall(r"<!--(.*?)-->", m.group(0), re.S):
            key, _, value = comment.strip().partition(":")
            if key.strip() in header:
                header[key.strip()] += value.split()
    return header


def compile_block(page, first_line, code):
    """The block compiled as lines ``first_line...`` of ``page``, so errors point there."""
    return compile("\n" * (first_line - 1) + code, str(page), "exec")


def _pages():
    return sorted(DOCS.rglob("*.md")) if DOCS.is_dir() else []


def _missing_requirement(header):
    """Why the page cannot run here (a missing module or data file), or None."""
    for name in header["requires"]:
        if name == "keras":
            os.environ.setdefault("KERAS_BACKEND", "torch")
            loaded = sys.modules.get("keras")
            if loaded is not None and getattr(loaded.backend, "backend", lambda: "torch")() != "torch":
                return "keras is loaded on a backend other than torch"
        try:
            importlib.import_module(name)
        except ImportError as exc:
            return f"needs {name!r} (declared in the page's requires comment): {exc}"
    data = os.environ.get("DEEPGRAD_DATA")
    for name in header["data"]:
        if not data or not (Path(data) / name).exists():
            return f"needs {name} in $DEEPGRAD_DATA ({data or 'unset'})"
    return None


@contextlib.contextmanager
def _restored_global_state():
    """Each page starts as in a fresh process as far as Keras's automatic layer names go;
    it may set the default dtype, seed the generators (``set_random_seed`` seeds Python's,
    NumPy's and deepgrad's) or open figures: those are put back after it."""
    import deepgrad
    from deepgrad import backend
    dtype = backend.get_default_dtype()
    states = random.getstate(), np.random.get_state(), deepgrad.get_rng_state()
    keras_backend = sys.modules.get("deepgrad.keras.backend")
    if keras_backend is not None:
        keras_backend.clear_session()          # layer names start afresh, as in a new process
    try:
        yield
    finally:
        backend.set_default_dtype(dtype)
        random.setstate(states[0])
        np.random.set_state(states[1])
        deepgrad.set_rng_state(states[2])
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_blocks_run(page, tmp_path, monkeypatch):
    text = page.read_text(encoding="utf-8")
    blocks = [(line, code) for line, code, runs in python_blocks(text) if runs]
    if not blocks:
        pytest.skip("no python blocks to run")
    reason = _missing_requirement(page_header(text))
    if reason:
        pytest.skip(reason)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")        # figures are written, never shown
    namespace = {"__name__": "__docs__"}
    with _restored_global_state():
        for line, code in blocks:
            exec(compile_block(page, line, code), namespace)


def test_every_python_block_compiles():
    errors = []
    for page in _pages():
        for line, code, _ in python_blocks(page.read_text(encoding="utf-8")):
            try:
                ast.parse("\n" * (line - 1) + code, filename=str(page))
            except SyntaxError as exc:
                errors.append(f"{page.relative_to(ROOT)}:{exc.lineno}: {exc.msg}")
    assert not errors, "python blocks that do not parse:\n" + "\n".join(errors)


def test_requires_and_data_comments_are_well_formed():
    """``requires`` names importable modules (not pip names such as 'scikit-learn'), and a
    ``requires``/``data`` comment sits in the page's opening comments, where it is read
    (one further down would be ignored, and the page run without its packages)."""
    bad = []
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        for name in page_header(text)["requires"]:
            if not re.fullmatch(r"[A-Za-z_][\w.]*", name):
                bad.append(f"{page.relative_to(DOCS)}: {name!r} is not a module name")
        header = _HEADER.match(text)
        rest = text[header.end():] if header else text
        if re.search(r"<!--\s*(requires|data)\s*:", rest):
            bad.append(f"{page.relative_to(DOCS)}: a requires/data comment below the page's top")
    assert not bad, "\n".join(bad)


def test_extraction_on_a_sample_page():
    sample = textwrap.dedent('''\
        <!-- requires: torch keras -->
        <!-- data: mnist.npz -->
        # Title

        ```python
        a = 1
        ```

        ```text
        not python
        ```

        !!! note
            ```python title="indented"
            b = a + 1
            ```

        ```{.python .no-run}
        import keras
        ```

        ````python
        c = """```"""
        ````
        ''')
    blocks = python_blocks(sample)
    assert [(line, code, runs) for line, code, runs in blocks] == [
        (6, "a = 1\n", True), (15, "b = a + 1\n", True), (19, "import keras\n", False),
        (23, 'c = """```"""\n', True)]
    assert page_header(sample) == {"requires": ["torch", "keras"], "data": ["mnist.npz"]}
    namespace = {}
    for line, code, runs in blocks:
        if runs:
            exec(compile_block("sample.md", line, code), namespace)
    assert namespace["b"] == 2 and namespace["c"] == "```"
    with pytest.raises(ZeroDivisionError) as info:
        exec(compile_block("sample.md", 7, "x = 1 / 0\n"), {})
    assert info.traceback[-1].lineno + 1 == 7        # the page's line, 1-based


def test_the_site_has_pages_with_runnable_blocks():
    runnable = [p for p in _pages()
                if any(runs for _, _, runs in python_blocks(p.read_text(encoding="utf-8")))]
    assert len(runnable) >= 10, f"only {len(runnable)} pages with runnable python blocks"
