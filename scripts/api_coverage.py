"""How much of PyTorch's public API deepgrad provides, namespace by namespace.

Run with torch installed::

    python scripts/api_coverage.py            # a table, then the missing names
    python scripts/api_coverage.py --markdown API_COVERAGE.md

For each namespace the universe is PyTorch's public names of the kind that namespace is
about (functions of ``torch``, methods and properties of ``torch.Tensor``, classes of
``torch.nn``, callables of ``torch.nn.functional``, ``__all__`` of the others), less the
out-of-scope families listed with their reasons in ``deepgrad/_scope.py``. A name counts as
provided when deepgrad's matching namespace has an attribute of that name.
"""
import argparse
import importlib
import inspect
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from deepgrad._scope import OUT_OF_SCOPE, out_of_scope  # noqa: E402

# typing helpers and dispatch plumbing that torch.nn.functional happens to export
_F_PLUMBING = {"Callable", "DType", "Optional", "Tensor", "ScalingType", "SwizzleType",
               "BroadcastingList1", "BroadcastingList2", "BroadcastingList3",
               "handle_torch_function", "has_torch_function", "has_torch_function_unary",
               "has_torch_function_variadic", "boolean_dispatch", "assert_int_or_pair"}
_SUBMODULES = {"lr_scheduler", "swa_utils", "grad_mode", "variable"}


def _public(obj):
    return [n for n in dir(obj) if not n.startswith("_")]


def universe(torch):
    """{label: (torch object, deepgrad dotted path, [names])}."""
    import torch.nn.functional as F
    import torch.optim.lr_scheduler as sched
    import torch.utils.data as data
    import torch.autograd as autograd

    def is_function(obj, n):
        v = getattr(obj, n)
        return callable(v) and not inspect.isclass(v) and not inspect.ismodule(v)

    return {
        "torch (functions)": (torch, "deepgrad",
                              [n for n in _public(torch) if is_function(torch, n)]),
        "torch.Tensor (methods)": (torch.Tensor, "deepgrad.Tensor", _public(torch.Tensor)),
        "torch.nn (classes)": (torch.nn, "deepgrad.nn",
                               [n for n in _public(torch.nn)
                                if inspect.isclass(getattr(torch.nn, n))]),
        "torch.nn.functional": (F, "deepgrad.nn.functional",
                                [n for n in _public(F) if callable(getattr(F, n))
                                 and n not in _F_PLUMBING]),
        "torch.optim": (torch.optim, "deepgrad.optim",
                        [n for n in torch.optim.__all__ if n not in _SUBMODULES]),
        "torch.optim.lr_scheduler": (sched, "deepgrad.optim.lr_scheduler", list(sched.__all__)),
        "torch.utils.data": (data, "deepgrad.utils.data",
                             [n for n in data.__all__ if not n.startswith("_")]),
        "torch.autograd": (autograd, "deepgrad.autograd",
                           [n for n in autograd.__all__ if n not in _SUBMODULES]),
    }


def _resolve(path):
    parts = path.split(".")
    obj = importlib.import_module(parts[0])
    for i, p in enumerate(parts[1:], 1):
        try:
            obj = importlib.import_module(".".join(parts[:i + 1]))
        except ImportError:
            obj = getattr(obj, p)
    return obj


def measure(torch):
    rows = []
    for label, (_, dg_path, names) in universe(torch).items():
        dg = _resolve(dg_path)
        names = sorted(set(names))
        excluded = {n: out_of_scope(n)[0] for n in names if out_of_scope(n)}
        counted = [n for n in names if n not in excluded]
        have = [n for n in counted if hasattr(dg, n)]
        missing = [n for n in counted if not hasattr(dg, n)]
        rows.append(dict(label=label, total=len(names), excluded=excluded, counted=len(counted),
                         have=len(have), missing=missing,
                         pct=100.0 * len(have) / max(len(counted), 1)))
    return rows


def report(rows, show_missing=True):
    out = ["| namespace | public names | out of scope | counted | deepgrad has | coverage |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| `{r['label']}` | {r['total']} | {len(r['excluded'])} | {r['counted']} | "
                   f"{r['have']} | **{r['pct']:.0f}%** |")
    out.append("")
    out.append("Out-of-scope families (deepgrad/_scope.py):")
    out.append("")
    for family, reason, _ in OUT_OF_SCOPE:
        out.append(f"- **{family}**: {reason}.")
    if show_missing:
        for r in rows:
            out.append("")
            out.append(f"### Missing from `{r['label']}` ({len(r['missing'])})")
            out.append("")
            out.append(", ".join(f"`{n}`" for n in r["missing"]) or "(none)")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markdown", help="also write the report to this file")
    ap.add_argument("--no-missing", action="store_true", help="only the table")
    ap.add_argument("--excluded", action="store_true",
                    help="list every excluded name with its family")
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("api_coverage: needs torch installed (pip install torch==2.13.0)")
    rows = measure(torch)
    text = report(rows, show_missing=not args.no_missing)
    if args.excluded:
        for r in rows:
            text += f"\n\n### Excluded from `{r['label']}`\n\n" + ", ".join(
                f"`{n}` ({f})" for n, f in sorted(r["excluded"].items()))
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("# deepgrad's coverage of PyTorch's API\n\nGenerated by "
                    "`python scripts/api_coverage.py --markdown API_COVERAGE.md` "
                    f"(PyTorch {torch.__version__}).\n\n" + text + "\n")


if __name__ == "__main__":
    main()
