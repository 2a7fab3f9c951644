"""deepgrad's modules import each other without cycles.

The module-level imports of every file under ``deepgrad/`` are read from its syntax
tree (``ast``; nothing is imported): the statements that run when the module is loaded,
at top level or in ``if``/``try``/``with`` blocks and class bodies, not those inside
functions. ``import a.b.c`` is an edge to ``a.b.c``; ``from a.b import c`` to ``a.b.c``
when that is a module, else to ``a.b``. A package's ``__init__`` is its module; loading
``a.b.c`` also runs ``a.b``'s ``__init__`` first, but that is not an edge (a package that
imports its own submodules would otherwise always be a cycle).

A cycle (a strongly connected component of that graph) means a module can only be loaded
if another one is half-loaded: the fix is to move what both need below both.

Inside ``deepgrad.keras`` an import inside a function is kept for optional extras only
(third-party packages such as tqdm or h5py): :func:`test_keras_has_no_deferred_imports`
fails on a deferred import of a deepgrad module there.
"""
import ast
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "deepgrad"


def _module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    """``{module name: (path, is_package)}`` for every ``.py`` file under deepgrad/."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(PACKAGE):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for f in filenames:
            if f.endswith(".py"):
                path = Path(dirpath) / f
                out[_module_name(path)] = (path, f == "__init__.py")
    return out


def _load_time_imports(tree):
    """Import nodes that run when the module loads (not inside function bodies)."""
    found, stack = [], list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        else:
            stack.extend(ast.iter_child_nodes(node))
    return found


def _deferred_imports(tree):
    """(line, node) for import statements inside function bodies."""
    found = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    found.append(node)
    return found


def _resolve(node, module, is_package, modules):
    """The deepgrad modules an import node names (see the module docstring)."""
    targets = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name in modules:
                targets.append(alias.name)
        return targets
    if node.level:
        base = module.split(".")
        base = base if is_package else base[:-1]
        base = base[:len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    for alias in node.names:
        sub = f"{prefix}.{alias.name}"
        if sub in modules:
            targets.append(sub)
        elif prefix in modules:
            targets.append(prefix)
    return targets


def import_graph():
    """``{module: set of deepgrad modules it imports at load time}``."""
    modules = _modules()
    graph = {}
    for name, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        edges = set()
        for node in _load_time_imports(tree):
            edges.update(t for t in _resolve(node, name, is_package, modules) if t != name)
        graph[name] = edges
    return graph


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan, as a loop)."""
    index, low, on_stack, stack, comps, counter = {}, {}, set(), [], [], [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.append(member)
                    if member == node:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp))
    return comps


def _a_cycle(graph, comp):
    """One concrete loop through a component, for the error message."""
    members, start = set(comp), comp[0]
    path, seen, node = [start], {start}, start
    while True:
        node = next(n for n in sorted(graph[node]) if n in members)
        if node in seen:
            return path[path.index(node):] + [node]
        path.append(node)
        seen.add(node)


def _report(graph, comps):
    return "\n".join(f"  {len(c)} modules: " + " -> ".join(_a_cycle(graph, c)) for c in comps)


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert _a_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_relative_and_from_imports_resolve_to_modules():
    modules = {"deepgrad": None, "deepgrad.keras": None, "deepgrad.keras.layers": None,
               "deepgrad.keras.layers.layer": None, "deepgrad.ops": None}
    tree = ast.parse("from deepgrad.keras.layers import layer, Dense\n"
                     "from . import layer\nfrom .. import layers\nimport deepgrad.ops\n")
    got = [_resolve(n, "deepgrad.keras.layers.core", False, modules) for n in tree.body]
    assert got == [["deepgrad.keras.layers.layer", "deepgrad.keras.layers"],
                   ["deepgrad.keras.layers.layer"], ["deepgrad.keras.layers"],
                   ["deepgrad.ops"]]


def test_function_bodies_are_not_load_time_imports():
    tree = ast.parse("import a\nclass C:\n    import b\n    def f(self):\n        import c\n"
                     "try:\n    import d\nexcept ImportError:\n    pass\n")
    assert sorted(n.names[0].name for n in _load_time_imports(tree)) == ["a", "b", "d"]
    assert [n.names[0].name for n in _deferred_imports(tree)] == ["c"]


def test_deepgrad_keras_has_no_import_cycle():
    graph = import_graph()
    comps = [c for c in cycles(graph) if any(m.startswith("deepgrad.keras") for m in c)]
    assert not comps, "import cycles in deepgrad.keras:\n" + _report(graph, comps)


def test_deepgrad_has_no_import_cycle():
    graph = import_graph()
    comps = cycles(graph)
    assert not comps, "import cycles in deepgrad:\n" + _report(graph, comps)


def test_keras_has_no_deferred_imports():
    """Inside deepgrad.keras, imports inside functions are for optional extras only."""
    modules = _modules()
    bad = []
    for name, (path, is_package) in sorted(modules.items()):
        if not name.startswith("deepgrad.keras"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _deferred_imports(tree):
            internal = _resolve(node, name, is_package, modules)
            if isinstance(node, ast.Import):
                internal += [a.name for a in node.names if a.name.split(".")[0] == "deepgrad"]
            elif node.level or (node.module or "").split(".")[0] == "deepgrad":
                internal = internal or [node.module or "."]
            if internal:
                bad.append(f"  {path.relative_to(ROOT)}:{node.lineno} imports {internal[0]}")
    assert not bad, ("deepgrad modules imported inside functions in deepgrad.keras (move the "
                     "shared code below both modules instead):\n" + "\n".join(bad))
