"""The ahead-of-time kernels: finding this machine's build and calling it without numba.

``python -m deepgrad.kernels.build`` (:mod:`deepgrad.kernels.build`) compiles every
kernel, for the argument types its ``@kernel`` decorator declares, into one extension
module, and writes a manifest beside it. This module loads that pair and calls it with
NumPy alone: no numba, no LLVM in the process. That is the point of it: numba's JIT costs
about 120 MiB of resident memory (its import, then LLVM's first use, even when every
kernel comes from numba's disk cache), more than a conv workload's own arrays; the built
module costs about 1 MiB.

**Which build.** The build's name carries a tag, a hash of everything its code depends
on: the sources of this package's kernels and build (a changed kernel is never run from
an old build), the NumPy and Python versions, and this machine's CPU (``/proc/cpuinfo``'s
model and flags: the code uses the instructions of the CPU it was built on, so a home
directory shared by two machines keeps one build per CPU). A process looks for its own
tag only.

**Where.** ``DEEPGRAD_KERNELS_DIR`` if set, else ``$XDG_CACHE_HOME/deepgrad/kernels``
(``~/.cache/deepgrad/kernels``).

**Calls.** A compiled function trusts its arguments' types (numba's unboxing checks an
array's item size only), so :func:`kernel` checks each array's dtype, number of
dimensions and C-contiguity against the variants the build made, and calls the one that
fits. An argument list no variant fits goes to numba's JIT when numba imports, and is
otherwise a TypeError that names what was declared and what came: never a call with the
wrong layout.
"""
import hashlib
import importlib.util
import json
import os
import sys
import sysconfig
import warnings

import numpy as np

#: The manifest's format; part of the tag.
FORMAT = 1
#: This package's files that compile nothing (the switch and this loader; a change to how
#: a manifest is read changes FORMAT): left out of the tag, so editing them keeps a build.
_RUNTIME = ("__init__.py", "aot.py")
PREFIX = "_dgk_"
SUFFIX = sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def directory():
    """Where builds live: ``DEEPGRAD_KERNELS_DIR``, or the user's cache directory."""
    path = os.environ.get("DEEPGRAD_KERNELS_DIR", "").strip()
    if path:
        return os.path.abspath(os.path.expanduser(path))
    cache = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "deepgrad", "kernels")


def _cpu():
    """The CPU's model and instruction-set flags (Linux), or the platform's names."""
    try:
        model = ""
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "CPU part")) and not model:
                    model = line
                elif line.startswith(("flags", "Features")):
                    return model + line
    except OSError:
        pass
    import platform
    return f"{platform.machine()} {platform.processor()}"


def tag():
    """This machine's and these sources' build tag (16 hex digits)."""
    h = hashlib.sha256(f"{FORMAT} {np.__version__} {sys.version} {SUFFIX}\n".encode())
    here = os.path.dirname(os.path.abspath(__file__))
    for name in sorted(os.listdir(here)):
        if name.endswith(".py") and name not in _RUNTIME:
            with open(os.path.join(here, name), "rb") as f:
                h.update(name.encode() + b"\n" + f.read())
    h.update(_cpu().encode())
    return h.hexdigest()[:16]


def paths(folder=None, build_tag=None):
    """(module name, extension module path, manifest path) of this machine's build."""
    name = PREFIX + (build_tag or tag())
    folder = folder or directory()
    return name, os.path.join(folder, name + SUFFIX), os.path.join(folder, name + ".json")


def describe(key):
    """A variant's array key as words: ``float32 C-contiguous 3-D``."""
    dtype, ndim, contiguous = key
    return f"{dtype} {'C-contiguous' if contiguous else 'strided'} {ndim}-D"


def kernel(name, variants, fallback):
    """The function :func:`deepgrad.kernels.get` returns for the build's kernel ``name``.

    ``variants``: ``[(compiled function, nargs, checks)]``, each check ``(argument index,
    dtype, ndim, needs C-contiguity)``; ``fallback()`` gives numba's JIT function or None.
    The checks are written out as one Python expression per variant (a loop over them
    took twice as long: this costs about 0.1 us per array, the compiled call 1 us).
    """
    nargs = variants[0][1]
    params = ", ".join(f"a{i}" for i in range(nargs))
    scope = {"_other": lambda args: _other(name, variants, fallback, args)}
    lines = [f"def {name.replace('.', '__')}({params}):", "    try:"]
    for v, (fn, count, checks) in enumerate(variants):
        assert count == nargs, (name, count, nargs)
        scope[f"F{v}"] = fn
        tests = []
        for i, dtype, ndim, contiguous in checks:
            scope[f"D{v}_{i}"] = dtype
            tests.append(f"(a{i}.dtype is D{v}_{i} or a{i}.dtype == D{v}_{i}) "
                         f"and a{i}.ndim == {ndim}"
                         + (f" and a{i}.flags.c_contiguous" if contiguous else ""))
        lines += [f"        if {' and '.join(tests) or 'True'}:",
                  f"            return F{v}({params})"]
    lines += ["    except AttributeError:", "        pass", f"    return _other(({params},))"]
    exec("\n".join(lines), scope)
    call = scope[name.replace(".", "__")]
    call.kernel, call.variants = name, variants
    return call


def _other(name, variants, fallback, args):
    """A call no variant fits: numba's JIT if it may run, else a TypeError."""
    jit = fallback()
    if jit is not None:
        return jit(*args)

    def seen(a):
        if isinstance(a, np.ndarray):
            return describe((a.dtype.name, a.ndim, a.flags.c_contiguous))
        return type(a).__name__
    declared = "; ".join(
        "(" + ", ".join(describe((str(dt), nd, c)) for _, dt, nd, c in checks) + ")"
        for _, _, checks in variants)
    raise TypeError(f"deepgrad.kernels: the ahead-of-time {name} takes arrays {declared}; "
                    f"received ({', '.join(seen(a) for a in args)}), and numba (whose JIT "
                    f"would compile this case) is not installed or is switched off")


class Build:
    """A loaded build: the extension module and its manifest."""

    def __init__(self, module, manifest, path):
        self.module, self.manifest, self.path = module, manifest, path

    def kernel(self, module, name, fallback):
        """:func:`kernel` ``module.name``, or None when the build does not have it."""
        entries = self.manifest["kernels"].get(f"{module}.{name}")
        if entries is None:
            return None
        variants = [(getattr(self.module, symbol), nargs,
                     tuple((i, np.dtype(dt), nd, c) for i, dt, nd, c in checks))
                    for symbol, nargs, checks in entries]
        return kernel(f"{module}.{name}", variants, fallback)


def load(folder=None):
    """This machine's build from ``folder`` (default :func:`directory`), or None."""
    name, so, manifest_path = paths(folder)
    if not (os.path.exists(so) and os.path.exists(manifest_path)):
        return None
    try:
        with open(manifest_path) as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None
    if manifest.get("format") != FORMAT or manifest.get("tag") != name[len(PREFIX):]:
        return None
    try:
        spec = importlib.util.spec_from_file_location(name, so)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except (ImportError, OSError) as e:      # a damaged file: say so, and run without it
        warnings.warn(f"deepgrad.kernels: the ahead-of-time build {so} does not load ({e}); "
                      "rebuild it with python -m deepgrad.kernels.build", RuntimeWarning)
        return None
    return Build(module, manifest, so)
