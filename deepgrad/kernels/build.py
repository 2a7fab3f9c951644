"""Compile every kernel ahead of time for this machine: ``python -m deepgrad.kernels.build``.

Needs numba, setuptools and a C compiler (``pip install "deepgrad[compiled]"``; gcc or
clang), at build time only. Takes about a minute. Writes one extension module and its
manifest into :func:`deepgrad.kernels.aot.directory` (``--dir`` or
``DEEPGRAD_KERNELS_DIR`` to choose), named by this machine's tag
(:mod:`deepgrad.kernels.aot`); from then on, ``DEEPGRAD_KERNELS=auto`` (the default) runs
that build and never imports numba.

How: numba's ahead-of-time compiler (``numba.pycc``) compiles each ``@kernel`` function
once per declared signature and float dtype, with the JIT's own options (no GIL, NumPy's
error model, no bounds checks, no fastmath) and for this machine's CPU and instruction
set, as the JIT does. The kernels are the JIT's source, so the build computes the same
bits (``tests/kernels/test_kernels_aot.py``). The files are written under temporary names
and renamed into place, so an interrupted build leaves nothing half-written.
"""
import argparse
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
import warnings

from deepgrad.kernels import MODULES, aot


def _numba_types(signature, float_name):
    """numba's argument types of a ``@kernel`` signature string for one float dtype."""
    from numba.core import sigutils
    args, _ = sigutils.normalize_signature(f"void({signature.replace('F', float_name)})")
    return args


def _checks(args):
    """The manifest's array checks of argument types: [index, dtype, ndim, C-contiguous]."""
    from numba.core import types
    return [[i, str(t.dtype), t.ndim, t.layout == "C"] for i, t in enumerate(args)
            if isinstance(t, types.Array)]


def _compiler_options():
    """numba.pycc with the JIT's options: its Flags, and the host CPU's own features."""
    from deepgrad.kernels._jit import OPTIONS
    from numba.core import codegen
    from numba.core.compiler import Flags
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from numba.pycc import CC, compiler

    class KernelFlags(Flags):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for name, value in OPTIONS.items():
                setattr(self, name, value)

    compiler.Flags = KernelFlags
    # pycc leaves the features to the CPU model's defaults; the JIT asks the host, which
    # knows what this machine (or its hypervisor) really enables.
    codegen.AOTCPUCodegen._customize_tm_features = \
        codegen.CPUCodegen._get_host_cpu_features
    return CC


def build(folder=None, verbose=False):
    """Compile every kernel into ``folder`` (default :func:`aot.directory`); returns the
    extension module's path."""
    folder = folder or aot.directory()
    name, so_path, manifest_path = aot.paths(folder)
    CC = _compiler_options()
    from numba.core import types
    for module in MODULES:
        importlib.import_module(f"deepgrad.kernels.{module}")
    from deepgrad.kernels._jit import EXPORTS

    cc = CC(name)
    cc.target_cpu = "host"
    cc.verbose = verbose
    kernels = {}
    for key, (signatures, floats) in sorted(EXPORTS.items()):
        module, fn_name = key.split(".")
        fn = getattr(importlib.import_module(f"deepgrad.kernels.{module}"), fn_name)
        entries = kernels[key] = []
        for float_name in floats:
            for signature in signatures:
                args = _numba_types(signature, float_name)
                symbol = f"{module}__{fn_name}__{len(entries)}"
                cc.export(symbol, types.void(*args))(fn.py_func)
                entries.append([symbol, len(args), _checks(args)])
    os.makedirs(folder, exist_ok=True)
    work = tempfile.mkdtemp(prefix=name + "-", dir=folder)
    try:
        cc.output_dir = work
        cc.compile()
        built = [f for f in os.listdir(work) if f.startswith(name)]
        if len(built) != 1:
            raise RuntimeError(f"numba.pycc wrote {built} in {work}; expected one module")
        manifest = {"format": aot.FORMAT, "tag": name[len(aot.PREFIX):],
                    "numba": sys.modules["numba"].__version__, "kernels": kernels}
        with open(os.path.join(work, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
        os.replace(os.path.join(work, built[0]), so_path)
        os.replace(os.path.join(work, "manifest.json"), manifest_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return so_path


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m deepgrad.kernels.build",
                                description=__doc__.splitlines()[0])
    p.add_argument("--dir", help="where to write the build (default: "
                                 "DEEPGRAD_KERNELS_DIR or ~/.cache/deepgrad/kernels)")
    p.add_argument("--verbose", action="store_true", help="show the compiler's commands")
    args = p.parse_args(argv)
    try:
        importlib.import_module("numba")
    except ImportError:
        p.exit(1, "deepgrad.kernels.build needs numba: pip install \"deepgrad[compiled]\"\n")
    start = time.perf_counter()
    path = build(args.dir, verbose=args.verbose)
    print(f"built {path} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
